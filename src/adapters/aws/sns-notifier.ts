import type { SNSClient, SNSClientConfig } from '@aws-sdk/client-sns';
import { TransientError } from '../../core/errors.js';
import type { Notification, Notifier } from '../../core/ports.js';

/** Subjects are at most 100 characters of printable ASCII for email endpoints. */
const subjectFor = (subject: string): string => {
  const ascii = subject.replace(/[^\x20-\x7e]/g, '?').trim();
  return ascii.length > 100 ? `${ascii.slice(0, 97)}...` : ascii || 'TMS';
};

/** Loaded at the first publish: most invocations of a function that may notify never do. */
const sdk = () => import('@aws-sdk/client-sns');

/**
 * The Notifier on SNS: critical events go to the notification topic for whoever subscribes to it. The client
 * may be given as a promise of one (createSnsClient), so the SDK is not loaded at a cold start.
 */
export class SnsNotifier implements Notifier {
  constructor(
    private readonly client: SNSClient | (() => Promise<SNSClient>),
    private readonly topicArn: string,
  ) {}

  async publish(notification: Notification): Promise<void> {
    const { PublishCommand } = await sdk();
    const client = typeof this.client === 'function' ? await this.client() : this.client;
    try {
      await client.send(
        new PublishCommand({
          TopicArn: this.topicArn,
          Subject: subjectFor(notification.subject),
          Message: notification.message,
          MessageAttributes: Object.fromEntries(
            Object.entries(notification.attributes ?? {}).map(([name, value]) => [
              name,
              { DataType: 'String', StringValue: value },
            ]),
          ),
        }),
      );
    } catch (error) {
      const name = (error as { name?: string }).name ?? '';
      if (
        (error as { $retryable?: unknown }).$retryable ||
        ['ThrottledException', 'InternalErrorException', 'KMSThrottlingException'].includes(name)
      ) {
        throw new TransientError(`SNS is unavailable right now (${name})`, { cause: error });
      }
      throw error;
    }
  }
}

/** An SNS client made (and its SDK loaded) on first use, once. */
export function createSnsClient(config: SNSClientConfig = {}): () => Promise<SNSClient> {
  let client: Promise<SNSClient> | undefined;
  return () => {
    client ??= sdk().then(({ SNSClient }) => new SNSClient(config));
    return client;
  };
}
