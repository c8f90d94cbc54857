import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { botContext } from '../bot/context.js';
import { projectCards } from '../jobs/card-stream.js';

/** The card projector's Lambda, on the table's stream (its event source mapping filters to task items). */
export function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  return projectCards(botContext(), event);
}
