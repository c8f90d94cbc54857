/**
 * Write capacity of the ingest write path, as DynamoDB itself counts it: one new alert and one repeat of it sent
 * through the pipeline (archive, the alert, the archive marked processed) on DynamoDB Local, every write asking
 * for `ReturnConsumedCapacity: INDEXES`, so the figures include each index copy a write changed. The card and the
 * counting (stream consumers) are not in it.
 *
 * dynalite counts no capacity: without Java or the emulator (scripts/dynamodb-local.ts fetches it) the figures
 * are null. `npx tsx bench/wcu.ts` prints them with the table / index split.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { DYNAMODB_LOCAL_CACHE, javaVersion, startDynamoDbLocal } from '../scripts/dynamodb-local.js';
import { createTableInput } from '../src/adapters/dynamo/table.js';
import { createDocumentClient, DynamoTaskStore, HELD_CHANGES } from '../src/adapters/dynamo/task-store.js';
import { loadConfig } from '../src/config.js';
import { ManualClock } from '../src/core/time.js';
import { defaultDeps } from '../src/core/use-cases/deps.js';
import { ingest } from '../src/ingest/pipeline.js';
import { LOCAL_AWS } from '../src/local/embedded-dynamo.js';

export interface WcuFigures {
  /** WCU of a new alert (table and indexes); null when DynamoDB Local could not run. */
  readonly newAlert: number | null;
  /**
   * WCU of a repeat of it, averaged over `REPEATS`: a task item holds its latest changes' entries and copies them
   * to the timeline every few changes (HELD_CHANGES), which the average includes.
   */
  readonly repeat: number | null;
}

/** Where each write unit went, for the printout. */
export interface WcuDetail {
  readonly total: number;
  readonly table: number;
  readonly indexes: Record<string, number>;
  /** Writes sent, and those refused by their condition (they cost capacity, but report none). */
  readonly writes: number;
  readonly refused: number;
  /** Read units, consistent reads included. */
  readonly reads: number;
  /** Each write: its command, the item's key, and its units (table + indexes). */
  readonly each: string[];
}

// The document client's stack sees the low-level commands, their input marshalled.
const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand']);
const READS = new Set(['GetItemCommand', 'QueryCommand', 'BatchGetItemCommand']);

interface Capacity {
  CapacityUnits?: number;
  Table?: { CapacityUnits?: number };
  GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
}

function emulatorDir(): string | undefined {
  const given = process.env.DYNAMODB_LOCAL_DIR;
  const dir = given ?? join(DYNAMODB_LOCAL_CACHE, 'emulator');
  return existsSync(join(dir, 'DynamoDBLocal.jar')) ? dir : undefined;
}

export async function wcuPerAlert(): Promise<WcuFigures> {
  const detail = await wcuDetail();
  return detail
    ? { newAlert: detail.newAlert.total, repeat: detail.repeat.total / REPEATS }
    : { newAlert: null, repeat: null };
}

/** Repeats measured: two rounds of the task item copying its held entries to the timeline. */
export const REPEATS = 2 * HELD_CHANGES;

/**
 * The two measurements with their split (the repeats' summed over `REPEATS`); undefined without Java or the emulator. `projectAll`: the table as it
 * was before the indexes projected only what their queries read (every index copying whole items).
 */
