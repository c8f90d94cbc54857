import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CLOCK_SKEW_MS, plausibleTime, SENDER_TIME_BOUND_MS } from '../../src/core/plausible-time.js';

const RECEIVED = '2026-12-03T17:00:00.000Z';
const at = (ms: number) => new Date(Date.parse(RECEIVED) + ms).toISOString();
const MINUTE = 60_000;

describe('the time an event is counted at', () => {
  it('is the sender’s when it is recent: an Alertmanager endsAt 40 s before its delivery', () => {
    expect(plausibleTime(at(-40_000), { receivedAt: RECEIVED })).toEqual({ at: at(-40_000) });
    expect(plausibleTime(at(-50 * MINUTE), { receivedAt: RECEIVED })).toEqual({ at: at(-50 * MINUTE) });
  });

  it('is the receipt when the sender’s clock says something long ago, which is kept to show', () => {
    expect(plausibleTime('2025-09-16T16:55:00Z', { receivedAt: RECEIVED })).toEqual({
      at: RECEIVED,
      reported: '2025-09-16T16:55:00.000Z',
    });
    expect(plausibleTime(at(-SENDER_TIME_BOUND_MS - 1), { receivedAt: RECEIVED }).at).toBe(RECEIVED);
  });

  it('is the receipt when the sender’s time is ahead of it: far ahead is kept to show, within the skew is not', () => {
    expect(plausibleTime(at(10 * MINUTE), { receivedAt: RECEIVED })).toEqual({
      at: RECEIVED,
      reported: at(10 * MINUTE),
    });
    expect(plausibleTime(at(CLOCK_SKEW_MS), { receivedAt: RECEIVED })).toEqual({ at: RECEIVED });
  });

  it('is never before the task opened: a resolve dated before its task is counted at receipt', () => {
    const opened = at(-5 * MINUTE);
    expect(plausibleTime(at(-10 * MINUTE), { receivedAt: RECEIVED, notBefore: opened })).toEqual({
      at: RECEIVED,
      reported: at(-10 * MINUTE),
    });
    expect(plausibleTime(at(-4 * MINUTE), { receivedAt: RECEIVED, notBefore: opened })).toEqual({
      at: at(-4 * MINUTE),
    });
    // A re-driven delivery received before a later one opened the task: at the opening, not before it.
    expect(plausibleTime(undefined, { receivedAt: RECEIVED, notBefore: at(MINUTE) })).toEqual({
      at: at(MINUTE),
    });
  });

  it('is the receipt when the sender gave no time or one that is not a time', () => {
    expect(plausibleTime(undefined, { receivedAt: new Date(RECEIVED) })).toEqual({ at: RECEIVED });
    expect(plausibleTime('yesterday', { receivedAt: RECEIVED })).toEqual({ at: RECEIVED });
  });

  it('always lies within [max(opened, receipt − bound), receipt], and is the sender’s whenever that lies there', () => {
    const span = 3 * SENDER_TIME_BOUND_MS;
    fc.assert(
      fc.property(
        fc.integer({ min: -span, max: span }),
        fc.option(fc.integer({ min: -span, max: 0 }), { nil: undefined }),
        (said, opened) => {
          const notBefore = opened === undefined ? undefined : at(opened);
          const result = plausibleTime(at(said), {
            receivedAt: RECEIVED,
            ...(notBefore ? { notBefore } : {}),
          });
          const t = Date.parse(result.at) - Date.parse(RECEIVED);
          const lower = Math.max(opened ?? -Infinity, -SENDER_TIME_BOUND_MS);
          expect(t).toBeGreaterThanOrEqual(lower);
          expect(t).toBeLessThanOrEqual(0);
          expect(t).toBeLessThanOrEqual(CLOCK_SKEW_MS);
          if (said >= lower && said <= 0) expect(t).toBe(said);
          // What the sender said is shown exactly when it is more than the skew from the time counted.
          expect(result.reported !== undefined).toBe(Math.abs(said - t) > CLOCK_SKEW_MS);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
