import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { aggregate } from '../jobs/aggregator.js';
import { aggregatorContext } from '../runtime/aggregator-context.js';

/** The aggregator's Lambda: on AWS its event source mapping filters to task items (`sk = TASK`). */
export async function handler(event: DynamoDBStreamEvent, context?: Context): Promise<DynamoDBBatchResponse> {
  return aggregate(aggregatorContext(), event, context);
}
