import { Duration, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Messages wait the longest SQS allows, so a failure noticed late is still there to read and redrive. */
export const FAILURE_RETENTION = Duration.days(14);

/**
 * Where work that failed for good goes, so nothing accepted is lost: a stream batch past its retries, an
 * asynchronous invocation past its attempts, an ingest message past its receives. Encrypted, TLS only, kept
 * the longest SQS allows; its depth is alarmed (see ./observability.ts), the dead-letter monitor opens a task
 * while anything is in it (./dead-letter-watch.ts), and `aws sqs receive-message` shows what failed.
 */
export class FailureQueue extends Construct {
  readonly queue: Queue;
  /** Short, for its alarm's name and the monitor's task: `cards-stream`. */
  readonly name: string;
  /** What lands here, said in its alarm and the monitor's task. */
  readonly holds: string;
  readonly #redrive: (queue: Queue) => string;

  constructor(
    scope: Construct,
    id: string,
    props: {
      readonly name: string;
      readonly holds: string;
      /**
       * Given the queue, since most commands name it (its URL or ARN); asked for when the monitor is wired,
       * so it may name what is built after the queue (the function that failed).
       */
      readonly redrive: (queue: Queue) => string;
      /**
       * It is an SQS queue's dead-letter queue (its redrive policy names it), which cdk-nag recognises; the
       * destinations of Lambda's event source mappings and asynchronous invocations it cannot see as such.
       */
      readonly ofQueue?: boolean;
    },
  ) {
    super(scope, id);
    this.name = props.name;
    this.holds = props.holds;
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: FAILURE_RETENTION,
    });
    this.#redrive = props.redrive;
    if (!props.ofQueue)
      Validations.of(this.queue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: `This queue is itself the dead-letter destination (${props.holds}); a dead-letter queue behind it would only move the same messages. Its depth is alarmed.`,
      });
  }

  /** How an operator gets what is here done after all (a command line), said in the monitor's task. */
  get redrive(): string {
    return this.#redrive(this.queue);
  }
}
