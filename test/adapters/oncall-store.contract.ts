import { beforeEach, describe, expect, it } from 'vitest';
import type { OncallStore, OverrideRecord } from '../../src/core/ports.js';

const at = (hours: number) => new Date(Date.UTC(2026, 2, 2, hours)).toISOString();
const anOverride = (id: string, start: number, end: number, fields: Partial<OverrideRecord> = {}) =>
  ({
    id,
    team: 'payments',
    user: 'U0ANA',
    start: at(start),
    end: at(end),
    createdAt: at(0),
    createdBy: 'U0BEN',
    reason: 'override',
    ...fields,
  }) satisfies OverrideRecord;

/**
 * What every OncallStore promises: overrides kept as made, per team, those overlapping a span listed soonest
 * ending first, and removed once. Runs over the in-memory fake and over the DynamoDB adapter.
 */
export function oncallStoreContract(name: string, makeStore: () => Promise<OncallStore>): void {
  describe(`${name}: the OncallStore contract`, () => {
    let store: OncallStore;
    beforeEach(async () => {
      store = await makeStore();
    });

    it('keeps an override as made, and lists it for its own team only', async () => {
      // Prepare
      const override = anOverride('OV-kept0001', 10, 12, { reason: 'swap' });
      // Act
      await store.createOverride(override);
      // Assess
      expect(await store.listOverrides('payments', at(0), at(24))).toEqual([override]);
      expect(await store.listOverrides('search', at(0), at(24))).toEqual([]);
    });

    it('lists the overrides overlapping [from, to), soonest ending first', async () => {
      // Prepare
      await store.createOverride(anOverride('OV-aaaaaaaa', 10, 14));
      await store.createOverride(anOverride('OV-bbbbbbbb', 8, 11));
      await store.createOverride(anOverride('OV-cccccccc', 12, 20));
      await store.createOverride(anOverride('OV-dddddddd', 2, 4));
      // Act
      const ids = async (from: number, to: number) =>
        (await store.listOverrides('payments', at(from), at(to))).map((o) => o.id);
      // Assess
      expect(await ids(0, 24)).toEqual(['OV-dddddddd', 'OV-bbbbbbbb', 'OV-aaaaaaaa', 'OV-cccccccc']);
      // One ending at `from` is over; one starting at `to` has not begun.
      expect(await ids(11, 12)).toEqual(['OV-aaaaaaaa']);
      expect(await ids(4, 8)).toEqual([]);
      expect(await ids(13, 30)).toEqual(['OV-aaaaaaaa', 'OV-cccccccc']);
    });

    it('removes an override once, and only from its team', async () => {
      // Prepare
      await store.createOverride(anOverride('OV-eeeeeeee', 10, 14));
      await store.createOverride(anOverride('OV-ffffffff', 10, 14, { team: 'search' }));
      // Act
      const wrongTeam = await store.removeOverride('search', 'OV-eeeeeeee');
      const first = await store.removeOverride('payments', 'OV-eeeeeeee');
      const again = await store.removeOverride('payments', 'OV-eeeeeeee');
      // Assess
      expect([wrongTeam, first, again]).toEqual([false, true, false]);
      expect(await store.listOverrides('payments', at(0), at(24))).toEqual([]);
      expect((await store.listOverrides('search', at(0), at(24))).map((o) => o.id)).toEqual(['OV-ffffffff']);
    });
  });
}
