import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoAggregateStore } from '../../../src/adapters/dynamo/aggregate-store.js';
import { keys } from '../../../src/adapters/dynamo/table.js';
import { contributionsOf, mergeContributions } from '../../../src/core/aggregates/counters.js';
import { factsOf, type TaskFacts } from '../../../src/core/aggregates/facts.js';
import { APPLIED_FOR_MS, foldStats, type StatsKey } from '../../../src/core/aggregates/resolutions.js';
import { lifeOf } from '../../helpers/changes.js';
import { dynalite, onEachBackend, type TestDynamo } from '../../helpers/dynamo.js';
import { aTask, T0 } from '../../helpers/factories.js';
import { aggregateStoreContract } from '../aggregate-store.contract.js';

/** An item's size as DynamoDB bills and limits it (names and values, in bytes; numbers at most 21). */
function itemBytes(item: Record<string, unknown>): number {
  // biome-ignore lint/suspicious/noExplicitAny: DynamoDB JSON, walked by type tag
  const size = (value: any): number => {
    if ('S' in value) return Buffer.byteLength(value.S);
    if ('N' in value)
      return Math.min(21, Math.ceil(String(value.N).replace(/^-|\.|^0+/g, '').length / 2) + 1);
    if ('BOOL' in value || 'NULL' in value) return 1;
    if ('SS' in value) return value.SS.reduce((n: number, s: string) => n + Buffer.byteLength(s), 0);
    if ('L' in value) return 3 + value.L.reduce((n: number, v: unknown) => n + 1 + size(v), 0);
    if ('M' in value)
      return (
        3 + Object.entries(value.M).reduce((n: number, [k, v]) => n + 1 + Buffer.byteLength(k) + size(v), 0)
      );
    throw new Error(`no size for ${JSON.stringify(value)}`);
  };
  return Object.entries(marshall(item, { convertClassInstanceToMap: true })).reduce(
    (n, [name, value]) => n + Buffer.byteLength(name) + size(value),
    0,
  );
}

const key: StatsKey = { kind: 'service', service: 'checkout', priority: 'P2' };
/** `n` tasks from `from` on, each opened and resolved 5 minutes later: what a batch of records carries. */
const resolvedTasks = (from: number, n: number): TaskFacts[] =>
  Array.from({ length: n }, (_, i) =>
    lifeOf(aTask({ id: `TMS-${from + i}`, priority: 'P2' }))
      .act({ type: 'resolve', resolution: null }, 5)
      .changes.map(factsOf),
  ).flat();
const ids = (changes: readonly TaskFacts[]) => [...new Set(changes.map((c) => c.task.id))];
const at = (minutes: number) => new Date(Date.parse(T0) + minutes * 60_000);
const fold = (store: DynamoAggregateStore, changes: TaskFacts[], now: Date) =>
  store.updateStats(key, (s) => foldStats(s, changes, now), ids(changes));
const rawItem = async (db: DynamoDBDocumentClient, table: string) =>
  (
    await db.send(
      new GetCommand({
        TableName: table,
        Key: keys.serviceStats(key.service, key.priority),
        ConsistentRead: true,
      }),
    )
  ).Item ?? {};

