import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import { DynamoSilenceStore } from '../../../src/adapters/dynamo/silence-store.js';
import { onEachBackend } from '../../helpers/dynamo.js';
import { silenceStoreContract } from '../silence-store.contract.js';

onEachBackend((name, dynamo) => {
  const fresh = async () => new DynamoSilenceStore(dynamo().embedded.db, await dynamo().freshTable());

  silenceStoreContract(`DynamoSilenceStore on ${name}`, fresh);

  describe(`DynamoSilenceStore on ${name}`, () => {
    it('lists the silences in force by one query of the sparse index, never a scan', async () => {
      const store = await fresh();
      await store.createSilence({
        id: 'S-qqqqqq',
        matchers: [{ key: 'service', value: 'checkout' }],
        reason: 'deploying',
        createdBy: 'U0ANA',
        createdAt: '2026-03-02T09:00:00.000Z',
        endsAt: '2026-03-02T10:00:00.000Z',
        matched: 0,
      });
      const sent = vi.spyOn(dynamo().embedded.db, 'send');
      try {
        expect(await store.activeSilences('2026-03-02T09:30:00.000Z')).toHaveLength(1);
        const commands = sent.mock.calls.map(([command]) => command);
        expect(commands.map((c) => c.constructor.name)).toEqual([QueryCommand.name]);
        expect(commands.some((c) => c instanceof ScanCommand)).toBe(false);
        expect((commands[0] as QueryCommand).input.IndexName).toBe('gsi1');
      } finally {
        sent.mockRestore();
      }
    });
  });
});
