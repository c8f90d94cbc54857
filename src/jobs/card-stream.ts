import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { TASK_SK } from '../adapters/dynamo/table.js';
import type { TaskChange } from '../core/aggregates/facts.js';
import { isSlackUserId, type Task } from '../core/task.js';
import { logger } from '../runtime/logger.js';
import { changeOf } from './aggregator.js';
import { type CardSyncDeps, type DeletedTask, retireCard, syncCard } from './card-sync.js';

/** Cards brought up to date at once within a batch: different tasks never wait on each other's pacing. */
const PARALLEL = 8;

/** The task a record changed; other items of the table (cards, markers, raw events) are not cards' business. */
export function changedTask(record: DynamoDBRecord): string | undefined {
  const keys = record.dynamodb?.Keys;
  if (keys?.sk?.S !== TASK_SK || record.eventName === 'REMOVE') return undefined;
  return record.dynamodb?.NewImage?.id?.S;
}

/**
 * The task a REMOVE record deleted, as its old image had it: who deleted it and when (the API marks the item
 * before deleting it), its title for the card's last words. Undefined for any other record.
 */
export function deletedTask(record: DynamoDBRecord): DeletedTask | undefined {
  if (record.eventName !== 'REMOVE' || record.dynamodb?.Keys?.sk?.S !== TASK_SK) return undefined;
  const image = record.dynamodb?.OldImage;
  const id = image?.id?.S;
  if (!image || !id) return undefined;
  try {
    const item = unmarshall(image as Record<string, AttributeValue>);
    const text = (key: string) => (typeof item[key] === 'string' ? (item[key] as string) : undefined);
    const version = Number(item.version);
    return {
      id,
      ...(text('deletedBy') ? { by: text('deletedBy') } : {}),
      ...(text('deletedAt') ? { at: text('deletedAt') } : {}),
      ...(text('title') ? { title: text('title') } : {}),
      version: Number.isSafeInteger(version) ? version : 0,
    };
  } catch {
    return { id, version: 0 };
  }
}

/**
 * Card sync's consumer of the table's stream (on AWS its event source mapping filters to task
 * items). Records are grouped by task: a card is synced once per batch, to the task's latest version, so a
 * burst of changes costs one update, rendered from the latest record's image (the task is not read again);
 * different tasks are synced side by side, since each card paces its own edits. A task whose sync fails (the store unreachable) reports its records as failures and is
 * retried; Slack refusing is not a failure here (syncCard records it and the sweeper retries it).
 *
 * Written by hand rather than with Powertools' batch utility: that utility handles one record at a time,
 * and grouping records by task is the point here.
 */
export async function projectCards(
  deps: CardSyncDeps,
  event: DynamoDBStreamEvent,
): Promise<DynamoDBBatchResponse> {
  const byTask = new Map<string, DynamoDBRecord[]>();
  const deleted = new Map<string, { task: DeletedTask; records: DynamoDBRecord[] }>();
  for (const record of event.Records) {
    const gone = deletedTask(record);
    if (gone) deleted.set(gone.id, { task: gone, records: [record] });
    const id = changedTask(record);
    if (id) byTask.set(id, [...(byTask.get(id) ?? []), record]);
  }
  // A task deleted in this batch is not rendered again first: its card only says it was deleted.
  for (const [id, gone] of deleted) {
    gone.records.push(...(byTask.get(id) ?? []));
    byTask.delete(id);
  }
  const failed: DynamoDBRecord[] = [];
  for (const { task, records } of deleted.values()) {
    try {
      await retireCard(deps, task);
    } catch (error) {
      logger.error('card of a deleted task not retired; its records will be retried', {
        taskId: task.id,
        error,
      });
      failed.push(...records);
    }
  }
  // A person's change first: in a storm their click is not left behind a batch of repeats and new alerts.
  const queue = [...byTask.entries()]
    .map(([id, records]) => ({ id, records, ...projectionOf(records) }))
    .sort((a, b) => Number(a.routine) - Number(b.routine));
  await Promise.all(
    Array.from({ length: Math.min(PARALLEL, queue.length) }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const { id, records, latest, quiet } = next;
        try {
          await syncCard(deps, id, latest ? { latest, quiet } : {});
        } catch (error) {
          logger.error('card sync failed; its records will be retried', { taskId: id, error });
          failed.push(...records);
        }
      }
    }),
  );
  return {
    batchItemFailures: failed.map((r) => ({ itemIdentifier: r.dynamodb?.SequenceNumber ?? '' })),
  };
}

/**
 * What a task's records of a batch give the card: the task as the latest of them wrote it, and the versions
 * that changed nothing its thread tells (so the timeline need not be read for them). `routine`: every change
 * was a repeat or an alert opened, the storm's kind of change rather than a person's. A record whose image is
 * not a task leaves the card to read the task itself.
 */
function projectionOf(records: readonly DynamoDBRecord[]): {
  latest?: Task;
  quiet: Set<number>;
  routine: boolean;
} {
  const quiet = new Set<number>();
  let latest: Task | undefined;
  try {
    for (const record of records) {
      const change = changeOf(record);
      if (!change) continue;
      if (!latest || change.after.version > latest.version) latest = change.after;
      if (isQuiet(change)) quiet.add(change.after.version);
    }
  } catch {
    return { quiet: new Set(), routine: false };
  }
  return latest ? { latest, quiet, routine: quiet.size === records.length } : { quiet, routine: false };
}

/** Fields a repeat of an alert changes; a change of anything else may be a line in the thread. */
const REPEAT_FIELDS = new Set<string>([
  'occurrences',
  'occurrenceKey',
  'lastSeenAt',
  'reportedAt',
  'updatedAt',
  'version',
]);

/**
 * A change the thread has nothing to say about: an alert opened with nobody to tell it was assigned to (the
 * card says it opened), or a repeat (the card shows the count; the thread summarizes repeats from the task).
 */
function isQuiet({ before, after }: TaskChange): boolean {
  if (!before) return after.kind === 'alert' && !isSlackUserId(after.assignee);
  // A comment changes no field of the task but its version: only a change that counted an occurrence is one.
  if (after.occurrences <= before.occurrences) return false;
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const key of keys) {
    if (REPEAT_FIELDS.has(key)) continue;
    const was = (before as Record<string, unknown>)[key];
    const is = (after as Record<string, unknown>)[key];
    if (was !== is && JSON.stringify(was) !== JSON.stringify(is)) return false;
  }
  return after.version === before.version + 1;
}
