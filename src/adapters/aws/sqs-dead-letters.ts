import {
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
  type SQSClientConfig,
} from '@aws-sdk/client-sqs';
import { TransientError } from '../../core/errors.js';
import type { Priority } from '../../core/task.js';
import { logger } from '../../runtime/logger.js';

/** What a look found (the monitor's `DeadLetterLook`, src/jobs/dead-letters.ts). */
export interface SqsLook {
  readonly depth: number;
  readonly firstError?: string;
  readonly oldestAt?: string;
}

/** One dead-letter queue as `TMS_DEAD_LETTER_QUEUES` names it. */
export interface SqsDeadLetterSettings {
  readonly name: string;
  readonly url: string;
  readonly holds: string;
  readonly redrive: string;
  readonly priority?: Priority;
}

/**
 * Where a message TMS dead-lettered itself may keep its last error, when the one who gave up on it says:
 * an attribute a TMS sender sets, Lambda's own dead-letter queue's `ErrorMessage` (the first KB of the
 * error, https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html) and EventBridge's
 * target dead-letter queue's `ERROR_MESSAGE`.
 */
export const ERROR_ATTRIBUTES = ['tms-last-error', 'ErrorMessage', 'ERROR_MESSAGE'] as const;

/**
 * Why an ingest message failed, when its body does not say: its delivery's archive keeps the last error
 * (`RawEvent.lastError`), found by the source and delivery id the message names.
 */
export type DeliveryError = (source: string, deliveryId: string) => Promise<string | undefined>;

/** How many messages a look peeks at for the oldest and the first error. */
const PEEKED = 10;

/**
 * A dead-letter queue on SQS. Its depth counts the messages in flight and delayed too, so a peek (or a redrive
 * under way) never makes a full queue look empty. The peek takes up to ten messages with a visibility timeout
 * of zero: they stay visible to a redrive running meanwhile, and nothing is ever deleted here.
 */
export class SqsDeadLetterQueue {
  readonly name: string;
  readonly holds: string;
  readonly redrive: string;
  readonly priority?: Priority;

  constructor(
    private readonly client: SQSClient,
    private readonly settings: SqsDeadLetterSettings,
    private readonly deliveryError?: DeliveryError,
  ) {
    this.name = settings.name;
    this.holds = settings.holds;
    this.redrive = settings.redrive;
    if (settings.priority) this.priority = settings.priority;
  }

  async look(): Promise<SqsLook> {
    const depth = await this.depth();
    if (depth === 0) return { depth };
    let messages: Message[];
    try {
      const received = await this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.settings.url,
          MaxNumberOfMessages: PEEKED,
          VisibilityTimeout: 0,
          // Long polling asks every server, so a queue with few messages does not answer empty.
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
          MessageAttributeNames: ['All'],
        }),
      );
      messages = received.Messages ?? [];
    } catch (error) {
      // The depth is what the task needs; the peek only adds detail.
      logger.warn('could not peek at a dead-letter queue; its depth alone is reported', {
        queue: this.name,
        error,
      });
      return { depth };
    }
    const sent = messages
      .map((m) => Number(m.Attributes?.SentTimestamp))
      .filter((at) => Number.isFinite(at) && at > 0);
    let firstError: string | undefined;
    for (const message of messages) {
      firstError = await this.errorOf(message);
      if (firstError) break;
    }
    return {
      depth,
      ...(firstError ? { firstError } : {}),
      ...(sent.length > 0 ? { oldestAt: new Date(Math.min(...sent)).toISOString() } : {}),
    };
  }

  private async depth(): Promise<number> {
    try {
      const { Attributes: attributes = {} } = await this.client.send(
        new GetQueueAttributesCommand({
          QueueUrl: this.settings.url,
          AttributeNames: [
            'ApproximateNumberOfMessages',
            'ApproximateNumberOfMessagesNotVisible',
            'ApproximateNumberOfMessagesDelayed',
          ],
        }),
      );
      return (
        count(attributes.ApproximateNumberOfMessages) +
        count(attributes.ApproximateNumberOfMessagesNotVisible) +
        count(attributes.ApproximateNumberOfMessagesDelayed)
      );
    } catch (error) {
      const name = (error as { name?: string }).name ?? 'Error';
      const reason = `${this.name} (${this.settings.url}): ${name}: ${(error as Error).message}`;
      if ((error as { $retryable?: unknown }).$retryable || /Throttl|RequestThrottled|OverLimit/.test(name))
        throw new TransientError(`SQS throttled the look at dead-letter queue ${reason}`, { cause: error });
      throw new Error(`Could not look at dead-letter queue ${reason}`, { cause: error });
    }
  }

  private async errorOf(message: Message): Promise<string | undefined> {
    for (const attribute of ERROR_ATTRIBUTES) {
      const value = message.MessageAttributes?.[attribute]?.StringValue;
      if (value) return value;
    }
    const body = parseBody(message.Body);
    const recorded = invocationError(body);
    if (recorded) return recorded;
    const delivery = ingestDelivery(body);
    if (delivery && this.deliveryError) {
      try {
        return await this.deliveryError(delivery.source, delivery.deliveryId);
      } catch (error) {
        logger.warn('could not read the archived delivery of a dead letter', { queue: this.name, error });
      }
    }
    return undefined;
  }
}

const count = (value: string | undefined): number => {
  const n = Number(value ?? 0);
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
};

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value : undefined;

function parseBody(body: string | undefined): Json | undefined {
  if (!body?.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(body);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The error of a Lambda invocation record, what an on-failure destination receives: for an asynchronous
 * invocation the function's `responsePayload` (`errorType`, `errorMessage`); for a stream consumer only the
 * condition, the kind of function error, and the batch it gave up on (its records stay in the stream, 24 h).
 */
export function invocationError(body: Json | undefined): string | undefined {
  const request = isObject(body?.requestContext) ? body.requestContext : undefined;
  const condition = text(request?.condition);
  if (!body || !condition) return undefined;
  const response = isObject(body.responsePayload) ? body.responsePayload : undefined;
  const message = text(response?.errorMessage);
  if (message) {
    const type = text(response?.errorType);
    return `${type ? `${type}: ` : ''}${message} (${condition})`;
  }
  const functionError = isObject(body.responseContext) ? text(body.responseContext.functionError) : undefined;
  const batch = Object.values(body).find(
    (value): value is Json => isObject(value) && typeof value.startSequenceNumber === 'string',
  );
  const attempts = request?.approximateInvokeCount;
  return [
    `${condition}${typeof attempts === 'number' ? ` after ${attempts} invocation${attempts === 1 ? '' : 's'}` : ''}`,
    functionError ? `: ${functionError} function error` : '',
    batch
      ? ` on a batch of ${String(batch.batchSize ?? '?')} from ${String(batch.shardId ?? 'a shard')}, sequence numbers ${String(batch.startSequenceNumber)} to ${String(batch.endSequenceNumber ?? '?')}`
      : '',
  ].join('');
}

/** An ingest queue message (`IngestMessage`, src/ingest/queue.ts): which delivery it is a chunk of. */
function ingestDelivery(body: Json | undefined): { source: string; deliveryId: string } | undefined {
  const source = text(body?.source);
  const deliveryId = text(body?.deliveryId);
  return body?.v === 1 && source && deliveryId ? { source, deliveryId } : undefined;
}

export const createSqsClient = (config: SQSClientConfig = {}): SQSClient => new SQSClient(config);
