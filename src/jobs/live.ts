import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { keys, TASK_SK } from '../adapters/dynamo/table.js';
import {
  CATCH_UP_LIMIT,
  CATCH_UP_OVERLAP_MS,
  CATCH_UP_WINDOW_MS,
  encode,
  type LiveConnection,
  latestOf,
  changeOf as logEntryOf,
  mayReceive,
  type ServerMessage,
} from '../core/live.js';
import type { Clock, LiveConnectionStore, LiveSender, TaskRepository } from '../core/ports.js';
import type { Task } from '../core/task.js';
import { logger } from '../runtime/logger.js';
import { changeOf } from './aggregator.js';
import type { FilterPattern } from './stream-consumers.js';

/** The scope of the sweeper's SLA warnings' at-most-once markers (src/jobs/sla-warnings.ts). */
const SLA_WARNING_SCOPE = 'sla-warning';
const SLA_MARKER_PREFIX = keys.seen(SLA_WARNING_SCOPE, '').pk;

/** The aggregator's trend episodes (`AGG#TRENDS`): a new one is a trend that started. */
export const TREND_ITEMS: FilterPattern = { dynamodb: { Keys: { pk: { S: [keys.trends] } } } };
/**
 * An SLA warning the sweeper sent: its marker turning `done` (src/jobs/once.ts), which happens once the
 * message is posted, so the dashboard hears of a warning when the channel does and never of one not sent.
 */
export const SLA_WARNINGS_SENT: FilterPattern = {
  dynamodb: {
    Keys: { pk: { S: [{ prefix: SLA_MARKER_PREFIX }] } },
    NewImage: { state: { S: ['done'] } },
  },
};

export interface LiveDeps {
  readonly live: LiveConnectionStore;
  readonly sender: LiveSender;
  readonly clock: Clock;
}

/** Connections sent to at once; each one's messages go in order (infra bounds a batch's changes, LIVE_BATCH). */
const PARALLEL = 32;
/** Tasks read at once for a catch-up. */
const READS = 8;
/**
 * A connection this young that API Gateway calls gone may still be finishing its `$connect` (its item is put
 * before the handshake completes): it is left to its own `$disconnect`, or its TTL, rather than deleted.
 */
export const SETTLING_MS = 30_000;

/**
 * The live pusher's consumer of the table's stream (task items only, as cards and the aggregator): each task's
 * latest change of the batch becomes one message (`task.changed` with the task as `GET /api/tasks/{id}` shows
 * it, or `task.deleted`), logged for catch-up first, then sent to every connection allowed to see it. A
 * connection that is gone is forgotten; one that fails otherwise is logged and skipped, never failing the
 * batch (the others were sent, and a resend would repeat them). The store failing does fail it: the stream
 * sends the batch again, and clients take a repeated version as the same.
 *
 * The log is written before the connections are listed, and both are read consistently, so a client
 * connecting meanwhile is either listed (and sent the change) or connected after the log had it (and its
 * `since`, sent once connected, finds it).
 */
export async function pushChanges(
  deps: LiveDeps,
  event: DynamoDBStreamEvent,
): Promise<DynamoDBBatchResponse> {
  const now = deps.clock.now();
  const byTask = new Map<string, ({ task: Task } | { deleted: string; at: string })[]>();
  for (const record of event.Records) {
    const change = taskChangeOf(record, now);
    if (!change) continue;
    const id = 'task' in change ? change.task.id : change.deleted;
    byTask.set(id, [...(byTask.get(id) ?? []), change]);
  }
  const changes = [...byTask.values()].flatMap((changes) => latestOf(changes) ?? []);
  // Trends and warnings are news of the moment: sent, never logged for catch-up (the dashboard reads the
  // trends and the SLA clocks from the API when it loads).
  const news = event.Records.flatMap((record) => newsOf(record) ?? []);
  const messages = [...changes, ...news];
  if (messages.length === 0) return { batchItemFailures: [] };
  if (changes.length > 0)
    await deps.live.logChanges(
      changes.flatMap((m) => logEntryOf(m) ?? []),
      new Date(now.getTime() + CATCH_UP_WINDOW_MS).toISOString(),
    );
  const connections = await deps.live.connections(now.toISOString());
  await fanOut(deps, connections, messages, now);
  return { batchItemFailures: [] };
}

/** What a stream record says of a task; a record that is not a task as TMS writes it is logged and passed by. */
function taskChangeOf(
  record: DynamoDBRecord,
  now: Date,
): { task: Task } | { deleted: string; at: string } | undefined {
  if (record.dynamodb?.Keys?.sk?.S !== TASK_SK) return undefined;
  if (record.eventName === 'REMOVE') {
    const id = record.dynamodb.OldImage?.id?.S;
    const seconds = record.dynamodb.ApproximateCreationDateTime;
    const at = seconds ? new Date(seconds * 1000) : now;
    return id ? { deleted: id, at: at.toISOString() } : undefined;
  }
  try {
    const change = changeOf(record);
    return change ? { task: change.after } : undefined;
  } catch (error) {
    // Nothing a retry would mend: the cards and the aggregator report the same record.
    logger.warn('live: a task record that is not a task was not pushed', {
      eventID: record.eventID,
      error,
    });
    return undefined;
  }
}

/**
 * A trend that started (a new episode item, or one put over an ended episode: its `startedAt` differs from the
 * old image's; an episode extended only moves `lastHeldAt`), or an SLA warning that was sent (its marker's
 * key is `<task>:<stage>:<state>:<dueAt>`, src/jobs/sla-warnings.ts).
 */
