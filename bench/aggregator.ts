/**
 * The stream aggregator in `npm run bench`: stream records per second through it (in the shape DynamoDB
 * Streams delivers, batches of 100, against dynalite), the DynamoDB requests it makes per record, and how
 * long a digest takes over a window of 1,000 events and one of 100,000 (the ratio is the figure: reports
 * read aggregates, not history).
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { DynamoAggregateStore } from '../src/adapters/dynamo/aggregate-store.js';
import { createTableInput, keys } from '../src/adapters/dynamo/table.js';
import { createDocumentClient, DynamoTaskStore } from '../src/adapters/dynamo/task-store.js';
import { contributionsOf, mergeContributions, reportChannels } from '../src/core/aggregates/counters.js';
import { factsOf, type TaskChange } from '../src/core/aggregates/facts.js';
import { parseConfig } from '../src/core/config.js';
import type { Task } from '../src/core/task.js';
import { ManualClock } from '../src/core/time.js';
import { buildTask } from '../src/core/use-cases/open-task.js';
import { digestFor } from '../src/core/use-cases/reports.js';
import { aggregate } from '../src/jobs/aggregator.js';
import { LOCAL_AWS, startEmbeddedDynamo } from '../src/local/embedded-dynamo.js';

const config = parseConfig(`
services: { checkout: { team: payments } }
teams: { payments: { channel: C0PAYMENTS } }
`);
const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand']);

export interface AggregatorFigures {
  records: number;
  tasks: number;
  recordsPerSecond: number;
  requestsPerRecord: number;
  writesPerRecord: number;
}

export interface DigestFigures {
  events1k: { ms: number; requests: number };
  events100k: { ms: number; requests: number };
  ratio: number;
}

function taskOf(n: number, at: number): Task {
  return buildTask(
    `TMS-${n}`,
    {
      title: `Bench alert ${n}`,
      description: '',
      priority: 'P2',
      route: { service: 'checkout', team: 'payments', channel: 'C0CHECKOUT' },
      source: 'generic',
      kind: 'alert',
      fingerprint: `bench-${n}`,
      assignee: null,
      labels: {},
      links: [],
      seenAt: new Date(at).toISOString(),
    },
    config,
    { actor: { type: 'source', id: 'generic' }, via: 'ingest', now: new Date(at) },
  ).task;
}

/** `events` changes over `tasks` tasks across 24 hours: an insert each, then their repeats. */
function changes(tasks: number, events: number): TaskChange[] {
  const out: TaskChange[] = [];
  const current = Array.from({ length: tasks }, (_, i) => taskOf(i + 1, T0));
  for (const task of current) out.push({ after: task });
  for (let e = tasks; e < events; e++) {
    const i = e % tasks;
    const before = current[i] as Task;
    const at = new Date(T0 + Math.floor((e / events) * 24 * 3_600_000)).toISOString();
    const after = {
      ...before,
      occurrences: before.occurrences + 1,
      lastSeenAt: at,
      updatedAt: at,
      version: before.version + 1,
    };
    out.push({ before, after });
    current[i] = after;
  }
  return out;
}

