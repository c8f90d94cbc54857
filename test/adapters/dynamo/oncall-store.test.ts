import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import { DynamoOncallStore } from '../../../src/adapters/dynamo/oncall-store.js';
import { onEachBackend } from '../../helpers/dynamo.js';
import { oncallStoreContract } from '../oncall-store.contract.js';

onEachBackend((name, dynamo) => {
  const fresh = async () => new DynamoOncallStore(dynamo().embedded.db, await dynamo().freshTable());

  oncallStoreContract(`DynamoOncallStore on ${name}`, fresh);

  describe(`DynamoOncallStore on ${name}`, () => {
    it("lists a team's overrides by one query of its partition, never a scan", async () => {
      // Prepare
      const store = await fresh();
      await store.createOverride({
        id: 'OV-qqqqqqqq',
        team: 'payments',
        user: 'U0ANA',
        start: '2026-03-02T09:00:00.000Z',
        end: '2026-03-02T10:00:00.000Z',
        createdAt: '2026-03-02T08:00:00.000Z',
        createdBy: 'U0ANA',
        reason: 'take',
      });
      const sent = vi.spyOn(dynamo().embedded.db, 'send');
      try {
        // Act
        const found = await store.listOverrides(
          'payments',
          '2026-03-02T09:30:00.000Z',
          '2026-03-03T00:00:00.000Z',
        );
        // Assess
        expect(found).toHaveLength(1);
        const commands = sent.mock.calls.map(([command]) => command);
        expect(commands.map((c) => c.constructor.name)).toEqual([QueryCommand.name]);
        expect(commands.some((c) => c instanceof ScanCommand)).toBe(false);
        expect((commands[0] as QueryCommand).input.IndexName).toBeUndefined();
      } finally {
        sent.mockRestore();
      }
    });
  });
});
