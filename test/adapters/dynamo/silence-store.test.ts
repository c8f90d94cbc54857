import { describe, expect, it } from 'vitest';
import { DynamoSilenceStore } from '../../../src/adapters/dynamo/silence-store.js';
import type { Silence } from '../../../src/core/silence.js';
import { onEachBackend } from '../../helpers/dynamo.js';

const at = (minutes: number) => new Date(Date.UTC(2026, 2, 2, 9, minutes)).toISOString();
const aSilence = (id: string, endsAt: string): Silence => ({
  id,
  matchers: [{ key: 'service', value: 'checkout' }],
  reason: 'deploying',
  createdBy: 'U0ANA',
  createdAt: at(0),
  endsAt,
  matched: 0,
});

onEachBackend((name, dynamo) => {
  describe(`DynamoSilenceStore (on ${name})`, () => {
    const fresh = async () => new DynamoSilenceStore(dynamo().embedded.db, await dynamo().freshTable());

    it('lists the silences in force, by one query of the sparse index, and none that ended or was lifted', async () => {
      const store = await fresh();
      await store.createSilence(aSilence('S-aaaaaa', at(30)));
      await store.createSilence(aSilence('S-bbbbbb', at(60)));
      await store.createSilence(aSilence('S-cccccc', at(10)));
      await expect(store.createSilence(aSilence('S-aaaaaa', at(90)))).rejects.toThrow();
      expect((await store.activeSilences(at(20))).map((s) => s.id)).toEqual(['S-aaaaaa', 'S-bbbbbb']);
      expect(await store.liftSilence('S-aaaaaa', 'U0BEN', at(21))).toBe(true);
      expect(await store.liftSilence('S-aaaaaa', 'U0BEN', at(22))).toBe(false);
      expect(await store.liftSilence('S-cccccc', 'U0BEN', at(22))).toBe(false); // already over
      expect((await store.activeSilences(at(22))).map((s) => s.id)).toEqual(['S-bbbbbb']);
      expect(await store.getSilence('S-aaaaaa')).toMatchObject({ liftedAt: at(21), liftedBy: 'U0BEN' });
    });

    it('counts what a silence held back, and ignores a silence that is gone', async () => {
      const store = await fresh();
      await store.createSilence(aSilence('S-dddddd', at(30)));
      await store.countSilenced('S-dddddd', at(1));
      await store.countSilenced('S-dddddd', at(2));
      await store.countSilenced('S-zzzzzz', at(2));
      expect(await store.getSilence('S-dddddd')).toMatchObject({ matched: 2, lastMatchedAt: at(2) });
      expect(await store.getSilence('S-zzzzzz')).toBeUndefined();
    });
  });
});
