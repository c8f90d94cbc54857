import { describe, expect, it } from 'vitest';
import { factsOf } from '../../../src/core/aggregates/facts.js';
import {
  APPLIED_FOR_MS,
  commonFixes,
  emptyStats,
  foldStats,
  normalizeNote,
  readableDuration,
  resolveTimeAt,
  statsKeysOf,
  suggestionOf,
  typicalTime,
  usualResolvers,
  warningLevel,
} from '../../../src/core/aggregates/resolutions.js';
import { slaClock } from '../../../src/core/sla.js';
import { lifeOf } from '../../helpers/changes.js';
import { aTask, T0 } from '../../helpers/factories.js';

const MIN = 60_000;
const key = { kind: 'issue' as const, service: 'checkout', issue: 'issue:consumer-lag' };
const now = new Date(T0);

/** A task of the issue resolved `minutes` after it opened, by `by`, with `note`. */
const resolved = (id: string, minutes: number, note: string | null, by = 'U01AAA') =>
  lifeOf(aTask({ id, fingerprint: `generic:${id}`, issueKey: key.issue }))
    .act({ type: 'acknowledge' }, 2, 'U01BBB')
    .act({ type: 'resolve', resolution: note }, minutes, by)
    .changes.map(factsOf);

describe('the history a change is counted in', () => {
  const timed = (task: ReturnType<typeof aTask>) =>
    statsKeysOf(
      factsOf(lifeOf(task).act({ type: 'resolve', resolution: 'done' }, 5).changes.at(-1) as never),
    );

  it('is its issue’s (whatever its dedup key), and its service’s at its priority', () => {
    const task = aTask({ fingerprint: 'generic:a1b2', issueKey: 'issue:lag' });
    expect(timed(task)).toEqual([
      { kind: 'issue', service: 'checkout', issue: 'issue:lag' },
      { kind: 'service', service: 'checkout', priority: 'P2' },
    ]);
  });

  it('is its fingerprint’s for a task written before issue keys, where its history was kept', () => {
    expect(timed(aTask({ fingerprint: 'generic:a1b2', issueKey: undefined }))[0]).toEqual({
      kind: 'issue',
      service: 'checkout',
      issue: 'generic:a1b2',
    });
  });
});