/** A change as the stream delivers it: keys, both images, a sequence number. */
function recordOf(change: TaskChange, sequence: number): DynamoDBRecord {
  const item = (task: Task) =>
    marshall({ ...keys.task(task.id), type: 'task', ...task }, { removeUndefinedValues: true });
  return {
    eventID: `bench-${sequence}`,
    eventName: change.before ? 'MODIFY' : 'INSERT',
    eventSource: 'aws:dynamodb',
    dynamodb: {
      Keys: marshall(keys.task(change.after.id)),
      NewImage: item(change.after),
      ...(change.before ? { OldImage: item(change.before) } : {}),
      SequenceNumber: String(sequence).padStart(21, '0'),
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  } as DynamoDBRecord;
}

function counting(endpoint: string): {
  db: DynamoDBDocumentClient;
  requests: () => number;
  writes: () => number;
  reset(): void;
} {
  const db = createDocumentClient({ ...LOCAL_AWS, endpoint });
  let requests = 0;
  let writes = 0;
  db.middlewareStack.add(
    (next, context) => async (args) => {
      requests++;
      if (WRITES.has(context.commandName ?? '')) writes++;
      return next(args);
    },
    { step: 'initialize', name: 'bench-count' },
  );
  const reset = () => {
    requests = 0;
    writes = 0;
  };
  return { db, requests: () => requests, writes: () => writes, reset };
}

async function freshTable(endpoint: string, name: string): Promise<string> {
  const admin = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
  await admin.send(new CreateTableCommand(createTableInput(name)));
  admin.destroy();
  return name;
}

/** Records per second through the aggregator, batches of 100 as an event source mapping sends them. */
export async function aggregatorThroughput(records: number, tasks: number): Promise<AggregatorFigures> {
  const dynamo = await startEmbeddedDynamo({ tableName: 'bench-agg-unused' });
  const table = await freshTable(dynamo.endpoint, `bench-agg-${tasks}`);
  const client = counting(dynamo.endpoint);
  const deps = {
    config,
    clock: new ManualClock(new Date(T0 + 24 * 3_600_000)),
    aggregates: new DynamoAggregateStore(client.db, table),
  };
  const stream = changes(tasks, records).map((c, i) => recordOf(c, i + 1));
  const started = performance.now();
  for (let i = 0; i < stream.length; i += 100) {
    const response = await aggregate(deps, { Records: stream.slice(i, i + 100) });
    if (response.batchItemFailures.length > 0) throw new Error('the bench batch failed');
  }
  const seconds = (performance.now() - started) / 1000;
  await dynamo.close();
  return {
    records,
    tasks,
    recordsPerSecond: Math.round(records / seconds),
    requestsPerRecord: Number((client.requests() / records).toFixed(2)),
    writesPerRecord: Number((client.writes() / records).toFixed(2)),
  };
}

export interface PerChangeFigures {
  /** An alert's first record (the task opened), alone in its batch: what a quiet system pays per alert. */
  opened: { requests: number; writes: number };
  /** A repeat alone in its batch; in a burst, a batch shares these writes among its records. */
  repeated: { requests: number; writes: number };
  /** A person resolving it (statistics read and written too). */
  resolved: { requests: number; writes: number };
}

/** The aggregator's DynamoDB requests for one change alone in its batch (the cost model's inputs). */
export async function aggregatorPerChange(): Promise<PerChangeFigures> {
  const dynamo = await startEmbeddedDynamo({ tableName: 'bench-one-unused' });
  const table = await freshTable(dynamo.endpoint, 'bench-one');
  const client = counting(dynamo.endpoint);
  const deps = {
    config,
    clock: new ManualClock(new Date(T0 + 3_600_000)),
    aggregates: new DynamoAggregateStore(client.db, table),
  };
  const opened = taskOf(1, T0);
  const repeated = { ...opened, occurrences: 2, lastSeenAt: new Date(T0 + 60_000).toISOString(), version: 2 };
  const at = new Date(T0 + 20 * 60_000).toISOString();
  const resolved: Task = {
    ...repeated,
    status: 'resolved',
    resolvedAt: at,
    resolvedBy: 'U01AAA',
    resolution: 'Restarted it',
    updatedAt: at,
    version: 3,
  };
  const one = async (change: TaskChange, sequence: number) => {
    client.reset();
    await aggregate(deps, { Records: [recordOf(change, sequence)] });
    return { requests: client.requests(), writes: client.writes() };
  };
  const figures = {
    opened: await one({ after: opened }, 1),
    repeated: await one({ before: opened, after: repeated }, 2),
    resolved: await one({ before: repeated, after: resolved }, 3),
  };
  await dynamo.close();
  return figures;
}

/** Digest time (median of 5) and requests over the same window holding 1,000 events, then 100,000. */
export async function digestScaling(): Promise<DigestFigures> {
  const dynamo = await startEmbeddedDynamo({ tableName: 'bench-digest-unused' });
  const one = async (events: number) => {
    const table = await freshTable(dynamo.endpoint, `bench-digest-${events}`);
    const client = counting(dynamo.endpoint);
    const store = new DynamoTaskStore(client.db, table);
    const aggregates = new DynamoAggregateStore(client.db, table);
    const all = changes(20, events);
    for (const c of all) if (!c.before) await store.create(c.after, []);
    // Seeded through the aggregator's pure fold: the items it would have written, not 100,000 of anything.
    const deltas = mergeContributions(
      all.flatMap((c) => {
        const facts = factsOf(c);
        return contributionsOf(facts, reportChannels(facts.task, config));
      }),
    );
    for (const delta of deltas) await aggregates.applyCounters(delta);
    const now = new Date(T0 + 24 * 3_600_000);
    const times: number[] = [];
    let requests = 0;
    for (let run = 0; run < 5; run++) {
      client.reset();
      const t = performance.now();
      await digestFor({ store, aggregates, config }, 'C0PAYMENTS', new Date(T0), now);
      times.push(performance.now() - t);
      requests = client.requests();
    }
    times.sort((a, b) => a - b);
    return { ms: Number((times[2] ?? 0).toFixed(1)), requests };
  };
  const small = await one(1_000);
  const large = await one(100_000);
  await dynamo.close();
  return { events1k: small, events100k: large, ratio: Number((large.ms / small.ms).toFixed(2)) };
}
