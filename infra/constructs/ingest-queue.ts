import { Duration } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MAX_RECEIVES, PROCESSOR_BATCHING_WINDOW_S } from '../../src/ingest/queue.js';
import { FailureQueue } from './failure-queue.js';
import type { TmsFunction } from './function.js';

/** Receives of one message before SQS moves it to the dead-letter queue: the local queue counts the same. */
export { MAX_RECEIVES } from '../../src/ingest/queue.js';
/** Messages per invocation: SQS's own most per receive, so no batching window is needed to fill one. */
export const PROCESSOR_BATCH_SIZE = 10;
/**
 * How long a batch may wait to fill: an alert waits at most this long to become a task, and a storm's
 * messages share invocations instead of each paying one.
 */
export const PROCESSOR_BATCHING_WINDOW = Duration.seconds(PROCESSOR_BATCHING_WINDOW_S);
/**
 * Processor invocations at once, at most. Unbounded, a storm of deliveries would take the account's whole
 * concurrency (1,000 by default, as little as 10 on a new account) from the bot and the card projector, which
 * people are waiting for, and pile conditional writes on the storming task's one item. Ten batches of ten
 * keep up with about a thousand alerts a second at a few DynamoDB requests each.
 */
export const PROCESSOR_MAX_CONCURRENCY = 10;
/** A new message waits in the queue at most this long before it goes unprocessed: see IngestQueue. */
export const INGEST_RETENTION = Duration.days(4);

/**
 * The visibility timeout for a function of this timeout consuming batches gathered for this long: AWS asks
 * for six times the function's timeout, so a batch whose invocation was throttled and retried is not handed
 * out again while it still runs, plus the batching window, which the messages already spend received.
 */
export const visibilityTimeoutFor = (timeout: Duration, batchingWindow: Duration): Duration =>
  Duration.seconds(6 * timeout.toSeconds() + batchingWindow.toSeconds());

/**
 * Accept fast, process from a queue: the ingest function (and the events function, and the sweeper's
 * re-drive) sends each accepted delivery's alerts here in chunks, and the processor records them in batches
 * with partial batch responses, so one failing message is retried alone. A message received MAX_RECEIVES
 * times without success moves to the dead-letter queue, where it stays 14 days, its depth alarmed, and the
 * dead-letter monitor opens a task; `aws sqs start-message-move-task` puts it back, and the processor takes it
 * as the redelivery it is (idempotent: each alert's delivery token is on what it changed).
 *
 * The queue keeps a message 4 days, the dead-letter queue 14: SQS keeps a moved message's first enqueue time,
 * so a shorter retention here leaves every dead letter at least 10 days to be looked at. A message unreceived
 * for 4 days means the event source mapping was off that long (it is received within seconds otherwise);
 * the delivery itself is still in the raw archive.
 */
export class IngestQueue extends Construct {
  readonly queue: Queue;
  readonly deadLetters: FailureQueue;
  readonly source: SqsEventSource;
  readonly processor: TmsFunction;

  constructor(scope: Construct, id: string, props: { readonly processor: TmsFunction }) {
    super(scope, id);
    this.processor = props.processor;
    const timeout = props.processor.fn.timeout ?? Duration.seconds(3);
    this.deadLetters = new FailureQueue(this, 'DeadLetters', {
      name: 'ingest',
      ofQueue: true,
      // Alerts nobody has seen: the task pages (P1), as it does on the local stack (src/local/queue-routes.ts).
      priority: 'P1',
      holds: `chunks of accepted deliveries the processor failed on ${MAX_RECEIVES} times (each message: one chunk of alerts, as sent)`,
      redrive: (queue) =>
        `aws sqs start-message-move-task --source-arn ${queue.queueArn} (back to the ingest queue; no alert is counted twice)`,
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: INGEST_RETENTION,
      visibilityTimeout: visibilityTimeoutFor(timeout, PROCESSOR_BATCHING_WINDOW),
      deadLetterQueue: { queue: this.deadLetters.queue, maxReceiveCount: MAX_RECEIVES },
    });
    this.source = new SqsEventSource(this.queue, {
      batchSize: PROCESSOR_BATCH_SIZE,
      maxBatchingWindow: PROCESSOR_BATCHING_WINDOW,
      reportBatchItemFailures: true,
      maxConcurrency: PROCESSOR_MAX_CONCURRENCY,
    });
    props.processor.fn.addEventSource(this.source);
  }
}
