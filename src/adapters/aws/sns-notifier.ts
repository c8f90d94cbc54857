import { PublishCommand, SNSClient, type SNSClientConfig } from '@aws-sdk/client-sns';
import { TransientError } from '../../core/errors.js';
import type { Notification, Notifier } from '../../core/ports.js';

/** Subjects are at most 100 characters of printable ASCII for email endpoints. */
const subjectFor = (subject: string): string => {
  const ascii = subject.replace(/[^\x20-\x7e]/g, '?').trim();
  return ascii.length > 100 ? `${ascii.slice(0, 97)}...` : ascii || 'TMS';
};

/** The Notifier on SNS: critical events go to the notification topic for whoever subscribes to it. */
export class SnsNotifier implements Notifier {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(notification: Notification): Promise<void> {
    try {
      await this.client.send(
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

export const createSnsClient = (config: SNSClientConfig = {}): SNSClient => new SNSClient(config);
