import { beforeEach, describe, expect, it } from 'vitest';
import { contributionsOf, mergeContributions } from '../../src/core/aggregates/counters.js';
import { factsOf } from '../../src/core/aggregates/facts.js';
import { foldStats } from '../../src/core/aggregates/resolutions.js';
import type { TrendEpisode } from '../../src/core/aggregates/trends.js';
import type { AggregateStore } from '../../src/core/ports.js';
import { lifeOf } from '../helpers/changes.js';
import { aTask, T0 } from '../helpers/factories.js';

/** What every AggregateStore promises; run over the in-memory fake and the DynamoDB adapter on dynalite. */
export function aggregateStoreContract(name: string, makeStore: () => Promise<AggregateStore>): void {
  describe(`${name}: the AggregateStore contract`, () => {
    let store: AggregateStore;
    beforeEach(async () => {
      store = await makeStore();
    });

    const HOUR = '2026-03-02T09';
    const deltasOf = (changes: Parameters<typeof factsOf>[0][]) =>
      mergeContributions(changes.flatMap((c) => contributionsOf(factsOf(c))));
    const apply = async (changes: Parameters<typeof factsOf>[0][]) => {
      for (const delta of deltasOf(changes)) await store.applyCounters(delta);
    };
    const counters = async (scope: string) => (await store.hours(scope, HOUR, HOUR))[0]?.counters ?? {};

    it('adds a batch to its hourly items, and reads them back by scope and hours', async () => {
      const life = lifeOf(aTask({ id: 'TMS-1', fingerprint: 'fp-a', channel: 'C0PAYMENTS' })).occur(7, 3);
      await apply(life.changes);
      expect(await counters('fp:fp-a')).toMatchObject({
        events: 4,
        'slot.00': 1,
        'slot.05': 3,
        opened: 1,
        'opened.P2': 1,
      });
      expect(await counters('svc:checkout')).toMatchObject({ events: 4, 'task.TMS-1.events': 4 });
      const [channel] = await store.hours('ch:C0PAYMENTS', HOUR, HOUR);
      expect(channel?.sets).toEqual({ openedIds: ['TMS-1'] });
      expect(await store.hours('fp:fp-a', '2026-03-02T10', '2026-03-02T11')).toEqual([]);
      expect(await store.hours('fp:other', HOUR, HOUR)).toEqual([]);
    });

    it('counts a batch delivered twice once', async () => {
      const life = lifeOf(aTask({ id: 'TMS-2', fingerprint: 'fp-b' }))
        .occur(1)
        .occur(2);
      await apply(life.changes);
      const once = await store.hours('fp:fp-b', HOUR, HOUR);
      await apply(life.changes);
      expect(await store.hours('fp:fp-b', HOUR, HOUR)).toEqual(once);
      expect(once[0]?.counters.events).toBe(3);
    });

    it('counts only what an item has not counted when part of a batch came before', async () => {
      const life = lifeOf(aTask({ id: 'TMS-3', fingerprint: 'fp-c' }))
        .occur(1)
        .occur(2, 5);
      await apply(life.changes.slice(0, 2)); // the first attempt got this far
      await apply(life.changes); // the retry brings everything again
      expect((await counters('fp:fp-c')).events).toBe(7);
    });

    it('counts the changes of many tasks in one item once each', async () => {
      const changes = Array.from(
        { length: 45 },
        (_, i) => lifeOf(aTask({ id: `TMS-${100 + i}`, fingerprint: `many-${i}` })).occur(3).changes,
      ).flat();
      await apply(changes);
      await apply(changes);
      const all = await counters('all');
      expect(all.events).toBe(90);
      expect(all.opened).toBe(45);
    });

    it('folds statistics and keeps them, per key', async () => {
      const life = lifeOf(aTask({ id: 'TMS-4', fingerprint: 'fp-d' })).act(
        { type: 'resolve', resolution: 'Restarted the consumer' },
        12,
      );
      const key = { kind: 'issue' as const, service: 'checkout', issue: 'issue:consumer-lag' };
      const facts = life.changes.map(factsOf);
      const now = new Date(T0);
      await store.updateStats(key, (s) => foldStats(s, facts, now));
      await store.updateStats(key, (s) => foldStats(s, facts, now)); // delivered again
      const stats = await store.stats(key);
      expect(stats.resolved).toBe(1);
      expect(stats.ttr.total).toBe(1);
      expect(stats.lastTaskId).toBe('TMS-4');
      expect(await store.stats({ kind: 'service', service: 'checkout', priority: 'P1' })).toMatchObject({
        resolved: 0,
      });
      expect((await store.issueStats('checkout')).map((s) => [s.key, s.lastTaskId])).toEqual([
        [key, 'TMS-4'],
      ]);
      expect(await store.issueStats('billing')).toEqual([]);
    });

    it('counts openings in one write, each task once, and a later fold knows them counted', async () => {
      const key = { kind: 'issue' as const, service: 'checkout', issue: 'issue:disk-full' };
      const first = { taskId: 'TMS-11', version: 1, title: 'Disk full on db-1', times: 1 };
      const second = { taskId: 'TMS-12', version: 1, title: 'Disk full on db-2', times: 1 };
      expect(await store.countOpenings(key, [first], T0)).toBe(true);
      // The first delivered again with the second: refused whole, nothing written.
      expect(await store.countOpenings(key, [second, first], T0)).toBe(false);
      expect(await store.countOpenings(key, [second], T0)).toBe(true);
      expect(await store.stats(key)).toMatchObject({
        times: 2,
        title: 'Disk full on db-2',
        lastTaskId: 'TMS-12',
      });
      // TMS-11's whole life folded afterwards (its records delivered again): the opening is not counted twice.
      const life = lifeOf(aTask({ id: 'TMS-11', title: 'Disk full on db-1' })).act(
        { type: 'resolve', resolution: 'Rotated the logs' },
        9,
      );
      const facts = life.changes.map(factsOf);
      await store.updateStats(key, (s) => foldStats(s, facts, new Date(T0)), ['TMS-11']);
      expect(await store.stats(key)).toMatchObject({ times: 2, resolved: 1 });
      expect(await store.countOpenings(key, [first], T0)).toBe(false);
      expect((await store.stats(key)).times).toBe(2);
    });

    it('reads several statistics at once, in the order asked, empty where there are none', async () => {
      const issue = { kind: 'issue' as const, service: 'checkout', issue: 'issue:disk-full' };
      const service = { kind: 'service' as const, service: 'checkout', priority: 'P2' as const };
      const none = { kind: 'issue' as const, service: 'checkout', issue: 'generic:never' };
      await store.countOpenings(issue, [{ taskId: 'TMS-3', version: 1, title: 'Disk full', times: 1 }], T0);
      const [a, b, c] = await store.statsOf([service, issue, none]);
      expect([a?.key, b?.key, c?.key]).toEqual([service, issue, none]);
      expect([a?.times, b?.times, c?.times]).toEqual([0, 1, 0]);
    });

    it('lists the history of tasks from before issue keys (kept by fingerprint) beside issues', async () => {
      const resolved = (id: string) =>
        lifeOf(aTask({ id, fingerprint: 'generic:old' }))
          .act({ type: 'resolve', resolution: 'Cleared the cache' }, 7)
          .changes.map(factsOf);
      const old = { kind: 'issue' as const, service: 'search', issue: 'generic:old' };
      const now = new Date(T0);
      await store.updateStats(old, (s) => foldStats(s, resolved('TMS-8'), now));
      const key = { kind: 'issue' as const, service: 'search', issue: 'issue:0123' };
      await store.updateStats(key, (s) => foldStats(s, resolved('TMS-9'), now));
      const listed = (await store.issueStats('search')).map((s) => [s.key.kind === 'issue' && s.key.issue]);
      expect(listed.sort()).toEqual([['generic:old'], ['issue:0123']]);
    });

    it('lets two writers fold into the same statistics without losing either', async () => {
      const key = { kind: 'service' as const, service: 'checkout', priority: 'P2' as const };
      const now = new Date(T0);
      const resolved = (id: string) =>
        lifeOf(aTask({ id })).act({ type: 'resolve', resolution: null }, 5).changes.map(factsOf);
      await Promise.all([
        store.updateStats(key, (s) => foldStats(s, resolved('TMS-5'), now)),
        store.updateStats(key, (s) => foldStats(s, resolved('TMS-6'), now)),
      ]);
      expect((await store.stats(key)).resolved).toBe(2);
    });

    it('keeps one trend episode per scope: started, extended while it holds, started anew once over', async () => {
      const episode: TrendEpisode = {
        scope: 'fp:fp-e',
        kind: 'fingerprint',
        service: 'checkout',
        channel: 'C0CHECKOUT',
        taskId: 'TMS-7',
        title: 'Disk full',
        startedAt: '2026-03-02T09:00:00.000Z',
        lastHeldAt: '2026-03-02T09:00:00.000Z',
        recent: 6,
        expected: 0,
      };
      expect(await store.recordTrend(episode, '2026-03-02T08:00:00.000Z')).toBe('started');
      await store.markTrendPosted(episode.scope, episode.startedAt, '2026-03-02T09:00:01.000Z');
      const later = {
        ...episode,
        startedAt: '2026-03-02T09:30:00.000Z',
        lastHeldAt: '2026-03-02T09:30:00.000Z',
        recent: 9,
      };
      expect(await store.recordTrend(later, '2026-03-02T08:30:00.000Z')).toBe('ongoing');
      expect(await store.trends()).toEqual([
        { ...episode, lastHeldAt: later.lastHeldAt, recent: 9, postedAt: '2026-03-02T09:00:01.000Z' },
      ]);
      const next = {
        ...episode,
        startedAt: '2026-03-02T11:00:00.000Z',
        lastHeldAt: '2026-03-02T11:00:00.000Z',
      };
      expect(await store.recordTrend(next, '2026-03-02T10:00:00.000Z')).toBe('started');
      await store.markTrendPosted(episode.scope, episode.startedAt, '2026-03-02T11:00:05.000Z'); // the old one: no effect
      expect((await store.trends())[0]).toEqual(next);
    });

    it('remembers when a channel’s digest last went out, never moving it back', async () => {
      expect(await store.lastDigest('C0PAYMENTS')).toBeUndefined();
      await store.recordDigest('C0PAYMENTS', '2026-03-02T09:00:00.000Z');
      await store.recordDigest('C0PAYMENTS', '2026-03-01T09:00:00.000Z');
      expect(await store.lastDigest('C0PAYMENTS')).toBe('2026-03-02T09:00:00.000Z');
    });
  });
}
