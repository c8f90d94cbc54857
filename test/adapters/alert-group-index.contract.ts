import { beforeEach, describe, expect, it } from 'vitest';
import type { AlertGroupIndex } from '../../src/core/ports.js';
import { T0 } from '../helpers/factories.js';

/**
 * What every AlertGroupIndex promises: a group's record read back as written, one writer at a time (by its
 * version), and the groups with a task unreported since before a time found by one key query, oldest first.
 * Runs over the in-memory fake and over the DynamoDB adapter.
 */
export function alertGroupIndexContract(name: string, makeIndex: () => Promise<AlertGroupIndex>): void {
  describe(`${name}: the AlertGroupIndex contract`, () => {
    let index: AlertGroupIndex;
    beforeEach(async () => {
      index = await makeIndex();
    });
    const at = (s: number) => new Date(Date.parse(T0) + s * 1000).toISOString();

    it('keeps a group record, one writer at a time', async () => {
      expect(await index.alertGroup('g1')).toBeUndefined();
      const first = { key: 'g1', members: ['TMS-1', 'TMS-2'], unreported: {}, version: 1 };
      expect(await index.saveAlertGroup(first)).toBe('saved');
      expect(await index.saveAlertGroup(first)).toBe('conflict'); // another writer made version 1 first
      expect(await index.alertGroup('g1')).toEqual(first);
      const second = { key: 'g1', members: ['TMS-1'], unreported: { 'TMS-2': at(10) }, version: 2 };
      expect(await index.saveAlertGroup(second)).toBe('saved');
      expect(await index.saveAlertGroup({ ...second, version: 4 })).toBe('conflict');
      expect(await index.alertGroup('g1')).toEqual(second);
    });

    it('lists the groups with a task unreported since before a time, the longest unreported first', async () => {
      await index.saveAlertGroup({ key: 'late', members: [], unreported: { 'TMS-3': at(30) }, version: 1 });
      await index.saveAlertGroup({
        key: 'early',
        members: ['TMS-9'],
        unreported: { 'TMS-4': at(20), 'TMS-5': at(5) },
        version: 1,
      });
      await index.saveAlertGroup({ key: 'quiet', members: ['TMS-6'], unreported: {}, version: 1 });
      expect(await index.unreportedAlertGroups(at(60), 10)).toEqual(['early', 'late']);
      expect(await index.unreportedAlertGroups(at(10), 10)).toEqual(['early']);
      expect(await index.unreportedAlertGroups(at(60), 1)).toEqual(['early']);
      // Reported again: off the list.
      await index.saveAlertGroup({ key: 'early', members: ['TMS-4', 'TMS-5'], unreported: {}, version: 2 });
      expect(await index.unreportedAlertGroups(at(60), 10)).toEqual(['late']);
    });
  });
}
