import { Duration } from 'aws-cdk-lib';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { FilterCriteria, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StreamSubscription } from '../../src/jobs/stream-consumers.js';
import { FailureQueue } from './failure-queue.js';
import type { TmsFunction } from './function.js';

/** Batches retried before they go to the failure queue; bisecting narrows a failing record down first. */
export const STREAM_RETRIES = 5;
/** A change older than this is not worth applying late; it goes to the failure queue instead. */
export const STREAM_MAX_RECORD_AGE = Duration.hours(1);

/**
 * A consumer of the table's stream, as Lambda's event source mapping runs it: the records its subscription's
 * filter lets through (task items only, for both: what the aggregator writes itself never comes back), partial
 * batch responses (the handler names the records that failed; the others are not retried), a failing batch
 * bisected, bounded retries and record age, then the batch's description sent to a failure queue of its own.
 */
export class TaskStream extends Construct {
  readonly failures: FailureQueue;

  constructor(
    scope: Construct,
    id: string,
    props: {
      readonly table: TableV2;
      readonly consumer: TmsFunction;
      /** Its entry in src/jobs/stream-consumers.ts: the filter, the same one the local stack applies. */
      readonly subscription: Pick<StreamSubscription, 'name' | 'filter' | 'also'> & {
        /** Batches of one shard side by side, a task's records in order (the local stack runs as many lanes). */
        readonly parallelization?: number;
      };
      readonly name: string;
      readonly holds: string;
      /** What an operator can do about a failed batch (see FailureQueue). */
      readonly redrive: (queue: Queue) => string;
      /** How long records gather into a batch: none for cards (people watch them), a few seconds elsewhere. */
      readonly batchingWindow?: Duration;
      /** Records a batch: larger for a consumer whose writes a batch shares (the aggregator's counters). */
      readonly batchSize?: number;
    },
  ) {
    super(scope, id);
    this.failures = new FailureQueue(this, 'Failures', {
      name: props.name,
      holds: props.holds,
      redrive: props.redrive,
    });
    props.consumer.fn.addEventSource(
      new DynamoEventSource(props.table, {
        startingPosition: StartingPosition.LATEST,
        batchSize: props.batchSize ?? 100,
        ...(props.subscription.parallelization
          ? { parallelizationFactor: props.subscription.parallelization }
          : {}),
        maxBatchingWindow: props.batchingWindow ?? Duration.seconds(0),
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        retryAttempts: STREAM_RETRIES,
        maxRecordAge: STREAM_MAX_RECORD_AGE,
        filters: [props.subscription.filter, ...(props.subscription.also ?? [])].map((pattern) =>
          FilterCriteria.filter({ ...pattern }),
        ),
        onFailure: new SqsDlq(this.failures.queue),
      }),
    );
  }
}
