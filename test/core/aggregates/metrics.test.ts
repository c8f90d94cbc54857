import { describe, expect, it } from 'vitest';
import {
  contributionsOf,
  hourOf,
  mergeContributions,
  perService,
  perTask,
  reportChannels,
  sumCounters,
} from '../../../src/core/aggregates/counters.js';
import { factsOf } from '../../../src/core/aggregates/facts.js';
import { windowMetrics } from '../../../src/core/aggregates/metrics.js';
import { lifeOf } from '../../helpers/changes.js';
import { aTask, config } from '../../helpers/factories.js';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;

/** The window's counters as the store would hold them, folded from the changes. */
const totalOf = (changes: Parameters<typeof factsOf>[0][]) =>
  sumCounters(
    mergeContributions(changes.flatMap((c) => contributionsOf(factsOf(c)))).filter((d) => d.scope === 'all'),
  );

describe('metrics over a window', () => {
  // Two P2 alerts (15 min to ack, 4 h to resolve) and a P1 (5 min / 1 h), on one day.
  const a = lifeOf(aTask({ id: 'TMS-1', priority: 'P2' }))
    .act({ type: 'acknowledge' }, 4)
    .act({ type: 'resolve', resolution: 'restarted' }, 60);
  const b = lifeOf(aTask({ id: 'TMS-2', priority: 'P2', fingerprint: 'other' }))
    .act({ type: 'claim' }, 20) // late: 15 minutes to acknowledge
    .act({ type: 'resolve', resolution: null }, 120, 'generic');
  const c = lifeOf(aTask({ id: 'TMS-3', priority: 'P1', fingerprint: 'third' })).occur(2, 9);
  const total = totalOf([...a.changes, ...b.changes, ...c.changes]);

  it('MTTA over what people acknowledged, MTTR over what was resolved', () => {
    const m = windowMetrics(total, DAY);
    expect(m.acknowledged).toBe(2);
    expect(m.mttaMs).toBe(12 * MIN);
    expect(m.resolved).toBe(2);
    expect(m.mttrMs).toBe(90 * MIN);
    expect(m.autoResolved).toBe(1);
    expect(m.events).toBe(12); // 1 + 1 + (1 + 9)
  });

  it('MTBF: the window less the time alerts took to resolve, over the failures', () => {
    const m = windowMetrics(total, DAY);
    expect(m.failures).toBe(3);
    expect(m.mtbfMs).toBe((DAY - 180 * MIN) / 3);
  });

  it('SLA adherence: stages done in time over stages done', () => {
    // a: ack met, resolve met; b: ack missed, resolve met. c is not done.
    const m = windowMetrics(total, DAY);
    expect([m.slaMet, m.slaMissed]).toEqual([3, 1]);
    expect(m.slaAdherence).toBe(0.75);
  });

  it('per priority', () => {
    const p1 = windowMetrics(total, DAY, 'P1');
    expect([p1.opened, p1.acknowledged, p1.mttaMs, p1.slaAdherence]).toEqual([1, 0, null, null]);
    expect(windowMetrics(total, DAY, 'P2').mttaMs).toBe(12 * MIN);
  });

  it('leaves an acknowledgement by the source out of MTTA, but not out of SLA adherence', () => {
    const bySource = lifeOf(aTask({ id: 'TMS-5', priority: 'P2' })).act(
      { type: 'acknowledge' },
      30,
      'generic',
    );
    expect(windowMetrics(totalOf(bySource.changes), DAY)).toMatchObject({
      acknowledged: 0,
      mttaMs: null,
      slaMissed: 1,
    });
  });

  it('counts a reopen of an alert as another failure', () => {
    const flapping = lifeOf(aTask({ id: 'TMS-4' }))
      .act({ type: 'resolve', resolution: null }, 10, 'generic')
      .act({ type: 'reopen', flap: true }, 12, 'generic');
    expect(windowMetrics(totalOf(flapping.changes), DAY)).toMatchObject({
      failures: 2,
      flaps: 1,
      reopened: 1,
    });
  });

  it('has no means for an empty window', () => {
    expect(windowMetrics({}, DAY)).toMatchObject({
      mttaMs: null,
      mttrMs: null,
      mtbfMs: null,
      slaAdherence: null,
    });
  });
});

describe('hourly contributions', () => {
  it('go to the fingerprint, service, channel (and its team’s) and all, each in the hour of the fact', () => {
    const life = lifeOf(aTask({ id: 'TMS-9', channel: 'C0CHECKOUT', team: 'payments' })).occur(75);
    const channels = reportChannels(life.task, config);
    expect(channels).toEqual(['C0CHECKOUT', 'C0PAYMENTS']);
    const deltas = mergeContributions(life.changes.flatMap((c) => contributionsOf(factsOf(c), channels)));
    expect(deltas.map((d) => `${d.scope}@${d.hour}`).sort()).toEqual(
      [
        'all@2026-03-02T09',
        'all@2026-03-02T10',
        'ch:C0CHECKOUT@2026-03-02T09',
        'ch:C0CHECKOUT@2026-03-02T10',
        'ch:C0PAYMENTS@2026-03-02T09',
        'ch:C0PAYMENTS@2026-03-02T10',
        'fp:generic:checkout-latency@2026-03-02T09',
        'fp:generic:checkout-latency@2026-03-02T10',
        'svc:checkout@2026-03-02T09',
        'svc:checkout@2026-03-02T10',
      ].sort(),
    );
    const tenAm = deltas.find((d) => d.scope === 'svc:checkout' && d.hour === hourOf('2026-03-02T10:15:00Z'));
    expect(tenAm?.counters).toEqual({ events: 1, 'slot.15': 1, 'task.TMS-9.events': 1 });
    expect(tenAm?.tasks).toEqual({ 'TMS-9': 2 });
  });

  it('rank tasks and services by events', () => {
    const total = {
      'task.TMS-1.events': 3,
      'task.TMS-2.events': 9,
      'service.checkout.events': 4,
      'service.api.events': 5,
    };
    expect(perTask(total, 'events')).toEqual([
      { taskId: 'TMS-2', count: 9 },
      { taskId: 'TMS-1', count: 3 },
    ]);
    expect(perService(total).map((s) => s.service)).toEqual(['api', 'checkout']);
  });
});
