import { describe, expect, it } from 'vitest';
import { DynamoCardStore } from '../../../src/adapters/dynamo/card-store.js';
import { DynamoTaskStore } from '../../../src/adapters/dynamo/task-store.js';
import { onEachBackend } from '../../helpers/dynamo.js';
import { cardStoreContract } from '../card-store.contract.js';

const at = (s: number) => new Date(Date.UTC(2026, 10, 22, 12, 0, s)).toISOString();

onEachBackend((name, dynamo) => {
  cardStoreContract(`DynamoCardStore on ${name}`, async () => {
    const table = await dynamo().freshTable();
    const db = dynamo().embedded.db;
    return { cards: new DynamoCardStore(db, table), tasks: new DynamoTaskStore(db, table) };
  });

  describe(`DynamoCardStore (on ${name})`, () => {
    const freshCards = async () => new DynamoCardStore(dynamo().embedded.db, await dynamo().freshTable());

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
