import type { DynamoDBRecord } from 'aws-lambda';
import { shardOf } from '../core/shard.js';
import { type FilterPattern, reaches, type StreamConsumer } from '../jobs/stream-consumers.js';
import type { StreamRecord } from './stream-feed.js';

export interface DispatcherOptions {
  readonly batchSize?: number;
  /** Attempts per batch before its records are set aside (on AWS: the on-failure destination). */
  readonly maxAttempts?: number;
  readonly onDiscard?: (consumer: string, records: readonly DynamoDBRecord[], reason: string) => void;
}

/** A consumer as its event source mapping would deliver to it. */
export interface DispatchedConsumer {
  readonly name: string;
  readonly handler: StreamConsumer;
  readonly filter?: FilterPattern;
  /** Patterns that let records through besides the filter. */
  readonly also?: readonly FilterPattern[];
  /**
   * Batches of one consumer delivered side by side, records of one partition key always in the same lane and
   * in order: what an event source mapping's ParallelizationFactor does with a stream shard.
   */
  readonly parallelization?: number;
  /** How long a batch waits to fill (MaximumBatchingWindowInSeconds); `idle()` delivers what waits at once. */
  readonly batchingWindowMs?: number;
}

/**
 * Delivers stream records to consumers the way a DynamoDB event source mapping does: only those its filter
 * lets through, in order, in batches, each consumer on its own; a consumer's `batchItemFailures` (or a throw) retries from the first failed
 * record, and a batch that keeps failing is set aside so the stream moves on.
 */
export class StreamDispatcher {
  readonly #queues = new Map<string, StreamRecord[]>();
  readonly #running = new Map<string, Promise<void>>();
  /** Lanes waiting for their batch to fill, by lane: called, the batch goes now. */
  readonly #waiting = new Map<string, () => void>();
  #flushing = 0;
  readonly #batchSize: number;
  readonly #maxAttempts: number;

  constructor(
    private readonly consumers: readonly DispatchedConsumer[],
    private readonly options: DispatcherOptions = {},
  ) {
    this.#batchSize = options.batchSize ?? 100;
    this.#maxAttempts = options.maxAttempts ?? 3;
  }

  push(record: StreamRecord): void {
    for (const consumer of this.consumers) {
      // Filtered before batching, as an event source mapping's filter criteria are.
      if (!reaches(consumer, record)) continue;
      const lanes = consumer.parallelization ?? 1;
      const lane =
        lanes > 1 ? `${consumer.name}#${shardOf(record.dynamodb.Keys?.pk?.S ?? '', lanes)}` : consumer.name;
      const queue = this.#queues.get(lane) ?? [];
      queue.push(record);
      this.#queues.set(lane, queue);
      // #drain awaits before anything else, so it is registered here before it can finish.
      if (!this.#running.has(lane)) this.#running.set(lane, this.#drain(consumer, lane));
      else if (queue.length >= this.#batchSize) this.#waiting.get(lane)?.();
    }
  }

  /** Resolves once every record pushed so far was delivered or set aside (batches waiting to fill go now). */
  async idle(): Promise<void> {
    this.#flushing++;
    try {
      for (const go of [...this.#waiting.values()]) go();
      while (this.#running.size > 0) await Promise.all(this.#running.values());
    } finally {
      this.#flushing--;
    }
  }

  /** Waits out the consumer's batching window unless the batch is full or someone waits for the stream. */
  async #fill(consumer: DispatchedConsumer, lane: string, queue: StreamRecord[]): Promise<void> {
    const window = consumer.batchingWindowMs ?? 0;
    if (window <= 0 || this.#flushing > 0 || queue.length >= this.#batchSize) return;
    await new Promise<void>((resolve) => {
      const go = () => {
        clearTimeout(timer);
        this.#waiting.delete(lane);
        resolve();
      };
      const timer = setTimeout(go, window);
      this.#waiting.set(lane, go);
    });
  }

  async #drain(consumer: DispatchedConsumer, lane: string): Promise<void> {
    const queue = this.#queues.get(lane) ?? [];
    await Promise.resolve(); // let a burst of writes gather into one batch
    try {
      while (queue.length > 0) {
        await this.#fill(consumer, lane, queue);
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
      this.#running.delete(lane);
    }
  }
}
