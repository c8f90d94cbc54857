import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { TASK_SK } from '../adapters/dynamo/table.js';
import { logger } from '../runtime/logger.js';
import { type CardSyncDeps, syncCard } from './card-sync.js';

/** Cards brought up to date at once within a batch: different tasks never wait on each other's pacing. */
const PARALLEL = 8;

/** The task a record changed; other items of the table (cards, markers, raw events) are not cards' business. */
export function changedTask(record: DynamoDBRecord): string | undefined {
  const keys = record.dynamodb?.Keys;
  if (keys?.sk?.S !== TASK_SK || record.eventName === 'REMOVE') return undefined;
  return record.dynamodb?.NewImage?.id?.S;
}

/**
 * Card sync's consumer of the table's stream (on AWS its event source mapping filters to task
 * items). Records are grouped by task: a card is synced once per batch, to the task's latest version, so a
 * burst of changes costs one update; different tasks are synced side by side, since each card paces its
 * own edits. A task whose sync fails (the store unreachable) reports its records as failures and is
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
  for (const record of event.Records) {
    const id = changedTask(record);
    if (id) byTask.set(id, [...(byTask.get(id) ?? []), record]);
  }
  const failed: DynamoDBRecord[] = [];
  const queue = [...byTask.entries()];
  await Promise.all(
    Array.from({ length: Math.min(PARALLEL, queue.length) }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const [id, records] = next;
        try {
          await syncCard(deps, id);
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
