import { beforeEach, describe, expect, it } from 'vitest';
import type { CardStore, TaskRepository } from '../../src/core/ports.js';
import { formatTaskId } from '../../src/core/task.js';
import { aTask } from '../helpers/factories.js';

const at = (s: number) => new Date(Date.UTC(2026, 10, 22, 12, 0, s)).toISOString();
const shows = (version: number, fields: { retryAt?: string } = {}) => ({
  shownVersion: version,
  threadVersion: version,
  occurrencesReported: 1,
  attempts: 0,
  ...fields,
});

/** A card store and the tasks it reads (`cardsBehind` compares the two), over one table. */
export interface CardsAndTasks {
  readonly cards: CardStore;
  readonly tasks: TaskRepository;
}

/**
 * What every CardStore promises: one writer of a card at a time, what it shows kept across leases, cards due
 * again listed oldest first, and every task whose card fell behind found by the audit. Runs over the in-memory
 * fake and over the DynamoDB adapter.
 */
export function cardStoreContract(name: string, makeStore: () => Promise<CardsAndTasks>): void {
  describe(`${name}: the CardStore contract`, () => {
    let cards: CardStore;
    let tasks: TaskRepository;
    beforeEach(async () => {
      ({ cards, tasks } = await makeStore());
    });

    it('gives a card to one writer at a time, and to another once the lease has run out', async () => {
      const first = await cards.leaseCard('TMS-1', 'a', at(0), at(30));
      expect(first).toEqual({
        taskId: 'TMS-1',
        shownVersion: 0,
        threadVersion: 0,
        occurrencesReported: 1,
        attempts: 0,
        lease: 'a',
        leaseUntil: at(30),
        retryAt: at(30),
      });
      expect(await cards.leaseCard('TMS-1', 'b', at(10), at(40))).toBeUndefined();
      expect(await cards.leaseCard('TMS-1', 'c', at(31), at(61))).toMatchObject({ lease: 'c' });
      expect(await cards.card('TMS-1')).toMatchObject({ lease: 'c', leaseUntil: at(61) });
      expect(await cards.card('TMS-404')).toBeUndefined();
    });

    it('writes what a card shows only for the writer holding its lease, and keeps it across leases', async () => {
      await cards.leaseCard('TMS-2', 'a', at(0), at(30));
      const state = { channel: 'C0X', ts: '1.000001', permalink: 'https://slack.example/p1', ...shows(3) };
      expect(await cards.releaseCard('TMS-2', 'someone-else', state)).toBe(false);
      expect(await cards.releaseCard('TMS-2', 'a', state)).toBe(true);
      expect(await cards.releaseCard('TMS-2', 'a', state)).toBe(false); // released already
      expect(await cards.card('TMS-2')).toEqual({ taskId: 'TMS-2', ...state });
      expect(await cards.leaseCard('TMS-2', 'b', at(1), at(31))).toMatchObject({
        ts: '1.000001',
        shownVersion: 3,
        lease: 'b',
      });
    });

    it('leases a card for a stream record only while it shows an older version', async () => {
      await cards.leaseCard('TMS-5', 'a', at(0), at(30));
      await cards.releaseCard('TMS-5', 'a', shows(4));
      // The record of version 4 delivered again (or read after a newer one): nothing to take.
      expect(await cards.leaseCard('TMS-5', 'b', at(1), at(31), 4)).toBeUndefined();
      expect(await cards.card('TMS-5')).toEqual({ taskId: 'TMS-5', ...shows(4) });
      expect(await cards.leaseCard('TMS-5', 'b', at(1), at(31), 5)).toMatchObject({ lease: 'b' });
      // A card not written yet shows nothing: any record takes it.
      expect(await cards.leaseCard('TMS-6', 'c', at(1), at(31), 1)).toMatchObject({ lease: 'c' });
    });

    it('keeps a writer from saying its card is up to date below a version another writer saw meanwhile', async () => {
      await cards.leaseCard('TMS-7', 'a', at(0), at(30));
      // Another writer (a sweep, a second record) saw version 3 while `a` renders version 2.
      expect(await cards.wantCard('TMS-7', 3, at(1))).toBe(true);
      expect(await cards.wantCard('TMS-7', 2, at(1))).toBe(false); // told a newer one already
      expect(await cards.releaseCard('TMS-7', 'a', shows(2))).toBe(false);
      expect(await cards.card('TMS-7')).toMatchObject({ lease: 'a', wanted: 3, shownVersion: 0 });
      // Due again anyway (a fresh read of the task follows): released as it is.
      expect(await cards.releaseCard('TMS-7', 'a', shows(2, { retryAt: at(2) }))).toBe(true);
      await cards.leaseCard('TMS-7', 'b', at(3), at(33));
      expect(await cards.card('TMS-7')).toMatchObject({ lease: 'b', shownVersion: 2 });
      expect(await cards.releaseCard('TMS-7', 'b', shows(3))).toBe(true);
      expect(await cards.card('TMS-7')).toEqual({ taskId: 'TMS-7', ...shows(3) });
      // Nobody holds it, or its holder's lease ran out: there is nobody to tell.
      expect(await cards.wantCard('TMS-7', 4, at(4))).toBe(false);
      await cards.leaseCard('TMS-7', 'c', at(5), at(35));
      expect(await cards.wantCard('TMS-7', 4, at(36))).toBe(false);
    });

    it('marks the card of a task being deleted with who deleted it, due at once; no card, no record', async () => {
      await cards.leaseCard('TMS-8', 'a', at(0), at(30));
      await cards.releaseCard('TMS-8', 'a', { channel: 'C0X', ts: '1.000008', ...shows(4) });
      expect(await cards.dueCards(at(50), 10)).toEqual([]);
      // Act
      await cards.markCardDeleted('TMS-8', { by: 'U0ANA', at: at(40) }, at(41));
      await cards.markCardDeleted('TMS-9', { by: 'U0ANA', at: at(40) }, at(41));
      // Assess
      expect(await cards.card('TMS-8')).toEqual({
        taskId: 'TMS-8',
        channel: 'C0X',
        ts: '1.000008',
        ...shows(4),
        deletedBy: 'U0ANA',
        deletedAt: at(40),
        retryAt: at(41),
      });
      expect(await cards.card('TMS-9')).toBeUndefined();
      expect(await cards.dueCards(at(50), 10)).toEqual(['TMS-8']);
      // The next writer reads who deleted it.
      expect(await cards.leaseCard('TMS-8', 'b', at(51), at(81))).toMatchObject({ deletedBy: 'U0ANA' });
    });

    it('lists cards that are due, oldest first: failed ones, and ones whose writer died holding them', async () => {
      const failed = { ...shows(1), attempts: 1 };
      await cards.leaseCard('TMS-3', 'a', at(0), at(30));
      await cards.releaseCard('TMS-3', 'a', { ...failed, retryAt: at(20) });
      await cards.leaseCard('TMS-4', 'a', at(0), at(30));
      await cards.releaseCard('TMS-4', 'a', { ...failed, retryAt: at(5) });
      await cards.leaseCard('TMS-5', 'a', at(0), at(30));
      await cards.releaseCard('TMS-5', 'a', shows(1)); // up to date: never due
      await cards.leaseCard('TMS-6', 'dead', at(0), at(25)); // never released
      await cards.leaseCard('TMS-7', 'a', at(0), at(30));
      await cards.releaseCard('TMS-7', 'a', { ...failed, retryAt: at(20) }); // as due as TMS-3: after it
      expect(await cards.dueCards(at(4), 10)).toEqual([]);
      expect(await cards.dueCards(at(5), 10)).toEqual(['TMS-4']);
      expect(await cards.dueCards(at(26), 10)).toEqual(['TMS-4', 'TMS-3', 'TMS-7', 'TMS-6']);
      expect(await cards.dueCards(at(26), 2)).toEqual(['TMS-4', 'TMS-3']);
    });

    it('finds every task whose card is behind within a few calls, each looking at a bounded page', async () => {
      expect(await cards.cardsBehind(2)).toEqual([]); // no task yet
      // Prepare: TMS-1 to TMS-9, each at version 1; then cards that are up to date, due again, or behind.
      for (let i = 1; i <= 9; i++) {
        const id = formatTaskId(await tasks.nextTaskNumber());
        await tasks.create(aTask({ id }), []);
      }
      const card = async (id: string, state: ReturnType<typeof shows>) => {
        await cards.leaseCard(id, 'w', at(0), at(30));
        await cards.releaseCard(id, 'w', state);
      };
      await card('TMS-3', shows(1)); // up to date
      await card('TMS-8', shows(1)); // up to date
      await card('TMS-5', shows(0, { retryAt: at(40) })); // the due index has it, not the audit
      await card('TMS-6', shows(1));
      const six = (await tasks.get('TMS-6')) ?? expect.fail('TMS-6 exists');
      expect(await tasks.save({ ...six, version: 2 }, [], 1)).toBe('saved'); // TMS-6's card is behind now
      const behind = ['TMS-1', 'TMS-2', 'TMS-4', 'TMS-6', 'TMS-7', 'TMS-9'];
      // Act
      const calls: string[][] = [];
      for (let i = 0; i < 5; i++) calls.push(await cards.cardsBehind(2));
      // Assess: each call looks at the 2 newest tasks and 2 more; together they find every one behind.
      for (const found of calls) {
        expect(found.length).toBeLessThanOrEqual(4);
        expect(found).toContain('TMS-9');
        expect(found.every((id) => behind.includes(id))).toBe(true);
      }
      expect([...new Set(calls.flat())].sort()).toEqual(behind);
    });
  });
}