export function newsOf(record: DynamoDBRecord): ServerMessage | undefined {
  const pk = record.dynamodb?.Keys?.pk?.S;
  const image = record.dynamodb?.NewImage;
  if (!pk || !image || record.eventName === 'REMOVE') return undefined;
  if (pk === keys.trends) {
    const item = itemOf(image);
    const old = record.dynamodb?.OldImage ? itemOf(record.dynamodb.OldImage) : undefined;
    if (!item || (old && old.startedAt === item.startedAt)) return undefined;
    const { service, title, taskId, recent, expected, startedAt } = item;
    if (typeof service !== 'string' || typeof title !== 'string' || typeof startedAt !== 'string')
      return undefined;
    return {
      type: 'trend',
      trend: {
        service,
        title,
        taskId: typeof taskId === 'string' ? taskId : null,
        recent: Number(recent) || 0,
        expected: Number(expected) || 0,
        startedAt,
      },
    };
  }
  if (pk.startsWith(SLA_MARKER_PREFIX) && image.state?.S === 'done') {
    if (record.dynamodb?.OldImage?.state?.S === 'done') return undefined; // (done again: a TTL refresh)
    const warning = SLA_MARKER_KEY.exec(pk.slice(SLA_MARKER_PREFIX.length));
    if (!warning) return undefined;
    const [, taskId, kind, state, dueAt] = warning as unknown as [
      string,
      string,
      'ack' | 'resolve',
      string,
      string,
    ];
    return { type: 'sla.warning', taskId, kind, state: state as 'at_risk' | 'breached', dueAt };
  }
  return undefined;
}

/** `TMS-42:ack:at_risk:2026-03-02T09:05:00.000Z`: each part of fixed shape, so matched in one pass. */
const SLA_MARKER_KEY =
  /^(TMS-\d{1,12}):(ack|resolve):(at_risk|breached):(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,3})?Z)$/;

function itemOf(image: Record<string, unknown>): Record<string, unknown> | undefined {
  try {
    return unmarshall(image as Record<string, AttributeValue>);
  } catch {
    return undefined;
  }
}

/** Sends each connection the messages it may see, a few connections at once. */
export async function fanOut(
  deps: LiveDeps,
  connections: readonly LiveConnection[],
  messages: readonly ServerMessage[],
  now: Date,
): Promise<{ sent: number; gone: number; failed: number }> {
  const counts = { sent: 0, gone: 0, failed: 0 };
  const encoded = messages.map((message) => ({ message, text: encode(message) }));
  const queue = [...connections];
  await Promise.all(
    Array.from({ length: Math.min(PARALLEL, queue.length) }, async () => {
      for (let connection = queue.shift(); connection; connection = queue.shift()) {
        const outcome = await sendAll(deps, connection, encoded, now);
        counts[outcome]++;
      }
    }),
  );
  return counts;
}

async function sendAll(
  deps: LiveDeps,
  connection: LiveConnection,
  messages: readonly { readonly message: ServerMessage; readonly text: string }[],
  now: Date,
): Promise<'sent' | 'gone' | 'failed'> {
  try {
    for (const { message, text } of messages) {
      if (!mayReceive(connection, message)) continue;
      if ((await deps.sender.send(connection.id, text)) === 'gone') {
        if (now.getTime() - Date.parse(connection.connectedAt) >= SETTLING_MS)
          await deps.live.disconnect(connection.id);
        return 'gone';
      }
    }
    return 'sent';
  } catch (error) {
    logger.warn('live: a connection could not be sent its updates', { connectionId: connection.id, error });
    return 'failed';
  }
}

/**
 * A client's `since`: every task changed at or after `at` (the newest `updatedAt` it has: a second task changed
 * in that same millisecond is not missed, and one sent again is the same version), as it is now, then
 * `caught_up`. `complete: false` when `at` is further back than the log keeps or there were more than a
 * catch-up sends: the client reloads `GET /api/tasks` then.
 */
export async function catchUp(
  deps: LiveDeps & { readonly store: Pick<TaskRepository, 'get'> },
  connection: LiveConnection,
  at: string,
): Promise<void> {
  const now = deps.clock.now();
  const send = (message: ServerMessage) => deps.sender.send(connection.id, encode(message));
  if (Date.parse(at) < now.getTime() - CATCH_UP_WINDOW_MS) {
    await send({ type: 'caught_up', at: now.toISOString(), complete: false });
    return;
  }
  const from = new Date(Date.parse(at) - CATCH_UP_OVERLAP_MS).toISOString();
  const { changes, complete } = await deps.live.changesSince(from, now.toISOString(), CATCH_UP_LIMIT);
  // Each task once, as it is now: the log says which changed, the store what they are.
  const latest = new Map<string, string>();
  for (const change of changes) latest.set(change.taskId, change.at);
  const ids = [...latest.keys()];
  const messages: ServerMessage[] = new Array(ids.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(READS, ids.length) }, async () => {
      for (let i = next++; i < ids.length; i = next++) {
        const id = ids[i] as string;
        const task = await deps.store.get(id);
        messages[i] = task
          ? { type: 'task.changed', task }
          : { type: 'task.deleted', taskId: id, at: latest.get(id) as string };
      }
    }),
  );
  // A few at once (a Lambda posting 500 one after another would outlast its timeout); a client orders them by
  // version, and `caught_up` goes after all of them.
  const allowed = messages.filter((message) => mayReceive(connection, message));
  let gone = false;
  await Promise.all(
    Array.from({ length: Math.min(READS, allowed.length) }, async () => {
      for (let message = allowed.shift(); message && !gone; message = allowed.shift())
        if ((await send(message)) === 'gone') gone = true;
    }),
  );
  if (!gone) await send({ type: 'caught_up', at: now.toISOString(), complete });
}
