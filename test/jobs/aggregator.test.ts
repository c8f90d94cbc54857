import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoAggregateStore } from '../../src/adapters/dynamo/aggregate-store.js';
import { createTableInput } from '../../src/adapters/dynamo/table.js';
import { createDocumentClient, DynamoTaskStore } from '../../src/adapters/dynamo/task-store.js';
import { parseConfig } from '../../src/core/config.js';
import type { AggregateStore } from '../../src/core/ports.js';
import { issueKeyOf } from '../../src/core/similar.js';
import { ManualClock } from '../../src/core/time.js';
import { actOnTask } from '../../src/core/use-cases/act-on-task.js';
import { ingestAlert } from '../../src/core/use-cases/ingest-alert.js';
import { type AggregatorDeps, aggregate } from '../../src/jobs/aggregator.js';
import { passes, TASK_ITEMS } from '../../src/jobs/stream-consumers.js';
import { LOCAL_AWS } from '../../src/local/embedded-dynamo.js';
import { StreamFeed, type StreamRecord } from '../../src/local/stream-feed.js';
import { onEachBackend } from '../helpers/dynamo.js';
import { anAlert } from '../helpers/factories.js';

/** Table names of this file's own: DynamoDB Local is shared by the run. */
const suite = randomUUID().slice(0, 8);

const config = parseConfig(`
services: { checkout: { team: payments } }
teams: { payments: { channel: C0PAYMENTS } }
trends: { window: 1h, baseline: 24h, factor: 3, minCount: 3 }
`);
const T0 = '2026-03-02T09:00:00.000Z';
const HOUR = '2026-03-02T09';

