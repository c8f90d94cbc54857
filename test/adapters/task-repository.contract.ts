import { beforeEach, describe, expect, it } from 'vitest';
import type { TaskGroup } from '../../src/core/group.js';
import { applyAction } from '../../src/core/lifecycle.js';
import type { OccurrenceEntry, TaskRepository } from '../../src/core/ports.js';
import { stamp } from '../../src/core/timeline.js';
import { aTask, slack, T0 } from '../helpers/factories.js';

/**
 * What every TaskRepository promises: task numbers, tasks written over the version read, occurrences and the
 * timeline. Runs over the in-memory fake and over the DynamoDB adapter (dynalite, and DynamoDB Local when the
 * run has it), so the fake the unit tests rely on behaves like the real store.
 */
export function taskRepositoryContract(name: string, makeStore: () => Promise<TaskRepository>): void {
  describe(`${name}: the TaskRepository contract`, () => {
    let store: TaskRepository;
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

    it('deletes a task only over the version it read, and its history whatever its length', async () => {
      const { task, entries } = opened({ id: 'TMS-4' });
      await store.create(task, entries);
      let current = task;
      // More changes than a query page (100) and a batch (25) hold, some still held in the task item.
      for (let n = 0; n < 120; n++) {
        const commented = applyAction(current, { type: 'comment', text: `note ${n}` }, slack('U0ANA'));
        if (!commented.ok) throw commented.error;
        expect(await store.save(commented.value.task, commented.value.entries, current.version)).toBe(
          'saved',
        );
        current = commented.value.task;
      }
      const { task: other, entries: its } = opened({ id: 'TMS-5' });
      await store.create(other, its);
      expect(await store.timeline('TMS-4')).toHaveLength(121);
      const deletion = { by: 'U0ANA', at: T0 };
      // Act
      expect(await store.deleteTask('TMS-4', current.version - 1, deletion)).toBe('conflict');
      await store.dropHistory('TMS-4'); // the task is still there: nothing of it goes
      expect(await store.timeline('TMS-4')).toHaveLength(121);
      expect(await store.get('TMS-4')).toEqual(current);
      expect(await store.deleteTask('TMS-4', current.version, deletion)).toBe('saved');
      expect(await store.get('TMS-4')).toBeUndefined();
      await store.dropHistory('TMS-4');
      // Assess
      expect(await store.timeline('TMS-4')).toEqual([]);
      // Its tombstone stays, so its id is never written again; a task never deleted has none.
      expect(await store.deletion('TMS-4')).toEqual(deletion);
      expect(await store.deletion('TMS-5')).toBeUndefined();
      expect(await store.deleteTask('TMS-4', current.version, deletion)).toBe('conflict');
      await store.dropHistory('TMS-4'); // idempotent
      expect((await store.list({ limit: 50 })).tasks.map((t) => t.id)).toEqual(['TMS-5']);
      expect(await store.timeline('TMS-5')).toHaveLength(1);
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

    it('writes what the sender’s clock said with the occurrence, and drops it when a later one agrees', async () => {
      const { task, entries } = opened({ id: 'TMS-7', lastSeenAt: T0 });
      await store.create(task, entries);
      const later = (s: number) => new Date(Date.parse(T0) + s * 1000).toISOString();
      // Act: an occurrence whose sender said 2025, counted at receipt; then one whose sender agreed
      const skewed = await store.recordOccurrence('TMS-7', later(1), later(1), undefined, undefined, {
        reportedAt: '2025-09-16T16:55:00.000Z',
      });
      // Assess
      expect(skewed).toMatchObject({ reportedAt: '2025-09-16T16:55:00.000Z', lastSeenAt: later(1) });
      expect((await store.get('TMS-7'))?.reportedAt).toBe('2025-09-16T16:55:00.000Z');
      const agreed = await store.recordOccurrence('TMS-7', later(2), later(2), undefined, undefined, {
        reportedAt: null,
      });
      expect(agreed && typeof agreed === 'object' && 'reportedAt' in agreed).toBe(false);
      expect((await store.get('TMS-7'))?.reportedAt).toBeUndefined();
      expect((await store.get('TMS-7'))?.occurrences).toBe(3);
    });

    it('moves a task’s first sight and its clocks back with an earlier occurrence, only from the first sight it was given', async () => {
      const { task, entries } = opened({ id: 'TMS-8', firstSeenAt: T0, lastSeenAt: T0 });
      await store.create(task, entries);
      const earlier = (m: number) => new Date(Date.parse(T0) - m * 60_000).toISOString();
      const clocks = (m: number) => ({ ackDueAt: earlier(m - 15), resolveDueAt: earlier(m - 240) });
      const dueWas = { ackDueAt: task.ackDueAt, resolveDueAt: task.resolveDueAt };
      // Act: an occurrence from 5 minutes before the task's first sight; then one that read the task before it
      const moved = await store.recordOccurrence('TMS-8', earlier(5), T0, undefined, undefined, {
        firstSeen: { was: T0, dueWas, at: earlier(5), ...clocks(5) },
      });
      const stale = await store.recordOccurrence('TMS-8', earlier(3), T0, undefined, undefined, {
        firstSeen: { was: T0, dueWas, at: earlier(3), ...clocks(3) },
      });
      // Assess: the first moved it and its clocks and kept last seen; the second, which had read T0, counted nothing
      expect(moved).toMatchObject({ firstSeenAt: earlier(5), lastSeenAt: T0, occurrences: 2, ...clocks(5) });
      expect(stale).toBeUndefined();
      expect(await store.get('TMS-8')).toMatchObject({
        firstSeenAt: earlier(5),
        occurrences: 2,
        ...clocks(5),
      });
    });

    it('moves a task’s first sight back only while its deadlines are those it was read with (no priority set, no reopen since)', async () => {
      const { task, entries } = opened({ id: 'TMS-9', firstSeenAt: T0, lastSeenAt: T0 });
      await store.create(task, entries);
      const earlier = (m: number) => new Date(Date.parse(T0) - m * 60_000).toISOString();
      // A person changed the deadlines (a priority set) after the occurrence's writer read the task.
      const changed = {
        ...task,
        ackDueAt: earlier(-1),
        resolveDueAt: earlier(-2),
        version: task.version + 1,
      };
      expect(await store.save(changed, [], task.version)).toBe('saved');
      // Act
      const stale = await store.recordOccurrence('TMS-9', earlier(5), T0, undefined, undefined, {
        firstSeen: {
          was: T0,
          dueWas: { ackDueAt: task.ackDueAt, resolveDueAt: task.resolveDueAt },
          at: earlier(5),
          ackDueAt: earlier(4),
          resolveDueAt: earlier(3),
        },
      });
      // Assess: nothing written; the writer decides again on the task as it is
      expect(stale).toBeUndefined();
      expect(await store.get('TMS-9')).toMatchObject({
        firstSeenAt: T0,
        occurrences: 1,
        ackDueAt: earlier(-1),
        resolveDueAt: earlier(-2),
      });
    });

    it('refuses, as a repeat, an occurrence of a delivery the task holds already (the alert that opened it, or a counted one)', async () => {
      const { task, entries } = opened({ id: 'TMS-9', lastSeenAt: T0 });
      const delivered = (e: (typeof entries)[number]) => ({ ...e, delivery: 'alertmanager#d1#0' });
      await store.create(task, entries.map(delivered));
      const entry = (delivery: string): OccurrenceEntry => ({
        type: 'occurred',
        taskId: 'TMS-9',
        at: T0,
        actor: { type: 'source', id: 'generic' },
        via: 'ingest',
        delivery,
      });
      // Act: the opening alert's delivery again, a new one, then that one again
      const opening = await store.recordOccurrence('TMS-9', T0, T0, undefined, entry('alertmanager#d1#0'));
      const fresh = await store.recordOccurrence('TMS-9', T0, T0, undefined, entry('alertmanager#d2#0'));
      const again = await store.recordOccurrence('TMS-9', T0, T0, undefined, entry('alertmanager#d2#0'));
      // Assess
      expect([opening, again]).toEqual(['repeat', 'repeat']);
      expect(fresh).toMatchObject({ occurrences: 2 });
      expect((await store.get('TMS-9'))?.occurrences).toBe(2);
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

    it("keeps an Alertmanager group's latest summary: with a counted occurrence, or alone without counting one", async () => {
      const { task, entries } = opened({ id: 'TMS-11', lastSeenAt: T0 });
      await store.create(task, entries);
      const later = (s: number) => new Date(Date.parse(T0) + s * 1000).toISOString();
      const group = (firing: number, resolved: number, s: number): TaskGroup => ({
        key: '{}:{alertname="HighLatency"}',
        firing,
        resolved,
        alerts: [{ name: 'HighLatency', status: 'firing', labels: { instance: 'web-1' }, startsAt: T0 }],
        commonLabels: { alertname: 'HighLatency', severity: 'warning' },
        notifiedAt: later(s),
      });
      // Act: a new firing set counts, with its summary; alerts that only resolved update the summary alone.
      const counted = await store.recordOccurrence('TMS-11', later(1), later(1), 'set-1', undefined, {
        group: group(300, 0, 1),
      });
      const updated = await store.updateGroup('TMS-11', group(295, 5, 2), later(2), 'set-2');
      const older = await store.updateGroup('TMS-11', group(299, 1, 1), later(3));
      // Assess
      expect(counted).toMatchObject({ occurrences: 2, version: 2, group: group(300, 0, 1) });
      expect(updated).toMatchObject({ occurrences: 2, version: 3, occurrenceKey: 'set-2' });
      expect(older).toBeUndefined();
      expect(await store.get('TMS-11')).toEqual({
        ...task,
        occurrences: 2,
        version: 3,
        occurrenceKey: 'set-2',
        lastSeenAt: later(1),
        updatedAt: later(2),
        group: group(295, 5, 2),
      });
      expect((await store.timeline('TMS-11')).map((e) => e.type)).toEqual(['opened']);
      const current = (await store.get('TMS-11')) ?? expect.fail('TMS-11 exists');
      await store.save({ ...current, status: 'resolved', version: 4 }, [], 3);
      expect(await store.updateGroup('TMS-11', group(0, 300, 9), later(9))).toBeUndefined();
      expect(await store.updateGroup('TMS-404', group(0, 300, 9), later(9))).toBeUndefined();
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

    it('gives the whole timeline in order however many changes the task item holds, with exact versions and counts', async () => {
      const { task, entries } = opened({ id: 'TMS-5' });
      await store.create(task, entries);
      const occurred = (i: number): OccurrenceEntry => ({
        type: 'occurred',
        taskId: 'TMS-5',
        at: new Date(Date.parse(T0) + i * 1000).toISOString(),
        actor: { type: 'source', id: 'generic' },
        via: 'ingest',
        delivery: `generic#d${i}#0`,
      });
      // Enough occurrences and group updates for a store that holds a few changes in the item to copy them out
      // (twice), then a change that replaces the task whole.
      const group = (i: number): TaskGroup => ({
        key: '{}:{alertname="HighLatency"}',
        firing: 1,
        resolved: 0,
        alerts: [{ name: 'HighLatency', status: 'firing', labels: {}, startsAt: T0 }],
        commonLabels: { alertname: 'HighLatency' },
        notifiedAt: new Date(Date.parse(T0) + i * 1000).toISOString(),
      });
      for (let i = 1; i <= 15; i++) {
        const at = new Date(Date.parse(T0) + i * 1000).toISOString();
        if (i % 5 === 0) await store.updateGroup('TMS-5', group(i), at);
        else await store.recordOccurrence('TMS-5', at, at, undefined, occurred(i));
      }
      const current = (await store.get('TMS-5')) ?? expect.fail('TMS-5 exists');
      const acked = applyAction(current, { type: 'acknowledge', at: current.lastSeenAt }, slack('U0ANA'));
      if (!acked.ok) throw acked.error;
      expect(await store.save(acked.value.task, acked.value.entries, current.version)).toBe('saved');
      await store.recordOccurrence('TMS-5', T0, T0, undefined, occurred(16));
      // Assess: one entry per change but the group updates (which have none), versions in order, each
      // occurrence with the count it made.
      const timeline = await store.timeline('TMS-5');
      const counts = Array.from({ length: 15 }, (_, i) => i + 1).filter((i) => i % 5 !== 0);
      expect(timeline.map((e) => e.type)).toEqual([
        'opened',
        ...counts.map(() => 'occurred'),
        'acknowledged',
        'occurred',
      ]);
      expect(timeline.map((e) => e.delivery ?? null)).toEqual([
        null,
        ...counts.map((i) => `generic#d${i}#0`),
        null,
        'generic#d16#0',
      ]);
      const versions = timeline.map((e) => e.version);
      expect(versions).toEqual([...versions].sort((a, b) => a - b));
      expect(versions.at(-1)).toBe(18); // 1 + 15 changes + the acknowledgement + 1
      expect(timeline.flatMap((e) => (e.type === 'occurred' ? [[e.version, e.occurrences]] : []))).toEqual([
        ...counts.map((i, n) => [i + 1, n + 2]),
        [18, counts.length + 2],
      ]);
      expect(await store.timeline('TMS-5', 16)).toEqual(timeline.slice(-2));
      expect(await store.hasDelivery('TMS-5', 'generic#d1#0', T0)).toBe(true);
      expect(await store.hasDelivery('TMS-5', 'generic#d16#0', T0)).toBe(true);
    });

    it('counts a batch of repeats in one write, each delivery on its own line, counted in order', async () => {
      const { task, entries } = opened({ id: 'TMS-4' });
      await store.create(task, entries);
      const occurred = (i: number): OccurrenceEntry => ({
        type: 'occurred',
        taskId: 'TMS-4',
        at: new Date(Date.parse(T0) + i * 1000).toISOString(),
        actor: { type: 'source', id: 'generic' },
        via: 'ingest',
        delivery: `generic#b${i}#0`,
      });
      const at = (i: number) => new Date(Date.parse(T0) + i * 1000).toISOString();
      // Act: a batch of three, a single one, then enough batches for the item to copy what it holds.
      expect(
        await store.recordOccurrence('TMS-4', at(3), at(3), undefined, [1, 2, 3].map(occurred)),
      ).toMatchObject({ occurrences: 4, version: 2, lastSeenAt: at(3) });
      await store.recordOccurrence('TMS-4', at(4), at(4), undefined, occurred(4));
      for (let b = 0; b < 8; b++)
        await store.recordOccurrence('TMS-4', at(10 + b), at(10 + b), undefined, [
          occurred(10 + b),
          occurred(30 + b),
        ]);
      // Assess
      expect(await store.get('TMS-4')).toMatchObject({ occurrences: 21, version: 11 });
      const lines = (await store.timeline('TMS-4')).filter((e) => e.type === 'occurred');
      expect(lines.map((e) => e.occurrences)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
      expect(lines.slice(0, 4).map((e) => [e.version, e.seq, e.delivery])).toEqual([
        [2, 0, 'generic#b1#0'],
        [2, 1, 'generic#b2#0'],
        [2, 2, 'generic#b3#0'],
        [3, 0, 'generic#b4#0'],
      ]);
      expect(await store.hasDelivery('TMS-4', 'generic#b2#0', T0)).toBe(true);
      expect(await store.hasDelivery('TMS-4', 'generic#b37#0', T0)).toBe(true);
    });

    it('counts an occurrence on a task its writer did not read only where a read would have', async () => {
      const { task, entries } = opened({ id: 'TMS-6', fingerprint: 'generic:a' });
      await store.create(task, entries);
      const unread = { fingerprint: 'generic:a', resolveDueAt: task.resolveDueAt };
      const at = new Date(Date.parse(T0) + 1000).toISOString();
      expect(await store.recordOccurrence('TMS-6', at, at, undefined, undefined, {}, unread)).toMatchObject({
        occurrences: 2,
      });
      // Another fingerprint's task, a deadline that moved (reopened, reprioritized): not counted.
      const other = { ...unread, fingerprint: 'generic:b' };
      expect(await store.recordOccurrence('TMS-6', at, at, undefined, undefined, {}, other)).toBeUndefined();
      const moved = { ...unread, resolveDueAt: T0 };
      expect(await store.recordOccurrence('TMS-6', at, at, undefined, undefined, {}, moved)).toBeUndefined();
      // A copy of its latest occurrence is a repeat; once resolved, nothing is counted.
      expect(await store.recordOccurrence('TMS-6', at, at, 'k1', undefined, {}, unread)).toMatchObject({
        occurrences: 3,
      });
      expect(await store.recordOccurrence('TMS-6', at, at, 'k1', undefined, {}, unread)).toBe('repeat');
      const current = (await store.get('TMS-6')) ?? expect.fail('TMS-6 exists');
      const resolved = applyAction(current, { type: 'resolve', resolution: null, at }, slack('U0ANA'));
      if (!resolved.ok) throw resolved.error;
      await store.save(resolved.value.task, resolved.value.entries, current.version);
      expect(await store.recordOccurrence('TMS-6', at, at, 'k2', undefined, {}, unread)).toBeUndefined();
      expect(await store.get('TMS-6')).toMatchObject({ occurrences: 3, status: 'resolved' });
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
  });
}
