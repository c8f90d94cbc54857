import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import { DynamoHeartbeatStore } from '../../../src/adapters/dynamo/heartbeat-store.js';
import { onEachBackend } from '../../helpers/dynamo.js';
import { heartbeatStoreContract } from '../heartbeat-store.contract.js';

onEachBackend((name, dynamo) => {
  const fresh = async () => new DynamoHeartbeatStore(dynamo().embedded.db, await dynamo().freshTable());

  heartbeatStoreContract(`DynamoHeartbeatStore on ${name}`, fresh);

  describe(`DynamoHeartbeatStore on ${name}`, () => {
    it('lists the heartbeats by one query of their partition, never a scan', async () => {
      // Prepare
      const store = await fresh();
      for (const beat of ['a', 'b', 'c'])
        await store.putHeartbeat({
          name: beat,
          everyMs: 60_000,
          graceMs: 60_000,
          origin: 'slack',
          createdBy: 'U0ANA',
          createdAt: '2026-12-01T00:00:00.000Z',
        });
      const sent = vi.spyOn(dynamo().embedded.db, 'send');
      try {
        // Act
        const listed = await store.listHeartbeats();
        // Assess
        expect(listed.map((b) => b.name)).toEqual(['a', 'b', 'c']);
        const commands = sent.mock.calls.map(([command]) => command);
        expect(commands.map((c) => c.constructor.name)).toEqual([QueryCommand.name]);
        expect(commands.some((c) => c instanceof ScanCommand)).toBe(false);
      } finally {
        sent.mockRestore();
      }
    });
  });
});