export async function wcuDetail(
  options: { projectAll?: boolean } = {},
): Promise<{ newAlert: WcuDetail; repeat: WcuDetail } | undefined> {
  const dir = emulatorDir();
  if (!dir || !javaVersion()) return undefined;
  const local = await startDynamoDbLocal({ dir });
  const admin = new DynamoDBClient({ ...LOCAL_AWS, endpoint: local.endpoint });
  const db = createDocumentClient({ ...LOCAL_AWS, endpoint: local.endpoint });
  try {
    const table = createTableInput('tms-wcu');
    if (options.projectAll)
      for (const index of table.GlobalSecondaryIndexes ?? []) index.Projection = { ProjectionType: 'ALL' };
    await admin.send(new CreateTableCommand(table));

    let counting: ReturnType<typeof tally> | undefined;
    db.middlewareStack.add(
      (next, context) => async (args) => {
        const name = String(context.commandName ?? '');
        const input = args.input as Record<string, unknown>;
        if (WRITES.has(name) || READS.has(name)) input.ReturnConsumedCapacity = 'INDEXES';
        try {
          const result = await next(args);
          const consumed = (result.output as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity;
          const key = (input.Key ?? input.Item) as { pk?: { S?: string } | string } | undefined;
          const pk = typeof key?.pk === 'string' ? key.pk : (key?.pk?.S ?? '');
          counting?.add(name, consumed, pk);
          return result;
        } catch (error) {
          if ((error as { name?: string }).name === 'ConditionalCheckFailedException') counting?.refuse();
          throw error;
        }
      },
      { step: 'initialize', name: 'consumedCapacity' },
    );

    const clock = new ManualClock('2026-12-04T10:00:00.000Z');
    const deps = defaultDeps(new DynamoTaskStore(db, 'tms-wcu'), loadConfig({}), clock);
    const send = async (key: string) => {
      clock.advance(60_000);
      const answer = await ingest(deps, 'generic', request(key), { ingestToken: TOKEN });
      if (answer.statusCode !== 202) throw new Error(`ingest answered ${answer.statusCode}: ${answer.body}`);
    };
    // A process past its first alerts: it holds a block of task numbers (the counter's write, 1 WCU per block
    // of up to 20 numbers, is left out).
    await send('wcu-warm-up-1');
    await send('wcu-warm-up-2');
    counting = tally();
    await send('wcu-new');
    const newAlert = counting.detail();
    counting = tally();
    for (let i = 0; i < REPEATS; i++) await send('wcu-new');
    const repeat = counting.detail();
    return { newAlert, repeat };
  } finally {
    admin.destroy();
    db.destroy();
    await local.stop();
  }
}

function tally() {
  let total = 0;
  let tableUnits = 0;
  let reads = 0;
  let writes = 0;
  let refused = 0;
  const indexes: Record<string, number> = {};
  const each: string[] = [];
  return {
    add(name: string, consumed: Capacity | Capacity[] | undefined, key: string) {
      const all = consumed === undefined ? [] : Array.isArray(consumed) ? consumed : [consumed];
      if (READS.has(name)) {
        for (const c of all) reads += c.CapacityUnits ?? 0;
        return;
      }
      writes++;
      const units = all.reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
      each.push(`${name.replace('Command', '')} ${key.split('#').slice(0, 1).join('')}: ${units}`);
      for (const c of all) {
        total += c.CapacityUnits ?? 0;
        tableUnits += c.Table?.CapacityUnits ?? 0;
        for (const [index, units] of Object.entries(c.GlobalSecondaryIndexes ?? {}))
          indexes[index] = (indexes[index] ?? 0) + (units.CapacityUnits ?? 0);
      }
    },
    refuse() {
      writes++;
      refused++;
      each.push('refused by its condition');
    },
    detail: (): WcuDetail => ({ total, table: tableUnits, indexes, writes, refused, reads, each }),
  };
}

const TOKEN = 'wcu-bench';

/** A PagerDuty-style trigger to the generic source, as the bench's other generic alerts. */
function request(key: string): APIGatewayProxyEventV2 {
  return {
    routeKey: 'POST /ingest/{source}',
    rawPath: '/ingest/generic',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      routing_key: TOKEN,
      event_action: 'trigger',
      dedup_key: key,
      payload: { summary: `Bench alert ${key}`, source: 'bench', severity: 'error', component: 'checkout' },
    }),
    isBase64Encoded: false,
    requestContext: {},
  } as unknown as APIGatewayProxyEventV2;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const projectAll = process.argv.includes('--project-all');
  const detail = await wcuDetail({ projectAll });
  console.log(detail ? JSON.stringify(detail, null, 2) : 'DynamoDB Local not available: no figures');
  if (detail)
    console.log(`WCU per new alert ${detail.newAlert.total}, per repeat ${detail.repeat.total / REPEATS}`);
}