onEachBackend((backend, dynamo) => {
  let feed: StreamFeed;
  let endpoint: string;
  let tables = 0;
  const captured: StreamRecord[] = [];

  beforeAll(async () => {
    feed = new StreamFeed(dynamo().embedded.endpoint, 'local');
    endpoint = await feed.listen();
    feed.onRecord((record) => captured.push(record));
  });
  afterAll(async () => {
    await feed.close();
  });

  /**
   * A fresh table behind the stream feed, and the task records of a realistic stretch of work written to it:
   * alert A fires three times, is claimed and resolved with a note; alert B fires once.
   */
  async function scenario() {
    const tableName = `agg-${suite}-${++tables}`;
    const admin = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
    await admin.send(new CreateTableCommand(createTableInput(tableName)));
    admin.destroy();
    const db = createDocumentClient({ ...LOCAL_AWS, endpoint });
    const store = new DynamoTaskStore(db, tableName);
    const clock = new ManualClock(T0);
    let n = 0;
    const deps = { store, config, clock, newId: () => `token-${++n}`, sleep: async () => {} };
    const from = captured.length;
    const a = anAlert({ fingerprint: 'consumer-lag', service: 'checkout', occurredAt: T0 });
    await ingestAlert(deps, a);
    for (const minutes of [1, 2]) {
      clock.set(new Date(Date.parse(T0) + minutes * 60_000));
      await ingestAlert(deps, { ...a, occurredAt: clock.now().toISOString() });
    }
    clock.set('2026-03-02T09:03:00.000Z');
    const ctx = { actor: { type: 'user' as const, id: 'U01AAA' }, via: 'slack' as const };
    await actOnTask(deps, { taskId: 'TMS-1', command: { type: 'claim' }, role: 'developer', ctx });
    clock.set('2026-03-02T09:20:00.000Z');
    await actOnTask(deps, {
      taskId: 'TMS-1',
      command: { type: 'resolve', resolution: 'Restarted the consumer' },
      role: 'developer',
      ctx,
    });
    clock.set('2026-03-02T09:25:00.000Z');
    await ingestAlert(
      deps,
      anAlert({
        fingerprint: 'disk-full',
        title: 'Disk full on db-1',
        service: 'checkout',
        occurredAt: clock.now().toISOString(),
      }),
    );
    const records = captured.slice(from).filter((r) => passes(TASK_ITEMS, r));
    const aggregates = new DynamoAggregateStore(db, tableName);
    const posted: unknown[] = [];
    const aggregator: AggregatorDeps = {
      config,
      clock: new ManualClock('2026-03-02T09:26:00.000Z'),
      aggregates,
      postTrends: async (started) => {
        posted.push(...started);
      },
    };
    return { records, aggregates, aggregator, posted, tableName };
  }

  const fpCounters = async (aggregates: AggregateStore, fingerprint: string) =>
    (await aggregates.hours(`fp:${fingerprint}`, HOUR, HOUR))[0]?.counters;

  describe(`the stream aggregator, on ${backend}`, () => {
    it('folds a realistic stretch of task records into counters, statistics and a trend', async () => {
      // Prepare
      const { records, aggregates, aggregator, posted } = await scenario();
      expect(records.map((r) => r.eventName)).toEqual([
        'INSERT',
        'MODIFY',
        'MODIFY',
        'MODIFY',
        'MODIFY',
        'INSERT',
      ]);
      // Act
      const response = await aggregate(aggregator, { Records: records });
      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(await fpCounters(aggregates, 'consumer-lag')).toMatchObject({
        events: 3,
        opened: 1,
        acked: 1,
        ackMs: 3 * 60_000,
        resolved: 1,
        resolveMs: 20 * 60_000,
        ackMet: 1,
        resolveMet: 1,
      });
      const team = await aggregates.hours('ch:C0PAYMENTS', HOUR, HOUR);
      expect(team[0]?.sets).toEqual({ openedIds: ['TMS-1', 'TMS-2'], resolvedIds: ['TMS-1'] });
      const issue = issueKeyOf('checkout', 'Checkout latency above 2s');
      const stats = await aggregates.stats({ kind: 'issue', service: 'checkout', issue });
      expect(stats).toMatchObject({ times: 1, resolved: 1, lastTaskId: 'TMS-1' });
      expect(stats.notes.entries).toEqual([{ value: 'restarted the consumer', count: 1, error: 0 }]);
      // Three events in the window (minCount 3) from a silent baseline: one trend for the alert; the service's
      // own trend is recorded too (the post explains it by the alert's).
      expect(posted).toMatchObject([
        { scope: 'fp:consumer-lag', recent: 3 },
        { scope: 'svc:checkout', recent: 4 },
      ]);
    });

    it('counts a batch delivered again once, whole or from any record on', async () => {
      const { records, aggregates, aggregator, posted } = await scenario();
      await aggregate(aggregator, { Records: records });
      const once = await aggregates.hours('all', HOUR, HOUR);
      const statsOnce = await aggregates.stats({ kind: 'service', service: 'checkout', priority: 'P2' });
      await aggregate(aggregator, { Records: records });
      for (let from = 1; from < records.length; from++)
        await aggregate(aggregator, { Records: records.slice(from) });
      expect(await aggregates.hours('all', HOUR, HOUR)).toEqual(once);
      expect(await aggregates.stats({ kind: 'service', service: 'checkout', priority: 'P2' })).toEqual(
        statsOnce,
      );
      expect(posted).toHaveLength(2); // each trend started once
    });

    it('fails a malformed record alone; the rest of its batch counts, and counts once when it comes again', async () => {
      const { records, aggregates, aggregator } = await scenario();
      const poison = structuredClone(records[2]) as StreamRecord;
      poison.dynamodb.SequenceNumber = '000000000000000099999';
      (poison.dynamodb.NewImage as Record<string, { S?: string }>).status = { S: 'exploded' };
      const batch = [...records.slice(0, 2), poison, ...records.slice(2)];
      // Act
      const first = await aggregate(aggregator, { Records: batch });
      // The event source mapping retries from the failed record on: the poison and all that followed it.
      const retry = await aggregate(aggregator, { Records: batch.slice(2) });
      // Assess
      expect(first.batchItemFailures).toEqual([{ itemIdentifier: '000000000000000099999' }]);
      expect(retry.batchItemFailures).toEqual([{ itemIdentifier: '000000000000000099999' }]);
      expect(await fpCounters(aggregates, 'consumer-lag')).toMatchObject({
        events: 3,
        acked: 1,
        resolved: 1,
      });
      expect(await fpCounters(aggregates, 'disk-full')).toMatchObject({ events: 1, opened: 1 });
    });

    it('fails only the records whose writes failed, and the retry completes them exactly', async () => {
      const { records, aggregates, aggregator } = await scenario();
      // A fault at a chosen moment: the disk-full fingerprint's hourly item cannot be written once.
      let failures = 1;
      const flaky: AggregateStore = Object.assign(Object.create(aggregates) as AggregateStore, {
        applyCounters: async (delta: Parameters<AggregateStore['applyCounters']>[0]) => {
          if (delta.scope === 'fp:disk-full' && failures-- > 0)
            throw new Error('ProvisionedThroughputExceeded');
          return aggregates.applyCounters(delta);
        },
      });
      const first = await aggregate({ ...aggregator, aggregates: flaky }, { Records: records });
      const last = records.at(-1) as DynamoDBRecord;
      expect(first.batchItemFailures).toEqual([{ itemIdentifier: last.dynamodb?.SequenceNumber }]);
      const failedFrom = records.findIndex(
        (r) => r.dynamodb.SequenceNumber === first.batchItemFailures[0]?.itemIdentifier,
      );
      const retry = await aggregate(
        { ...aggregator, aggregates: flaky },
        { Records: records.slice(failedFrom) },
      );
      expect(retry.batchItemFailures).toEqual([]);
      expect((await aggregates.hours('all', HOUR, HOUR))[0]?.counters).toMatchObject({
        events: 4,
        opened: 2,
        resolved: 1,
      });
    });

    it('counts exactly when a write landed but its answer was lost, and emits each metric once all the same', async () => {
      const { records, aggregates, aggregator } = await scenario();
      // A fault after the fact: the service's item is written, then the answer never comes back.
      let lost = 1;
      const flaky: AggregateStore = Object.assign(Object.create(aggregates) as AggregateStore, {
        applyCounters: async (delta: Parameters<AggregateStore['applyCounters']>[0]) => {
          const counted = await aggregates.applyCounters(delta);
          if (delta.scope === 'svc:checkout' && lost-- > 0) throw new Error('socket hang up');
          return counted;
        },
      });
      const sink = { addDimensions: vi.fn(), addMetric: vi.fn(), publishStoredMetrics: vi.fn() };
      const deps = { ...aggregator, aggregates: flaky, metrics: sink as never };
      const first = await aggregate(deps, { Records: records });
      expect(first.batchItemFailures.length).toBeGreaterThan(0);
      const failedFrom = records.findIndex((r) =>
        first.batchItemFailures.some((f) => f.itemIdentifier === r.dynamodb.SequenceNumber),
      );
      const retry = await aggregate(deps, { Records: records.slice(failedFrom) });
      expect(retry.batchItemFailures).toEqual([]);
      expect((await aggregates.hours('svc:checkout', HOUR, HOUR))[0]?.counters).toMatchObject({
        events: 4,
        opened: 2,
        acked: 1,
        resolved: 1,
      });
      const opened = sink.addMetric.mock.calls.filter((c) => c[0] === 'TasksOpened');
      expect(opened).toHaveLength(2);
    });

    it('reads the task records DynamoDB Local itself streamed, and leaves every other item alone', async () => {
      const golden = JSON.parse(readFileSync('test/fixtures/dynamodb-stream/golden.json', 'utf8')) as {
        records: StreamRecord[];
      };
      const { aggregates, aggregator } = await scenario();
      const response = await aggregate(aggregator, { Records: golden.records });
      expect(response.batchItemFailures).toEqual([]);
      // The golden scenario: an alert, its repeat, then a claim by U0ANA.
      expect(await fpCounters(aggregates, 'generic:checkout-latency')).toMatchObject({
        events: 2,
        opened: 1,
        acked: 1,
      });
    });

    it('never feeds on its own writes: they are not task items', async () => {
      const { records, aggregator } = await scenario();
      const from = captured.length;
      await aggregate(aggregator, { Records: records });
      const own = captured.slice(from);
      expect(own.length).toBeGreaterThan(0);
      expect(own.every((r) => r.dynamodb.Keys?.pk?.S?.startsWith('AGG#'))).toBe(true);
      expect(own.filter((r) => passes(TASK_ITEMS, r))).toEqual([]);
    });

    it('emits what it counted as CloudWatch metrics, per service, per priority and in all', async () => {
      const { records, aggregator } = await scenario();
      const sink = { addDimensions: vi.fn(), addMetric: vi.fn(), publishStoredMetrics: vi.fn() };
      await aggregate({ ...aggregator, metrics: sink as never }, { Records: records });
      expect(sink.addDimensions.mock.calls).toEqual([[{ Service: 'checkout' }], [{ Priority: 'P2' }], [{}]]);
      const names = sink.addMetric.mock.calls.map((c) => c[0]);
      expect(names.filter((n) => n === 'TasksOpened')).toHaveLength(2);
      expect(sink.addMetric).toHaveBeenCalledWith('TimeToAcknowledge', 'Milliseconds', 3 * 60_000);
      expect(sink.addMetric).toHaveBeenCalledWith('TimeToResolve', 'Milliseconds', 20 * 60_000);
      expect(sink.publishStoredMetrics).toHaveBeenCalled();
      // Delivered again: counted once, so no metric twice.
      sink.addMetric.mockClear();
      await aggregate({ ...aggregator, metrics: sink as never }, { Records: records });
      expect(sink.addMetric).not.toHaveBeenCalled();
    });
  });
});