onEachBackend((name, dynamo) => {
  aggregateStoreContract(
    `DynamoAggregateStore on ${name}`,
    async () => new DynamoAggregateStore(dynamo().embedded.db, await dynamo().freshTable()),
  );

  describe(`DynamoAggregateStore hourly items, on ${name}`, () => {
    it('keeps an hour in 8 items by task, under the keys the data already stored has', async () => {
      // Prepare: tasks whose FNV-1a shards are 1, 0, 3, 0 and 3, all in one hour of one service.
      const table = await dynamo().freshTable();
      const db = dynamo().embedded.db;
      const store = new DynamoAggregateStore(db, table);
      const tasks = ['TMS-1', 'TMS-2', 'TMS-3', 'TMS-42', 'TMS-1000'];
      const changes = tasks.flatMap((id) => lifeOf(aTask({ id, service: 'keys' })).occur(1).changes);
      // Act
      for (const delta of mergeContributions(changes.flatMap((c) => contributionsOf(factsOf(c)))))
        await store.applyCounters(delta);
      // Assess: byte for byte the keys written before the shard count moved out of core.
      const { Items } = await db.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': 'AGG#svc:keys' },
        }),
      );
      const hour = T0.slice(0, 13);
      expect(
        (Items ?? []).map((item) => [
          item.sk,
          Object.keys(item)
            .filter((k) => k.startsWith('v.'))
            .sort(),
        ]),
      ).toEqual([
        [`H#${hour}#0`, ['v.TMS-2', 'v.TMS-42']],
        [`H#${hour}#1`, ['v.TMS-1']],
        [`H#${hour}#3`, ['v.TMS-1000', 'v.TMS-3']],
      ]);
      expect((await store.hours('svc:keys', hour, hour))[0]?.counters).toMatchObject({
        events: 10,
        opened: 5,
      });
    });
  });

  describe(`DynamoAggregateStore statistics of a busy service, on ${name}`, () => {
    it('loses no count and counts none twice when a write fails after its markers went out', async () => {
      const table = await dynamo().freshTable();
      const db = dynamo().embedded.db;
      const store = new DynamoAggregateStore(db, table);
      for (let b = 0; b < 3; b++) await fold(store, resolvedTasks(1 + b * 100, 100), at(b));
      const real = db.send.bind(db);
      let failed = 0;
      const sent = vi.spyOn(db, 'send').mockImplementation(async (command: unknown) => {
        if (command instanceof PutCommand && failed === 0) {
          failed++;
          throw new Error('connection reset');
        }
        return real(command as never);
      });
      try {
        await expect(fold(store, resolvedTasks(301, 100), at(3))).rejects.toThrow('connection reset');
      } finally {
        sent.mockRestore();
      }
      expect((await store.stats(key)).resolved).toBe(300);
      // The batch comes again, with the first one (its markers are out of the item by now).
      await fold(store, resolvedTasks(301, 100), at(4));
      await fold(store, resolvedTasks(1, 100), at(4));
      expect((await store.stats(key)).resolved).toBe(400);
    });

    it('forgets counted versions once their records cannot come again', async () => {
      const table = await dynamo().freshTable();
      const store = new DynamoAggregateStore(dynamo().embedded.db, table);
      await fold(store, resolvedTasks(1, 100), at(0));
      await fold(store, resolvedTasks(101, 100), at(1));
      expect((await rawItem(dynamo().embedded.db, table)).appliedSpilledAt).toBeDefined();
      const later = new Date(at(1).getTime() + APPLIED_FOR_MS + 60_000);
      await fold(store, resolvedTasks(201, 1), later);
      const item = await rawItem(dynamo().embedded.db, table);
      expect(Object.keys(item.applied)).toEqual(['TMS-201']);
      expect(item.appliedSpilledAt).toBeUndefined();
      expect((await store.stats(key)).resolved).toBe(201);
    });
  });
});

/**
 * At and beyond where the old statistics item broke (about 8,000 tasks in 3 hours: past 400 KB, which dynalite
 * and DynamoDB Local both refuse). Once per run, on dynalite: its 10,000 marker writes take about a third of
 * the time there that they take on DynamoDB Local, and the spilling itself runs on both in the suite above.
 */
const faithful = dynalite;
describe(`DynamoAggregateStore statistics of a very busy service, on ${faithful.name}`, () => {
  let started: TestDynamo | undefined;
  const dynamo = () => started as TestDynamo;
  beforeAll(async () => {
    started = await faithful.start();
  });
  afterAll(async () => {
    await started?.close();
  });

  it('counts 10,000 tasks resolved within 3 hours exactly once each, in an item that stays a few KB', async () => {
    const table = await dynamo().freshTable();
    const store = new DynamoAggregateStore(dynamo().embedded.db, table);
    const TASKS = 10_000;
    const BATCH = 100;
    let largest = 0;
    for (let b = 0; b < TASKS / BATCH; b++) {
      const now = at(b); // 100 batches over 100 minutes: every counted version is still kept
      await fold(store, resolvedTasks(1 + b * BATCH, BATCH), now);
      // A record delivered again, from long ago and from just now: counted once.
      if (b % 10 === 9) {
        await fold(store, resolvedTasks(1 + (b - 9) * BATCH, BATCH), now);
        await fold(store, resolvedTasks(1 + b * BATCH, BATCH), now);
      }
      largest = Math.max(largest, itemBytes(await rawItem(dynamo().embedded.db, table)));
    }
    const stats = await store.stats(key);
    expect(stats.resolved).toBe(TASKS);
    expect(stats.ttr.total).toBe(TASKS);
    // The old item kept all 10,000 (about 600 KB: refused past 400 KB, and 200 WCU a write at 4,000).
    expect(largest).toBeLessThan(12 * 1024);
  }, 120_000);
});
