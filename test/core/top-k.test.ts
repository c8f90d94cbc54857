import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emptyTopK, offer, parseTopK, top } from '../../src/core/top-k.js';

describe('top-K (Space-Saving)', () => {
  it('counts exactly while there is room', () => {
    let k = emptyTopK(3);
    for (const v of ['a', 'b', 'a', 'c', 'a', 'b']) k = offer(k, v);
    expect(top(k)).toEqual([
      { value: 'a', count: 3, error: 0 },
      { value: 'b', count: 2, error: 0 },
      { value: 'c', count: 1, error: 0 },
    ]);
  });

  it('replaces the least counted when full, carrying its count as the possible overcount', () => {
    let k = emptyTopK(2);
    for (const v of ['a', 'a', 'b', 'c']) k = offer(k, v);
    expect(top(k)).toEqual([
      { value: 'a', count: 2, error: 0 },
      { value: 'c', count: 2, error: 1 },
    ]);
  });

  it('never holds more than its capacity, never counts below the truth, and keeps every value seen more than n/k times', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'), { maxLength: 300 }),
        (stream) => {
          const capacity = 4;
          const k = stream.reduce((acc, v) => offer(acc, v), emptyTopK(capacity));
          const truth = new Map<string, number>();
          for (const v of stream) truth.set(v, (truth.get(v) ?? 0) + 1);
          expect(k.entries.length).toBeLessThanOrEqual(capacity);
          for (const e of k.entries) {
            expect(e.count).toBeGreaterThanOrEqual(truth.get(e.value) ?? 0);
            expect(e.count - e.error).toBeLessThanOrEqual(truth.get(e.value) ?? 0);
          }
          for (const [value, count] of truth)
            if (count > stream.length / capacity) expect(k.entries.map((e) => e.value)).toContain(value);
        },
      ),
    );
  });

  it('reads back what it stored, within its capacity', () => {
    const k = offer(offer(emptyTopK(5), 'x'), 'y');
    expect(parseTopK(JSON.parse(JSON.stringify(k)), 5)).toEqual(k);
    expect(parseTopK(null, 5)).toEqual(emptyTopK(5));
  });
});
