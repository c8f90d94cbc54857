import { describe, expect, it } from 'vitest';
import { eventSlots, SLOT_MS } from '../../../src/core/aggregates/counters.js';
import { isOngoing, readTrend } from '../../../src/core/aggregates/trends.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const rule = { window: HOUR, baseline: 24 * HOUR, factor: 3, minCount: 5 };
const now = new Date('2026-03-02T12:00:00.000Z');
/** `count` events in each 5-minute slot from `fromMin` to `toMin` minutes before now. */
const slots = (fromMin: number, toMin: number, count: number) => {
  const out: { start: number; count: number }[] = [];
  for (let m = fromMin; m > toMin; m -= 5) out.push({ start: now.getTime() - m * MIN, count });
  return out;
};

describe('the trend rule', () => {
  it('holds for an issue that was silent and fired at least minCount times in the window', () => {
    const reading = readTrend(slots(30, 0, 1), now, rule); // 6 slots × 1
    expect(reading).toEqual({ recent: 6, baseline: 0, expected: 0, ratio: null, trending: true });
  });

  it('does not hold below minCount, however quiet the baseline', () => {
    expect(readTrend(slots(20, 0, 1), now, rule).trending).toBe(false); // 4 events
  });

  it('does not hold for a steady rate, however high', () => {
    // 12 an hour for the last 25 hours: the window's 12 is what the baseline predicts.
    const reading = readTrend(slots(25 * 60, 0, 1), now, rule);
    expect(reading.recent).toBe(12);
    expect(reading.expected).toBeCloseTo(12);
    expect(reading.trending).toBe(false);
  });

  it('holds at factor × the baseline’s prediction, not just above it', () => {
    // Baseline: 24 events over 24 h, so a window is expected to see 1.
    const base = slots(25 * 60, 60, 0).map((s, i) => ({ ...s, count: i % 12 === 0 ? 1 : 0 }));
    const atTwice = [...base, ...slots(60, 0, 0).map((s, i) => ({ ...s, count: i < 2 ? 3 : 0 }))]; // 6 in window
    const reading = readTrend(atTwice, now, rule);
    expect(reading.expected).toBeCloseTo(1);
    expect(reading.ratio).toBeCloseTo(6);
    expect(reading.trending).toBe(true);
    const noisyBase = base.map((s) => ({ ...s, count: s.count * 3 })); // expects 3; 6 is only 2×
    expect(readTrend([...noisyBase, ...atTwice.slice(base.length)], now, rule).trending).toBe(false);
  });

  it('counts whole slots that start in the window, and ignores what is older than the baseline or in the future', () => {
    const reading = readTrend(
      [
        { start: now.getTime() - HOUR, count: 2 }, // starts exactly at the window's start: in it
        { start: now.getTime() - HOUR - SLOT_MS, count: 3 }, // the baseline's last slot
        { start: now.getTime() - 26 * HOUR, count: 100 }, // before the baseline
        { start: now.getTime() + SLOT_MS, count: 50 }, // ahead of now (clock skew)
      ],
      now,
      rule,
    );
    expect([reading.recent, reading.baseline]).toEqual([2, 3]);
  });

  it('reads slots from hourly items in time order', () => {
    const slotsOf = eventSlots([
      { scope: 'all', hour: '2026-03-02T11', counters: { 'slot.55': 2, 'slot.00': 1, events: 3 }, sets: {} },
      { scope: 'all', hour: '2026-03-02T10', counters: { 'slot.30': 4 }, sets: {} },
    ]);
    expect(slotsOf.map((s) => [new Date(s.start).toISOString(), s.count])).toEqual([
      ['2026-03-02T10:30:00.000Z', 4],
      ['2026-03-02T11:00:00.000Z', 1],
      ['2026-03-02T11:55:00.000Z', 2],
    ]);
  });

  it('keeps an episode going while the rule held within the last window', () => {
    const held = { lastHeldAt: '2026-03-02T11:30:00.000Z' };
    expect(isOngoing(held, now, rule)).toBe(true);
    expect(isOngoing(held, new Date('2026-03-02T12:30:00.000Z'), rule)).toBe(false);
  });
});
