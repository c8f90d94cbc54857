import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { applyAction } from '../../src/core/lifecycle.js';
import { type OccurrenceEntry, type RawEvent, rawOrder, type TaskStore } from '../../src/core/ports.js';
import { stamp } from '../../src/core/timeline.js';
import { aTask, slack, T0 } from '../helpers/factories.js';

/**
 * What every TaskStore promises. Runs over the in-memory fake and over the DynamoDB adapter on dynalite,
 * so the fake the unit tests rely on behaves like the real store.
 */
export function taskStoreContract(name: string, makeStore: () => Promise<TaskStore>): void {
  describe(`${name}: the TaskStore contract`, () => {
    let store: TaskStore;
    beforeEach(async () => {
      store = await makeStore();
    });

    const opened = (fields: Parameters<typeof aTask>[0]) => {
      const task = aTask(fields);
      return {
        task,
        entries: stamp(
          task.id,
          1,
          [
            {
              type: 'opened',
              title: task.title,
              priority: task.priority,
              service: task.service,
              assignee: task.assignee,
            },
          ],
          {
            actor: { type: 'source', id: 'generic' },
            via: 'ingest',
            now: new Date(T0),
          },
        ),
      };
    };

    it('hands out task numbers in sequence, each once, even when asked at the same moment', async () => {
      // Act
      const numbers = await Promise.all(Array.from({ length: 20 }, () => store.nextTaskNumber()));
      // Assess
      expect([...numbers].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    });

    it('stores a task as given and refuses a second task with the same id', async () => {
      const { task, entries } = opened({ id: 'TMS-7', assignee: 'U0ANA', labels: { env: 'prod' } });
      expect(await store.create(task, entries)).toBe('created');
      expect(await store.get('TMS-7')).toEqual(task);
      expect(await store.create({ ...task, title: 'other' }, entries)).toBe('exists');
      expect((await store.get('TMS-7'))?.title).toBe(task.title);
      expect(await store.get('TMS-8')).toBeUndefined();
    });

    it('saves only over the version it read, so of two writers of one version exactly one wins', async () => {
      const { task, entries } = opened({ id: 'TMS-1' });
      await store.create(task, entries);
      const claimA = applyAction(task, { type: 'claim' }, slack('U0ANA'));
      const claimB = applyAction(task, { type: 'claim' }, slack('U0BEN'));
      if (!claimA.ok || !claimB.ok) throw new Error('claims should apply to an open task');
      // Act
      const outcomes = await Promise.all([
        store.save(claimA.value.task, claimA.value.entries, 1),
        store.save(claimB.value.task, claimB.value.entries, 1),
      ]);
      // Assess
      expect([...outcomes].sort()).toEqual(['conflict', 'saved']);
      const stored = await store.get('TMS-1');
      expect(stored?.version).toBe(2);
      expect(stored?.assignee).toBe(outcomes[0] === 'saved' ? 'U0ANA' : 'U0BEN');
      expect(await store.save({ ...task, version: 2 }, [], 1)).toBe('conflict');
    });

    it('keeps every change in the timeline, oldest first', async () => {
      const { task, entries } = opened({ id: 'TMS-3' });
      await store.create(task, entries);
      const claimed = applyAction(task, { type: 'claim' }, slack('U0ANA'));
      if (!claimed.ok) throw claimed.error;
      await store.save(claimed.value.task, claimed.value.entries, 1);
      const resolved = applyAction(
        claimed.value.task,
        { type: 'resolve', resolution: 'restarted pods' },
        slack('U0ANA'),
      );
      if (!resolved.ok) throw resolved.error;
      await store.save(resolved.value.task, resolved.value.entries, 2);
      // Assess
      const timeline = await store.timeline('TMS-3');
      expect(timeline.map((e) => e.type)).toEqual(['opened', 'assigned', 'acknowledged', 'resolved']);
      expect(timeline.map((e) => [e.version, e.seq])).toEqual([
        [1, 0],
        [2, 0],
        [2, 1],
        [3, 0],
      ]);
      // Only what changed after a version: how a card's thread catches up without rereading the history.
      expect((await store.timeline('TMS-3', 1)).map((e) => e.type)).toEqual([
        'assigned',
        'acknowledged',
        'resolved',
      ]);
      expect(await store.timeline('TMS-3', 3)).toEqual([]);
    });

    it('counts occurrences of an open task atomically: a storm of one alert never conflicts', async () => {
      const { task, entries } = opened({ id: 'TMS-5', lastSeenAt: T0 });
      await store.create(task, entries);
      const later = (s: number) => new Date(Date.parse(T0) + s * 1000).toISOString();
      // Act
      const counted = await Promise.all(
        Array.from({ length: 15 }, (_, i) => store.recordOccurrence('TMS-5', later(i + 1), later(20))),
      );
      // Assess
      expect(counted.every(Boolean)).toBe(true);
      expect(new Set(counted.map((t) => (typeof t === 'object' ? t.version : t))).size).toBe(15);
      expect(await store.get('TMS-5')).toMatchObject({
        occurrences: 16,
        version: 16,
        lastSeenAt: later(15),
        updatedAt: later(20),
      });
      // An older occurrence counts but does not move last seen back.
      expect(await store.recordOccurrence('TMS-5', later(-60), later(21))).toMatchObject({
        occurrences: 17,
        lastSeenAt: later(15),
      });
      const current = (await store.get('TMS-5')) ?? expect.fail('TMS-5 exists');
      await store.save({ ...current, status: 'resolved', version: 18 }, [], 17);
      expect(await store.recordOccurrence('TMS-5', later(30), later(30))).toBeUndefined();
      expect(await store.recordOccurrence('TMS-404', later(30), later(30))).toBeUndefined();
      expect((await store.get('TMS-5'))?.occurrences).toBe(17);
    });

    it('counts an occurrence once however many deliveries carry it, even at the same moment', async () => {
      const { task, entries } = opened({ id: 'TMS-6', lastSeenAt: T0 });
      await store.create(task, entries);
      const later = (s: number) => new Date(Date.parse(T0) + s * 1000).toISOString();
      // Act: five copies of run 41 race (the run and its jobs, or two HA peers), then run 42 arrives.
      const copies = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          store.recordOccurrence('TMS-6', later(i + 1), later(10), 'run-41'),
        ),
      );
      const next = await store.recordOccurrence('TMS-6', later(11), later(11), 'run-42');
      // Assess
      expect(copies.filter((c) => c === 'repeat')).toHaveLength(4);
      expect(next).toMatchObject({ occurrences: 3, occurrenceKey: 'run-42' });
      expect(await store.recordOccurrence('TMS-6', later(12), later(12), 'run-42')).toBe('repeat');
      expect((await store.get('TMS-6'))?.occurrences).toBe(3);
    });

    it('writes an occurrence and its timeline entry in one write, stamped with the version and count it made', async () => {
      const { task, entries } = opened({ id: 'TMS-8', lastSeenAt: T0 });
      await store.create(task, entries);
      const later = (s: number) => new Date(Date.parse(T0) + s * 1000).toISOString();
      const entry = (delivery: string, at: string): OccurrenceEntry => ({
        type: 'occurred',
        taskId: 'TMS-8',
        at,
        actor: { type: 'source', id: 'generic' },
        via: 'ingest',
        delivery,
        summary: `seen by ${delivery}`,
      });
      // Act: three racing occurrences and one more
      await Promise.all(
        [1, 2, 3].map((i) =>
          store.recordOccurrence('TMS-8', later(i), later(i), undefined, entry(`generic#d${i}#0`, later(i))),
        ),
      );
      const fourth = await store.recordOccurrence(
        'TMS-8',
        later(4),
        later(4),
        undefined,
        entry('generic#d4#0', later(4)),
      );
      // Assess
      expect(fourth).toMatchObject({ occurrences: 5, version: 5 });
      const occurred = (await store.timeline('TMS-8')).filter((e) => e.type === 'occurred');
      expect(occurred.map((e) => [e.version, e.type === 'occurred' && e.occurrences])).toEqual([
        [2, 2],
        [3, 3],
        [4, 4],
        [5, 5],
      ]);
      expect(occurred.map((e) => e.delivery).sort()).toEqual([
        'generic#d1#0',
        'generic#d2#0',
        'generic#d3#0',
        'generic#d4#0',
      ]);
      expect(occurred.at(-1)).toMatchObject({
        delivery: 'generic#d4#0',
        summary: 'seen by generic#d4#0',
        seq: 0,
      });
    });

    it("finds a delivery among a task's changes, newest first and no further back than asked", async () => {
      const ctx = (delivery: string, s: number) => ({
        actor: { type: 'source' as const, id: 'generic' },
        via: 'ingest' as const,
        now: new Date(Date.parse(T0) + s * 1000),
        delivery,
      });
      const task = aTask({ id: 'TMS-9' });
      await store.create(
        task,
        stamp(
          'TMS-9',
          1,
          [
            {
              type: 'opened',
              title: task.title,
              priority: task.priority,
              service: task.service,
              assignee: null,
            },
          ],
          ctx('generic#open#0', 0),
        ),
      );
      for (let i = 1; i <= 30; i++) {
        const at = new Date(Date.parse(T0) + i * 1000).toISOString();
        await store.recordOccurrence('TMS-9', at, at, undefined, {
          type: 'occurred',
          taskId: 'TMS-9',
          at,
          actor: { type: 'source', id: 'generic' },
          via: 'ingest',
          delivery: `generic#d${i}#0`,
        });
      }
      const since = (s: number) => new Date(Date.parse(T0) + s * 1000).toISOString();
      expect(await store.hasDelivery('TMS-9', 'generic#d30#0', since(0))).toBe(true); // the latest change
      expect(await store.hasDelivery('TMS-9', 'generic#d3#0', since(0))).toBe(true);
      expect(await store.hasDelivery('TMS-9', 'generic#open#0', since(0))).toBe(true);
      expect(await store.hasDelivery('TMS-9', 'generic#d3#0', since(10))).toBe(false); // older than asked
      expect(await store.hasDelivery('TMS-9', 'generic#d31#0', since(0))).toBe(false);
      expect(await store.hasDelivery('TMS-404', 'generic#d3#0', since(0))).toBe(false);
    });

    describe('listing', () => {
      beforeEach(async () => {
        // 12 tasks: statuses cycle, two services, two assignees.
        const statuses = ['open', 'acknowledged', 'in_progress', 'resolved'] as const;
        for (let n = 1; n <= 12; n++) {
          const { task, entries } = opened({
            id: `TMS-${n}`,
            status: statuses[n % 4],
            service: n % 3 === 0 ? 'search' : 'checkout',
            assignee: n % 2 === 0 ? 'U0ANA' : n % 5 === 0 ? 'U0BEN' : null,
          });
          await store.create(task, entries);
        }
      });

      const ids = (tasks: { id: string }[]) => tasks.map((t) => Number(t.id.slice(4)));

      it('lists newest first, by status, service and assignee alone or together', async () => {
        expect(ids((await store.list({ limit: 50 })).tasks)).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
        expect(ids((await store.list({ limit: 50, statuses: ['open'] })).tasks)).toEqual([12, 8, 4]);
        expect(
          ids((await store.list({ limit: 50, statuses: ['open', 'acknowledged', 'in_progress'] })).tasks),
        ).toEqual([12, 10, 9, 8, 6, 5, 4, 2, 1]);
        expect(ids((await store.list({ limit: 50, statuses: ['resolved'] })).tasks)).toEqual([11, 7, 3]);
        expect(ids((await store.list({ limit: 50, service: 'search' })).tasks)).toEqual([12, 9, 6, 3]);
        expect(ids((await store.list({ limit: 50, service: 'search', statuses: ['open'] })).tasks)).toEqual([
          12,
        ]);
        expect(ids((await store.list({ limit: 50, assignee: 'U0ANA' })).tasks)).toEqual([12, 10, 8, 6, 4, 2]);
        expect(ids((await store.list({ limit: 50, assignee: 'U0BEN' })).tasks)).toEqual([5]);
        expect(ids((await store.list({ limit: 50, assignee: 'U0ANA', service: 'checkout' })).tasks)).toEqual([
          10, 8, 4, 2,
        ]);
        expect(
          ids(
            (await store.list({ limit: 50, assignee: 'U0ANA', service: 'search', statuses: ['in_progress'] }))
              .tasks,
          ),
        ).toEqual([6]);
        expect((await store.list({ limit: 50, service: 'nothing-here' })).tasks).toEqual([]);
      });

      it('pages through every match exactly once, with a null cursor on the last page', async () => {
        for (const query of [
          {},
          { statuses: ['open', 'acknowledged', 'in_progress'] as const },
          { assignee: 'U0ANA' },
        ]) {
          const seen: number[] = [];
          let before: number | null = null;
          let pages = 0;
          do {
            const page = await store.list({ ...query, limit: 4, before });
            expect(page.tasks.length).toBeLessThanOrEqual(4);
            seen.push(...ids(page.tasks));
            before = page.next;
            pages++;
          } while (before !== null && pages < 10);
          const all = ids((await store.list({ ...query, limit: 100 })).tasks);
          expect(seen).toEqual(all);
          expect(pages).toBe(Math.ceil(all.length / 4));
        }
      });

      it('follows a task to its new status, service and assignee when it changes', async () => {
        const task = (await store.get('TMS-8')) ?? expect.fail('TMS-8 exists');
        await store.save(
          { ...task, status: 'resolved', assignee: 'U0BEN', service: 'search', version: 2 },
          [],
          1,
        );
        expect(ids((await store.list({ limit: 50, statuses: ['open'] })).tasks)).toEqual([12, 4]);
        expect(ids((await store.list({ limit: 50, assignee: 'U0ANA' })).tasks)).not.toContain(8);
        expect(ids((await store.list({ limit: 50, assignee: 'U0BEN' })).tasks)).toEqual([8, 5]);
        expect(ids((await store.list({ limit: 50, service: 'search' })).tasks)).toEqual([12, 9, 8, 6, 3]);
      });
    });

    describe('the fingerprint index', () => {
      const later = (s: number) => new Date(Date.parse(T0) + s * 1000).toISOString();

      it('gives a claim to one writer, binds it to a task and releases it on resolve', async () => {
        expect(await store.claimFingerprint('fp', 'a', T0, later(-10))).toEqual({
          fingerprint: 'fp',
          claim: 'a',
          claimedAt: T0,
        });
        expect(await store.claimFingerprint('fp', 'b', later(1), later(-9))).toBeUndefined();
        expect(await store.bindFingerprint('fp', 'b', 'TMS-9')).toBe(false);
        expect(await store.bindFingerprint('fp', 'a', 'TMS-1')).toBe(true);
        expect(await store.fingerprint('fp')).toEqual({ fingerprint: 'fp', openTaskId: 'TMS-1' });
        // An open task holds the fingerprint however old it is.
        expect(await store.claimFingerprint('fp', 'c', later(3600), later(3590))).toBeUndefined();

        await store.releaseFingerprint('fp', 'TMS-99', later(5)); // not its task: nothing happens
        expect((await store.fingerprint('fp'))?.openTaskId).toBe('TMS-1');
        await store.releaseFingerprint('fp', 'TMS-1', later(5));
        expect(await store.fingerprint('fp')).toEqual({
          fingerprint: 'fp',
          lastTaskId: 'TMS-1',
          lastResolvedAt: later(5),
        });
        expect(await store.claimFingerprint('fp', 'd', later(6), later(-4))).toEqual({
          fingerprint: 'fp',
          claim: 'd',
          claimedAt: later(6),
          lastTaskId: 'TMS-1',
          lastResolvedAt: later(5),
        });
      });

      it('lets a claim whose writer died be taken over once it is stale, and drops a claim on request', async () => {
        expect(await store.claimFingerprint('fp', 'a', T0, later(-10))).toEqual({
          fingerprint: 'fp',
          claim: 'a',
          claimedAt: T0,
        });
        expect(await store.claimFingerprint('fp', 'b', later(11), later(1))).toMatchObject({ claim: 'b' });
        expect(await store.bindFingerprint('fp', 'a', 'TMS-1')).toBe(false);
        await store.dropClaim('fp', 'a'); // not the holder: nothing happens
        expect((await store.fingerprint('fp'))?.claim).toBe('b');
        await store.dropClaim('fp', 'b');
        expect(await store.fingerprint('fp')).toEqual({ fingerprint: 'fp' });
        expect(await store.fingerprint('unknown')).toBeUndefined();
      });
    });

    describe('the raw event archive', () => {
      const event = (deliveryId: string, receivedAt: string): RawEvent => ({
        source: 'github',
        deliveryId,
        receivedAt,
        headers: { 'x-github-event': 'workflow_run' },
        body: '{"action":"completed"}',
        expiresAt: '2026-04-01T00:00:00.000Z',
      });

      it('archives a delivery once and lists the unprocessed ones oldest first', async () => {
        expect(await store.archiveRaw(event('d2', '2026-03-02T09:00:02.000Z'))).toBe('archived');
        expect(await store.archiveRaw(event('d1', '2026-03-02T09:00:01.000Z'))).toBe('archived');
        expect(await store.archiveRaw(event('d3', '2026-03-02T09:00:03.000Z'))).toBe('archived');
        expect(await store.archiveRaw(event('d1', '2026-03-02T09:05:00.000Z'))).toBe('duplicate');
        expect(await store.getRaw('github', 'd1')).toEqual(event('d1', '2026-03-02T09:00:01.000Z'));

        await store.markRawProcessed('github', 'd2', '2026-03-02T09:00:05.000Z', ['TMS-4']);
        const pending = await store.unprocessedRaw('2026-03-02T09:10:00.000Z', 10);
        expect(pending.map((e) => e.deliveryId)).toEqual(['d1', 'd3']);
        expect((await store.unprocessedRaw('2026-03-02T09:00:02.500Z', 10)).map((e) => e.deliveryId)).toEqual(
          ['d1'],
        );
        expect((await store.getRaw('github', 'd2'))?.taskIds).toEqual(['TMS-4']);
        // Paged on from the last one given.
        const [first] = await store.unprocessedRaw('2026-03-02T09:10:00.000Z', 1);
        expect(first?.deliveryId).toBe('d1');
        const next = await store.unprocessedRaw('2026-03-02T09:10:00.000Z', 10, rawOrder(first as RawEvent));
        expect(next.map((e) => e.deliveryId)).toEqual(['d3']);
      });

      it('lists the oldest unprocessed first across however the store spreads them, a page at a time', async () => {
        const at = (i: number) => new Date(Date.parse('2026-03-02T10:00:00.000Z') + i * 1000).toISOString();
        for (const i of [7, 3, 19, 0, 12, 5, 16, 1, 9, 14, 2, 18, 6, 11, 4, 17, 8, 13, 10, 15])
          await store.archiveRaw(event(`s${String(i).padStart(2, '0')}`, at(i)));
        const firstPage = await store.unprocessedRaw(at(100), 6, `${at(0)}#`);
        expect(firstPage.map((e) => e.deliveryId)).toEqual(['s00', 's01', 's02', 's03', 's04', 's05']);
        const secondPage = await store.unprocessedRaw(at(100), 6, rawOrder(firstPage.at(-1) as RawEvent));
        expect(secondPage.map((e) => e.deliveryId)).toEqual(['s06', 's07', 's08', 's09', 's10', 's11']);
      });

      it('lists nothing, and refuses nothing, when the lower bound is not below the upper one', async () => {
        await store.archiveRaw(event('r1', '2026-03-02T09:00:01.000Z'));
        // `npm run replay -- --since 30s` inside the grace time: a range that is empty, not an error.
        expect(
          await store.unprocessedRaw('2026-03-02T09:00:00.000Z', 10, '2026-03-02T09:00:30.000Z#'),
        ).toEqual([]);
        expect(
          await store.unprocessedRaw('2026-03-02T09:00:30.000Z', 10, '2026-03-02T09:00:30.000Z#'),
        ).toEqual([]);
        expect(await store.deadRaw(10, '2026-03-02T09:00:30.000Z#')).toEqual([]);
      });

      it('keeps any body up to the largest route limit, compressible or not, exactly as it came', async () => {
        const six = 6 * 1024 * 1024;
        const bodies = {
          small: '{"a":1}',
          json: JSON.stringify({
            alerts: Array.from({ length: 1500 }, (_, i) => ({
              labels: { alertname: `Disk${i}`, instance: `10.0.${i % 250}.${i % 7}:9100` },
              annotations: { summary: 'x'.repeat(300) },
            })),
          }),
          random: randomBytes(Math.floor((six * 3) / 4)).toString('base64'),
          utf8: 'é✓'.repeat(300_000),
        };
        for (const [name, body] of Object.entries(bodies)) {
          expect(await store.archiveRaw({ ...event(name, '2026-03-02T09:00:01.000Z'), body }), name).toBe(
            'archived',
          );
          expect((await store.getRaw('github', name))?.body === body, name).toBe(true);
        }
        expect(Buffer.byteLength(bodies.random)).toBe(six);
        // A duplicate with another body leaves the archived one whole.
        expect(
          await store.archiveRaw({
            ...event('random', '2026-03-02T09:00:02.000Z'),
            body: randomBytes(600_000).toString('hex'),
          }),
        ).toBe('duplicate');
        expect((await store.getRaw('github', 'random'))?.body === bodies.random).toBe(true);
        const claimed = await store.claimRaw(
          'github',
          'random',
          'lease-1',
          '2026-03-02T09:05:00.000Z',
          '2026-03-02T09:07:00.000Z',
        );
        expect(claimed?.body === bodies.random).toBe(true);
      });

      it('lets one taker at a time hold a pending delivery, counts its attempts, and moves it aside on request', async () => {
        const t = (m: number) => new Date(Date.parse('2026-03-02T09:00:00.000Z') + m * 60_000).toISOString();
        await store.archiveRaw({ ...event('p1', t(0)), attempts: 1, leaseUntil: t(1) });
        // Its own request holds it for a minute.
        expect(await store.claimRaw('github', 'p1', 'a', t(0.5), t(2.5))).toBeUndefined();
        const first = await store.claimRaw('github', 'p1', 'a', t(2), t(4));
        expect(first).toMatchObject({
          deliveryId: 'p1',
          attempts: 2,
          body: '{"action":"completed"}',
          leaseUntil: t(4),
        });
        expect(await store.claimRaw('github', 'p1', 'b', t(3), t(5))).toBeUndefined(); // held by a
        expect(await store.failRaw('github', 'p1', 'b', 'not mine')).toBe(false);
        expect(await store.failRaw('github', 'p1', 'a', 'TypeError: boom')).toBe(true);
        expect(await store.getRaw('github', 'p1')).toMatchObject({
          attempts: 2,
          lastError: 'TypeError: boom',
        });
        expect((await store.getRaw('github', 'p1'))?.leaseUntil).toBeUndefined();
        // Dropped by a failure, the lease is free again; a lease that ran out is too.
        expect(await store.claimRaw('github', 'p1', 'c', t(3), t(5))).toMatchObject({ attempts: 3 });
        expect(await store.claimRaw('github', 'p1', 'd', t(6), t(8))).toMatchObject({ attempts: 4 });
        expect(await store.failRaw('github', 'p1', 'c', 'too late')).toBe(false);
        // Given up on: out of the pending list, into the dead one, with its error.
        expect(await store.failRaw('github', 'p1', 'd', 'TypeError: boom again', t(7))).toBe(true);
        expect(await store.unprocessedRaw(t(100), 10)).toEqual([]);
        expect(await store.claimRaw('github', 'p1', 'e', t(9), t(11))).toBeUndefined();
        expect(await store.deadRaw(10)).toEqual([
          { source: 'github', deliveryId: 'p1', receivedAt: t(0), attempts: 4, deadAt: t(7) },
        ]);
        expect(await store.getRaw('github', 'p1')).toMatchObject({
          deadAt: t(7),
          lastError: 'TypeError: boom again',
        });
        // Replayed: pending again, its attempts from zero.
        expect(await store.reviveRaw('github', 'p1')).toBe(true);
        expect(await store.reviveRaw('github', 'p1')).toBe(false);
        expect(await store.deadRaw(10)).toEqual([]);
        expect((await store.unprocessedRaw(t(100), 10)).map((e) => [e.deliveryId, e.attempts])).toEqual([
          ['p1', 0],
        ]);
        expect(await store.claimRaw('github', 'p1', 'f', t(10), t(12))).toMatchObject({ attempts: 1 });
        await store.markRawProcessed('github', 'p1', t(11), ['TMS-1']);
        expect(await store.claimRaw('github', 'p1', 'g', t(20), t(22))).toBeUndefined();
        expect(await store.failRaw('github', 'p1', 'f', 'after it was processed')).toBe(false);
        expect(await store.getRaw('github', 'p1')).toMatchObject({ processedAt: t(11), taskIds: ['TMS-1'] });
        expect(await store.claimRaw('github', 'missing', 'h', t(20), t(22))).toBeUndefined();
      });
    });
  });
}
