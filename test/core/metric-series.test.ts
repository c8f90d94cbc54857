import { describe, expect, it } from 'vitest';
import { contributionsOf, mergeContributions, sumCounters } from '../../src/core/aggregates/counters.js';
import { factsOf } from '../../src/core/aggregates/facts.js';
import { windowMetrics } from '../../src/core/aggregates/metrics.js';
import { MAX_SERIES_POINTS, metricSeries, reportStep } from '../../src/core/use-cases/reports.js';
import { lifeOf } from '../helpers/changes.js';
import { aTask } from '../helpers/factories.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const at = (iso: string) => Date.parse(iso);

/** The hourly items of scope `all` as the aggregator writes them, folded from the tasks' changes. */
const hoursOf = (...lives: { changes: Parameters<typeof factsOf>[0][] }[]) =>
  mergeContributions(lives.flatMap((l) => l.changes.flatMap((c) => contributionsOf(factsOf(c))))).filter(
    (d) => d.scope === 'all',
  );

describe('a series of metrics over a window', () => {
  // A P2 alert acknowledged in time and resolved in an hour on 2 March; another opened late on 3 March,
  // acknowledged late (15 minutes is its deadline) before midnight and resolved after it.
  const a = lifeOf(aTask({ id: 'TMS-1', priority: 'P2' }, '2026-03-02T10:15:00.000Z'))
    .act({ type: 'acknowledge' }, 5)
    .act({ type: 'resolve', resolution: 'restarted' }, 60);
  const b = lifeOf(aTask({ id: 'TMS-2', priority: 'P2', fingerprint: 'other' }, '2026-03-03T23:30:00.000Z'))
    .act({ type: 'acknowledge' }, 20)
    .act({ type: 'resolve', resolution: null }, 90);
  const hours = hoursOf(a, b);
  // The window read from 12:00 on 1 March (its start's hour) to now, 06:20 on 4 March.
  const start = at('2026-03-01T12:00:00.000Z');
  const now = at('2026-03-04T06:20:00.000Z');

  it('cuts the hours read into days at UTC midnight, the first from the window’s start, the last to now', () => {
    const series = metricSeries(hours, start, now, DAY);
    expect(series.map((s) => [new Date(s.from).toISOString(), new Date(s.to).toISOString()])).toEqual([
      ['2026-03-01T12:00:00.000Z', '2026-03-02T00:00:00.000Z'],
      ['2026-03-02T00:00:00.000Z', '2026-03-03T00:00:00.000Z'],
      ['2026-03-03T00:00:00.000Z', '2026-03-04T00:00:00.000Z'],
      ['2026-03-04T00:00:00.000Z', '2026-03-04T06:20:00.000Z'],
    ]);
    const [quiet, first, late, after] = series.map((s) => s.metrics);
    // Nothing happened: zeros and nulls, a gap on a chart, still a point in time.
    expect(quiet).toMatchObject({ opened: 0, acknowledged: 0, resolved: 0, mttaMs: null, mttrMs: null });
    expect(quiet).toMatchObject({ mtbfMs: null, slaAdherence: null });
    expect(first).toMatchObject({
      opened: 1,
      acknowledged: 1,
      resolved: 1,
      mttaMs: 5 * MIN,
      mttrMs: 60 * MIN,
    });
    expect(first?.slaAdherence).toBe(1);
    // One failure in the day, down for the hour it took to resolve.
    expect(first?.mtbfMs).toBe(DAY - HOUR);
    expect(late).toMatchObject({ opened: 1, acknowledged: 1, resolved: 0, mttaMs: 20 * MIN, mttrMs: null });
    expect(late?.slaAdherence).toBe(0);
    expect(after).toMatchObject({ opened: 0, resolved: 1, mttrMs: 90 * MIN, mtbfMs: null, slaAdherence: 1 });
    // The last bucket covers the 6 h 20 min up to now, not a day.
    expect(after?.windowMs).toBe(6 * HOUR + 20 * MIN);
  });

  it('adds up to the window’s own figures: every hour read is in one bucket, none twice', () => {
    const whole = windowMetrics(sumCounters(hours), now - start);
    for (const step of [HOUR, 6 * HOUR, DAY]) {
      const series = metricSeries(hours, start, now, step);
      for (const field of ['opened', 'acknowledged', 'resolved', 'slaMet', 'slaMissed', 'failures'] as const)
        expect(
          series.reduce((sum, s) => sum + s.metrics[field], 0),
          `${field} by ${step / HOUR} h`,
        ).toBe(whole[field]);
      expect(series.reduce((sum, s) => sum + (s.to - s.from), 0)).toBe(now - start);
    }
  });

  it('starts 6-hour buckets at 00, 06, 12 and 18 UTC, and hourly ones on each hour', () => {
    const from = at('2026-03-02T08:00:00.000Z');
    const six = metricSeries(hours, from, at('2026-03-02T20:05:00.000Z'), 6 * HOUR);
    expect(six.map((s) => new Date(s.from).toISOString().slice(11, 16))).toEqual(['08:00', '12:00', '18:00']);
    // The alert of 10:15 and its ack, its resolution at 11:15: all in the first bucket, 08:00 to 12:00.
    expect(six.map((s) => s.metrics.resolved)).toEqual([1, 0, 0]);
    const hourly = metricSeries(hours, from, at('2026-03-02T12:00:00.000Z'), HOUR);
    expect(hourly.map((s) => [s.metrics.opened, s.metrics.resolved])).toEqual([
      [0, 0],
      [0, 0],
      [1, 0],
      [0, 1],
    ]);
  });

  it('leaves out hours outside the window, should a store answer more than it was asked', () => {
    const from = at('2026-03-03T00:00:00.000Z');
    const series = metricSeries(hours, from, at('2026-03-03T23:00:00.000Z'), DAY);
    expect(series).toHaveLength(1);
    // The 23:30 alert is after this window's end; 2 March's before its start.
    expect(series[0]?.metrics.opened).toBe(0);
  });
});

describe('a series’ step', () => {
  it('is 1h, 6h or 1d, case-blind', () => {
    expect(reportStep('1h', 7 * DAY)).toEqual({ stepMs: HOUR });
    expect(reportStep('6H', 7 * DAY)).toEqual({ stepMs: 6 * HOUR });
    expect(reportStep('1d', 90 * DAY)).toEqual({ stepMs: DAY });
    for (const text of ['2h', '30m', '1w', '24h', '', 'constructor', '__proto__', 'hasOwnProperty'])
      expect(reportStep(text, DAY), text).toEqual({ reason: 'not a step: 1h, 6h, 1d' });
  });

  it(`cuts a window in at most ${MAX_SERIES_POINTS} points`, () => {
    expect(reportStep('1h', (MAX_SERIES_POINTS * HOUR) as number)).toEqual({ stepMs: HOUR });
    expect(reportStep('1h', 9 * DAY)).toEqual({
      reason: `1h cuts the window in more than ${MAX_SERIES_POINTS} points: take a longer step or a shorter window`,
    });
    expect(reportStep('6h', 90 * DAY)).toMatchObject({ reason: expect.stringContaining('more than 200') });
  });
});