describe('resolution statistics', () => {
  const history = [
    ...resolved('TMS-1', 10, 'Restarted the consumer.'),
    ...resolved('TMS-2', 14, 'restarted the  consumer'),
    ...resolved('TMS-3', 12, 'Restarted the consumer', 'U01BBB'),
    ...resolved('TMS-4', 45, 'Scaled the partition up'),
  ];
  const stats = foldStats(emptyStats(key), history, now);

  it('count tasks, times to acknowledge and resolve, and who resolved', () => {
    expect([stats.times, stats.resolved, stats.autoResolved]).toEqual([4, 4, 0]);
    expect(stats.tta.total).toBe(4);
    expect(stats.ttr.total).toBe(4);
    expect(usualResolvers(stats)).toEqual([
      { user: 'U01AAA', count: 3 },
      { user: 'U01BBB', count: 1 },
    ]);
    expect(resolveTimeAt(stats, 0.5)).toBeGreaterThanOrEqual(10 * MIN);
    expect(resolveTimeAt(stats, 0.5)).toBeLessThanOrEqual(15 * MIN);
  });

  it('tell the same fix written differently apart from another, keeping how it was last written', () => {
    expect(normalizeNote(' Restarted  the Consumer. ')).toBe('restarted the consumer');
    expect(commonFixes(stats)).toEqual([
      { note: 'Restarted the consumer', count: 3 },
      { note: 'Scaled the partition up', count: 1 },
    ]);
  });

  it('count fixes by how often they were surely seen once the list is full: a newcomer never inherits a count', () => {
    // Ten different notes once each fill the top-K; then "restart" three times; then one more one-off.
    const notes = [
      ...Array.from({ length: 10 }, (_, i) => `one-off ${i}`),
      'restart',
      'restart',
      'restart',
      'late one-off',
    ];
    const folded = foldStats(
      emptyStats(key),
      notes.flatMap((note, i) => resolved(`TMS-${200 + i}`, 10, note)),
      now,
    );
    const fixes = commonFixes(folded, 10);
    expect(fixes[0]).toEqual({ note: 'restart', count: 3 });
    // It took the place of a note seen once, and is shown as seen once, not as often as that one and itself.
    expect(fixes.find((f) => f.note === 'late one-off')).toEqual({ note: 'late one-off', count: 1 });
  });

  it('keep a source’s recovery text out of the fixes', () => {
    const bySource = foldStats(emptyStats(key), resolved('TMS-300', 5, 'Alert recovered', 'generic'), now);
    expect(commonFixes(bySource)).toEqual([]);
    expect(suggestionOf(bySource)).toBe('Last time: it recovered by itself — median 5 min');
  });

  it('count a record delivered again once, and forget delivered changes once they cannot come again', () => {
    expect(foldStats(stats, history, now)).toEqual(stats);
    const later = new Date(now.getTime() + APPLIED_FOR_MS + MIN);
    expect(Object.keys(foldStats(stats, [], later).applied)).toEqual([]);
  });

  it('suggest what fixed the alert before, with the median time', () => {
    expect(suggestionOf(stats)).toMatch(/^Last 3 times: Restarted the consumer — median 1\d min$/);
    expect(suggestionOf(emptyStats(key))).toBeNull();
    const once = foldStats(emptyStats(key), resolved('TMS-9', 30, null, 'generic'), now);
    expect(suggestionOf(once)).toBe('Last time: it recovered by itself — median 30 min');
  });

  it('read durations as people say them', () => {
    expect([
      readableDuration(40_000),
      readableDuration(12 * MIN),
      readableDuration(90 * MIN),
      readableDuration(24 * 60 * MIN),
      readableDuration(3 * 24 * 60 * MIN),
    ]).toEqual(['40 s', '12 min', '1.5 h', '24 h', '3 d']);
  });
});

describe('predicted SLA risk', () => {
  const issue = foldStats(
    emptyStats(key),
    [...resolved('TMS-1', 40, null), ...resolved('TMS-2', 50, null), ...resolved('TMS-3', 55, null)],
    now,
  );
  const service = emptyStats({ kind: 'service', service: 'checkout', priority: 'P2' });

  it('takes the 75th percentile of the issue, else of the service at the priority, once three are done', () => {
    const typical = typicalTime({ issue, service }, 'resolve');
    expect(typical?.basis).toBe('issue');
    expect(typical?.ms).toBeGreaterThanOrEqual(45 * MIN);
    expect(typical?.ms).toBeLessThanOrEqual(55 * MIN);
    const two = foldStats(
      emptyStats(key),
      [...resolved('TMS-1', 40, null), ...resolved('TMS-2', 50, null)],
      now,
    );
    expect(typicalTime({ issue: two, service }, 'resolve')).toBeNull();
    expect(typicalTime({ issue: two, service: issue }, 'resolve')?.basis).toBe('service');
  });

  it('warns when less time is left than similar tasks took, before the clock itself says at risk', () => {
    // A P1: an hour to resolve; similar ones took about 50 minutes.
    const task = { ...aTask({ priority: 'P1' }), acknowledgedAt: T0 };
    const typical = typicalTime({ issue, service }, 'resolve')?.ms;
    const early = slaClock(task, 'resolve', new Date(now.getTime() + 5 * MIN));
    const later = slaClock(task, 'resolve', new Date(now.getTime() + 20 * MIN));
    expect(warningLevel(early, typical)).toBeUndefined();
    expect(later.state).toBe('ok');
    expect(warningLevel(later, typical)).toEqual({ state: 'at_risk', typicalMs: typical });
    expect(warningLevel(slaClock(task, 'resolve', new Date(now.getTime() + 50 * MIN)), undefined)).toEqual({
      state: 'at_risk',
    });
    expect(warningLevel(slaClock(task, 'resolve', new Date(now.getTime() + 61 * MIN)), typical)).toEqual({
      state: 'breached',
    });
  });
});
