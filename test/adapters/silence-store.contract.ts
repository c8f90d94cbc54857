import { beforeEach, describe, expect, it } from 'vitest';
import type { SilenceStore } from '../../src/core/ports.js';
import type { Silence } from '../../src/core/silence.js';

const at = (minutes: number) => new Date(Date.UTC(2026, 2, 2, 9, minutes)).toISOString();
const aSilence = (id: string, endsAt: string, fields: Partial<Silence> = {}): Silence => ({
  id,
  matchers: [{ key: 'service', value: 'checkout' }],
  reason: 'deploying',
  createdBy: 'U0ANA',
  createdAt: at(0),
  endsAt,
  matched: 0,
  ...fields,
});

/**
 * What every SilenceStore promises: silences kept as made, those in force listed soonest ending first, lifted
 * once, and what each held back counted. Runs over the in-memory fake and over the DynamoDB adapter.
 */
export function silenceStoreContract(name: string, makeStore: () => Promise<SilenceStore>): void {
  describe(`${name}: the SilenceStore contract`, () => {
    let store: SilenceStore;
    beforeEach(async () => {
      store = await makeStore();
    });

    it('keeps a silence as made, and refuses a second one with its id', async () => {
      const silence = aSilence('S-kept01', at(30), {
        matchers: [
          { key: 'service', value: 'checkout' },
          { key: 'alertname', value: 'Disk*' },
        ],
      });
      await store.createSilence(silence);
      expect(await store.getSilence('S-kept01')).toEqual(silence);
      await expect(store.createSilence(aSilence('S-kept01', at(90), { reason: 'other' }))).rejects.toThrow();
      expect(await store.getSilence('S-kept01')).toEqual(silence);
      expect(await store.getSilence('S-absent')).toBeUndefined();
    });

    it('lists the silences in force, soonest ending first, and none that ended or was lifted', async () => {
      await store.createSilence(aSilence('S-aaaaaa', at(30)));
      await store.createSilence(aSilence('S-bbbbbb', at(60)));
      await store.createSilence(aSilence('S-cccccc', at(10)));
      await store.createSilence(aSilence('S-dddddd', at(20)));
      expect((await store.activeSilences(at(5))).map((s) => s.id)).toEqual([
        'S-cccccc',
        'S-dddddd',
        'S-aaaaaa',
        'S-bbbbbb',
      ]);
      // One that ends at this very moment is over (as `isActive` has it).
      expect((await store.activeSilences(at(20))).map((s) => s.id)).toEqual(['S-aaaaaa', 'S-bbbbbb']);
      expect(await store.liftSilence('S-aaaaaa', 'U0BEN', at(21))).toBe(true);
      expect(await store.liftSilence('S-aaaaaa', 'U0BEN', at(22))).toBe(false);
      expect(await store.liftSilence('S-cccccc', 'U0BEN', at(22))).toBe(false); // already over
      expect(await store.liftSilence('S-zzzzzz', 'U0BEN', at(22))).toBe(false); // never made
      expect((await store.activeSilences(at(22))).map((s) => s.id)).toEqual(['S-bbbbbb']);
      expect(await store.getSilence('S-aaaaaa')).toMatchObject({ liftedAt: at(21), liftedBy: 'U0BEN' });
      expect(await store.activeSilences(at(61))).toEqual([]);
    });

    it('counts what a silence held back, and ignores a silence that is gone', async () => {
      await store.createSilence(aSilence('S-eeeeee', at(30)));
      await store.countSilenced('S-eeeeee', at(1));
      await store.countSilenced('S-eeeeee', at(2));
      await store.countSilenced('S-zzzzzz', at(2));
      expect(await store.getSilence('S-eeeeee')).toMatchObject({ matched: 2, lastMatchedAt: at(2) });
      expect((await store.activeSilences(at(3)))[0]).toMatchObject({ id: 'S-eeeeee', matched: 2 });
      expect(await store.getSilence('S-zzzzzz')).toBeUndefined();
    });
  });
}
