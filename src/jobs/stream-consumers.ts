import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';

/** A Lambda on the task table's stream, as the event source mapping invokes it. */
export type StreamConsumer = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | undefined>;

/** The consumers of the table's stream; the aggregator and others register here as they land. */
export const STREAM_CONSUMERS: { name: string; handler: StreamConsumer }[] = [
  // Loaded on first use, as its own Lambda would be: the card projector of the Slack surface.
  { name: 'cards', handler: async (event) => (await import('../bot/card-stream.js')).handler(event) },
];
