import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import { CachedWindows, DynamoWindowStore } from '../../../src/adapters/dynamo/window-store.js';
import { onEachBackend } from '../../helpers/dynamo.js';
import { windowStoreContract } from '../window-store.contract.js';

onEachBackend((name, dynamo) => {
  const fresh = async () => new DynamoWindowStore(dynamo().embedded.db, await dynamo().freshTable());

  windowStoreContract(`DynamoWindowStore on ${name}`, fresh);

  describe(`DynamoWindowStore on ${name}`, () => {
    it('lists the windows by one query of one partition, never a scan, and a cache asks once a while', async () => {
      // Prepare
      let now = 0;
      const store = new CachedWindows(await fresh(), 5_000, () => now);
      await store.createWindow({
        id: 'MW-qqqqqq',
        matchers: [{ key: 'service', value: 'db' }],
        from: '2026-12-06T01:00:00.000Z',
        to: '2026-12-06T03:00:00.000Z',
        timezone: 'UTC',
        reason: '',
        origin: 'slack',
        createdBy: 'U0ANA',
        createdAt: '2026-12-04T14:00:00.000Z',
        held: 0,
      });
      const sent = vi.spyOn(dynamo().embedded.db, 'send');
      try {
        // Act
        for (let i = 0; i < 10; i++) expect(await store.listWindows()).toHaveLength(1);
        now = 5_000;
        await store.listWindows();
        // Assess
        const commands = sent.mock.calls.map(([command]) => command);
        expect(commands.map((c) => c.constructor.name)).toEqual([QueryCommand.name, QueryCommand.name]);
        expect(commands.some((c) => c instanceof ScanCommand)).toBe(false);
        expect((commands[0] as QueryCommand).input.IndexName).toBeUndefined();
      } finally {
        sent.mockRestore();
      }
    });
  });
});
