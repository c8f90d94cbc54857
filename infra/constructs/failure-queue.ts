import { Duration, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/**
 * Where work that failed for good goes, so nothing accepted is lost: a stream batch past its retries, an
 * asynchronous invocation past its attempts. Encrypted, TLS only, kept the longest SQS allows; its depth is
 * alarmed (see ./observability.ts) and `aws sqs receive-message` shows what failed.
 */
export class FailureQueue extends Construct {
  readonly queue: Queue;
  /** Short, for its alarm's name: `cards-stream`. */
  readonly name: string;
  /** What lands here, said in its alarm. */
  readonly holds: string;

  constructor(scope: Construct, id: string, props: { readonly name: string; readonly holds: string }) {
    super(scope, id);
    this.name = props.name;
    this.holds = props.holds;
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: `This queue is itself the dead-letter destination (${props.holds}); a dead-letter queue behind it would only move the same messages. Its depth is alarmed.`,
    });
  }
}
