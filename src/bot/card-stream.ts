import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { botContext } from './context.js';
import { syncCard } from './projector.js';

/** Task numbers of the task items a record changed; other items of the table (cards, markers) are not cards' business. */
export function changedTask(record: DynamoDBRecord): { id: string; version: number } | undefined {
  const keys = record.dynamodb?.Keys;
  if (keys?.sk?.S !== 'TASK' || record.eventName === 'REMOVE') return undefined;
  const image = record.dynamodb?.NewImage;
  const id = image?.id?.S;
  const version = Number(image?.version?.N);
  return id && Number.isInteger(version) ? { id, version } : undefined;
}

/**
 * The card projector, a consumer of the table's stream (on AWS its event source mapping filters to task
 * items). Records are taken in order, one at a time; a task already brought to a version at least as new
 * in this batch is skipped, so a burst of changes to one task costs one card update. A record that fails
 * (the store unreachable) fails alone and is retried; Slack refusing is not a failure here (see syncCard).
 */
export async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  const deps = botContext();
  const synced = new Map<string, number>();
  const processor = new BatchProcessor(EventType.DynamoDBStreams);
  return processPartialResponse(
    event,
    async (record: DynamoDBRecord) => {
      const change = changedTask(record);
      if (!change || (synced.get(change.id) ?? 0) >= change.version) return;
      await syncCard(deps, change.id); // renders the latest version, whatever this record's
      synced.set(change.id, change.version);
    },
    processor,
    { processInParallel: false },
  );
}
