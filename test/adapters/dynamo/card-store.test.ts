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
  });
});
