import { GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import { DynamoLiveStore } from '../../../src/adapters/dynamo/live-store.js';
import { keys, TABLE } from '../../../src/adapters/dynamo/table.js';
import { onEachBackend } from '../../helpers/dynamo.js';
import { liveStoreContract } from '../live-store.contract.js';

onEachBackend((name, dynamo) => {
  const freshTable = () => dynamo().freshTable();
  const fresh = async () => new DynamoLiveStore(dynamo().embedded.db, await freshTable());

  liveStoreContract(`DynamoLiveStore on ${name}`, fresh);

  describe(`DynamoLiveStore on ${name}`, () => {
    it('lists connections by one query of each of its partitions, never a scan or an index', async () => {
      const store = await fresh();
      await store.connect({
        id: 'conn-a',
        role: 'admin',
        actor: { type: 'system', id: 'api-token' },
        connectedAt: '2026-03-02T09:00:00.000Z',
        expiresAt: '2026-03-02T11:00:00.000Z',
      });
      const sent = vi.spyOn(dynamo().embedded.db, 'send');
      try {
        expect(await store.connections('2026-03-02T09:30:00.000Z')).toHaveLength(1);
        const commands = sent.mock.calls.map(([command]) => command);
        expect(commands).toHaveLength(keys.liveConnectionShards);
        expect(commands.every((c) => c instanceof QueryCommand && c.input.IndexName === undefined)).toBe(
          true,
        );
        expect(commands.some((c) => c instanceof ScanCommand)).toBe(false);
      } finally {
        sent.mockRestore();
      }
    });

    it('gives each item the table’s TTL attribute, in epoch seconds, moved on by a refresh', async () => {
      const table = await freshTable();
      const store = new DynamoLiveStore(dynamo().embedded.db, table);
      await store.connect({
        id: 'conn-ttl',
        role: 'viewer',
        actor: { type: 'user', id: 'U09VIEW' },
        connectedAt: '2026-03-02T09:00:00.000Z',
        expiresAt: '2026-03-02T11:00:00.000Z',
      });
      const item = async () =>
        (
          await dynamo().embedded.db.send(
            new GetCommand({ TableName: table, Key: keys.liveConnection('conn-ttl') }),
          )
        ).Item;
      expect((await item())?.[TABLE.ttlAttribute]).toBe(Date.parse('2026-03-02T11:00:00.000Z') / 1000);
      await store.refresh('conn-ttl', '2026-03-02T13:00:00.000Z');
      expect((await item())?.[TABLE.ttlAttribute]).toBe(Date.parse('2026-03-02T13:00:00.000Z') / 1000);
      await store.logChanges(
        [{ taskId: 'TMS-9', at: '2026-03-02T09:10:00.000Z' }],
        '2026-03-02T11:10:00.000Z',
      );
      const { Items } = await dynamo().embedded.db.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': keys.liveChanges('2026-03-02T09') },
        }),
      );
      expect(Items?.map((i) => i[TABLE.ttlAttribute])).toEqual([
        Date.parse('2026-03-02T11:10:00.000Z') / 1000,
      ]);
    });

    it('logs a burst of changes in batches of 25, each task and time once', async () => {
      const store = await fresh();
      const changes = Array.from({ length: 60 }, (_, i) => ({
        taskId: `TMS-${i % 40}`,
        at: new Date(Date.UTC(2026, 2, 2, 9, 0, i % 40)).toISOString(),
      }));
      await store.logChanges(changes, '2026-03-02T11:00:00.000Z');
      const back = await store.changesSince('2026-03-02T09:00:00.000Z', '2026-03-02T09:59:00.000Z', 500);
      expect(back.changes).toHaveLength(40);
    });
  });
});
