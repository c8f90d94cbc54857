import type { DynamoDBRecord } from 'aws-lambda';
import { type FilterPattern, passes, type StreamConsumer } from '../jobs/stream-consumers.js';
import type { StreamRecord } from './stream-feed.js';

export interface DispatcherOptions {
  readonly batchSize?: number;
  /** Attempts per batch before its records are set aside (on AWS: the on-failure destination). */
  readonly maxAttempts?: number;
  readonly onDiscard?: (consumer: string, records: readonly DynamoDBRecord[], reason: string) => void;
}

/**
 * Delivers stream records to consumers the way a DynamoDB event source mapping does: only those its filter
 * lets through, in order, in batches, each consumer on its own; a consumer's `batchItemFailures` (or a throw) retries from the first failed
 * record, and a batch that keeps failing is set aside so the stream moves on.
 */
export class StreamDispatcher {
  readonly #queues = new Map<string, StreamRecord[]>();
  readonly #running = new Map<string, Promise<void>>();
  readonly #batchSize: number;
  readonly #maxAttempts: number;

  constructor(
    private readonly consumers: readonly { name: string; handler: StreamConsumer; filter?: FilterPattern }[],
    private readonly options: DispatcherOptions = {},
  ) {
    this.#batchSize = options.batchSize ?? 100;
    this.#maxAttempts = options.maxAttempts ?? 3;
  }

  push(record: StreamRecord): void {
    for (const consumer of this.consumers) {
      // Filtered before batching, as an event source mapping's filter criteria are.
      if (consumer.filter && !passes(consumer.filter, record)) continue;
      const queue = this.#queues.get(consumer.name) ?? [];
      queue.push(record);
      this.#queues.set(consumer.name, queue);
      // #drain awaits before anything else, so it is registered here before it can finish.
      if (!this.#running.has(consumer.name)) this.#running.set(consumer.name, this.#drain(consumer));
    }
  }

  /** Resolves once every record pushed so far was delivered or set aside. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all(this.#running.values());
  }

  async #drain(consumer: { name: string; handler: StreamConsumer }): Promise<void> {
    const queue = this.#queues.get(consumer.name) ?? [];
    await Promise.resolve(); // let a burst of writes gather into one batch
    try {
      while (queue.length > 0) {
        let batch = queue.splice(0, this.#batchSize);
        for (let attempt = 1; batch.length > 0; attempt++) {
          let failedFrom: number;
          try {
            const response = await consumer.handler({ Records: batch });
            const failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
            failedFrom = batch.findIndex((r) => failed.has(r.dynamodb.SequenceNumber ?? ''));
          } catch {
            failedFrom = 0;
          }
          if (failedFrom === -1) break;
          batch = batch.slice(failedFrom);
          if (attempt >= this.#maxAttempts) {
            this.options.onDiscard?.(consumer.name, batch, `still failing after ${attempt} attempts`);
            break;
          }
        }
      }
    } finally {
      // In the same turn as the loop's last look at the queue: a record pushed after it starts a new drain.
      this.#running.delete(consumer.name);
    }
  }
}
