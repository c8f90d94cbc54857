import { describe, expect, it } from 'vitest';
import {
  BUCKET_BOUNDS,
  emptyHistogram,
  mean,
  merge,
  parseHistogram,
  percentile,
  record,
} from '../../src/core/histogram.js';

const MIN = 60_000;
const of = (...values: number[]) => values.reduce(record, emptyHistogram());

describe('duration histograms', () => {
  it('have no percentile or mean while empty', () => {
    expect(percentile(emptyHistogram(), 0.5)).toBeNull();
    expect(mean(emptyHistogram())).toBeNull();
  });

  it('keep the exact mean, minimum and maximum', () => {
    const h = of(2 * MIN, 4 * MIN, 12 * MIN);
    expect(h.total).toBe(3);
    expect(mean(h)).toBe(6 * MIN);
    expect([h.minMs, h.maxMs]).toEqual([2 * MIN, 12 * MIN]);
  });

  it('answer a percentile within the bucket that holds it, never outside what was seen', () => {
    // Prepare: 100 values, 1..100 minutes.
    const h = of(...Array.from({ length: 100 }, (_, i) => (i + 1) * MIN));
    // Act
    const median = percentile(h, 0.5) as number;
    const p75 = percentile(h, 0.75) as number;
    // Assess: the true values are 50 and 75 minutes; buckets are at most 1.5× wide here.
    expect(median).toBeGreaterThanOrEqual(45 * MIN);
    expect(median).toBeLessThanOrEqual(60 * MIN);
    expect(p75).toBeGreaterThanOrEqual(60 * MIN);
    expect(p75).toBeLessThanOrEqual(90 * MIN);
    expect(percentile(h, 0)).toBeGreaterThanOrEqual(MIN);
    expect(percentile(h, 1)).toBe(100 * MIN);
  });

  it('give the one value seen for any percentile', () => {
    const h = of(12 * MIN);
    expect(percentile(h, 0.5)).toBe(12 * MIN);
    expect(percentile(h, 0.75)).toBe(12 * MIN);
  });

  it('stay the same size whatever they record, with values beyond the last bound in the last bucket', () => {
    const h = of(...Array.from({ length: 5_000 }, (_, i) => i * 997 * MIN));
    expect(h.counts).toHaveLength(BUCKET_BOUNDS.length + 1);
    expect(h.counts.at(-1)).toBeGreaterThan(0);
    expect(percentile(h, 1)).toBe(h.maxMs);
  });

  it('merge by adding, as if every value had been recorded in one', () => {
    const a = of(MIN, 3 * MIN);
    const b = of(20 * MIN);
    expect(merge(a, b)).toEqual(of(MIN, 3 * MIN, 20 * MIN));
    expect(merge(emptyHistogram(), b)).toEqual(b);
  });

  it('count a negative duration (clock skew) as zero', () => {
    expect(of(-5_000).minMs).toBe(0);
  });

  it('read back what they stored, and start empty from anything else', () => {
    const h = of(MIN, 90 * MIN);
    expect(parseHistogram(JSON.parse(JSON.stringify(h)))).toEqual(h);
    expect(parseHistogram({ counts: [1, 2] })).toEqual(emptyHistogram());
    expect(parseHistogram(undefined)).toEqual(emptyHistogram());
  });
});
