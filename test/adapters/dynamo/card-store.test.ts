import { describe, expect, it } from 'vitest';
import { DynamoCardStore } from '../../../src/adapters/dynamo/card-store.js';
import { onEachBackend } from '../../helpers/dynamo.js';

const at = (s: number) => new Date(Date.UTC(2026, 10, 22, 12, 0, s)).toISOString();

onEachBackend((name, dynamo) => {
  const freshCards = async () => new DynamoCardStore(dynamo().embedded.db, await dynamo().freshTable());

  describe(`DynamoCardStore (on ${name})`, () => {
    it('gives a card to one writer at a time, and to another once the lease has run out', async () => {
      const cards = await freshCards();
      const first = await cards.leaseCard('TMS-1', 'a', at(0), at(30));
      expect(first).toMatchObject({
        taskId: 'TMS-1',
        shownVersion: 0,
        threadVersion: 0,
        occurrencesReported: 1,
        attempts: 0,
      });
      expect(await cards.leaseCard('TMS-1', 'b', at(10), at(40))).toBeUndefined();
      expect(await cards.leaseCard('TMS-1', 'c', at(31), at(61))).toMatchObject({ lease: 'c' });
    });

    it('writes what a card shows only for the writer holding its lease, and keeps it across leases', async () => {
      const cards = await freshCards();
      await cards.leaseCard('TMS-2', 'a', at(0), at(30));
      const state = {
        channel: 'C0X',
        ts: '1.000001',
        shownVersion: 3,
        threadVersion: 3,
        occurrencesReported: 1,
        attempts: 0,
      };
      expect(await cards.releaseCard('TMS-2', 'someone-else', state)).toBe(false);
      expect(await cards.releaseCard('TMS-2', 'a', state)).toBe(true);
      expect(await cards.card('TMS-2')).toEqual({ taskId: 'TMS-2', ...state });
      expect(await cards.leaseCard('TMS-2', 'b', at(1), at(31))).toMatchObject({
        ts: '1.000001',
        shownVersion: 3,
      });
    });

    it('lists cards that are due, oldest first: failed ones, and ones whose writer died holding them', async () => {
      const cards = await freshCards();
      const base = { shownVersion: 1, threadVersion: 1, occurrencesReported: 1, attempts: 1 };
      await cards.leaseCard('TMS-3', 'a', at(0), at(30));
      await cards.releaseCard('TMS-3', 'a', { ...base, retryAt: at(20) });
      await cards.leaseCard('TMS-4', 'a', at(0), at(30));
      await cards.releaseCard('TMS-4', 'a', { ...base, retryAt: at(5) });
      await cards.leaseCard('TMS-5', 'a', at(0), at(30));
      await cards.releaseCard('TMS-5', 'a', { ...base }); // up to date: never due
      await cards.leaseCard('TMS-6', 'dead', at(0), at(25)); // never released
      expect(await cards.dueCards(at(4), 10)).toEqual([]);
      expect(await cards.dueCards(at(26), 10)).toEqual(['TMS-4', 'TMS-3', 'TMS-6']);
    });

    it(`drops the markers in progress of a holder known to be gone, and only those`, async () => {
      // Prepare: the dead process's claims end by at(15); the restarted one's after it.
      const cards = await freshCards();
      const claim = (token: string, now: number, until: number) => ({
        token,
        now: at(now),
        leaseUntil: at(until),
      });
      await cards.begin('slack-action', 'dead-click', claim('dead-1', 0, 15));
      await cards.begin('slack-event', 'dead-event', claim('dead-2', 1, 14));
      await cards.begin('sweep', 'dead-sweep', claim('dead-3', 0, 15)); // a scope not named
      await cards.begin('slack-action', 'done-click', claim('dead-4', 0, 15));
      await cards.complete('slack-action', 'done-click', 'dead-4', at(3600));
      await cards.begin('slack-action', 'live-click', claim('live', 2, 17));
      // Act
      const released = await cards.releaseDeadClaims(['slack-action', 'slack-event'], at(15));
      // Assess: what the dead process held is free to the next caller now, the rest stands.
      expect(released).toBe(2);
      expect(await cards.begin('slack-action', 'dead-click', claim('next', 3, 18))).toBe('begun');
      expect(await cards.begin('slack-event', 'dead-event', claim('next', 3, 18))).toBe('begun');
      expect(await cards.begin('sweep', 'dead-sweep', claim('next', 3, 18))).toBe('in-progress');
      expect(await cards.begin('slack-action', 'done-click', claim('next', 3, 18))).toBe('done');
      expect(await cards.begin('slack-action', 'live-click', claim('next', 3, 18))).toBe('in-progress');
    });
  });
});
