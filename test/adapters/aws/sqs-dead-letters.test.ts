import { readFileSync } from 'node:fs';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { SqsDeadLetterQueue } from '../../../src/adapters/aws/sqs-dead-letters.js';
import { TransientError } from '../../../src/core/errors.js';
import { ManualClock } from '../../../src/core/time.js';
import { watchDeadLetters } from '../../../src/jobs/dead-letters.js';
import { MemoryTaskStore } from '../../fakes/memory-task-store.js';
import { depsFor, T0 } from '../../helpers/factories.js';
import { deadLetterQueueContract } from '../dead-letter-queue.contract.js';

const URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/tms-ingest-dlq';
const SETTINGS = {
  name: 'ingest',
  url: URL,
  holds: 'Alerts the ingest processor failed on.',
  redrive: 'npm run redrive -- --aws --queue-arn arn:aws:sqs:eu-west-1:123456789012:tms-ingest-dlq',
};
const fixture = (name: string) => readFileSync(`test/fixtures/aws/${name}`, 'utf8');

function queueWith(
  attributes: Record<string, string>,
  messages: { Body?: string; sentAt?: string; attributes?: Record<string, string> }[] = [],
  deliveryError?: (source: string, deliveryId: string) => Promise<string | undefined>,
) {
  const client = new SQSClient({ region: 'eu-west-1' });
  const sqs = mockClient(client);
  sqs.on(GetQueueAttributesCommand).resolves({ Attributes: attributes });
  sqs.on(ReceiveMessageCommand).resolves({
    Messages: messages.map((m, i) => ({
      MessageId: `m-${i}`,
      ReceiptHandle: `r-${i}`,
      Body: m.Body,
      Attributes: { SentTimestamp: String(Date.parse(m.sentAt ?? T0)), ApproximateReceiveCount: '1' },
      MessageAttributes: Object.fromEntries(
        Object.entries(m.attributes ?? {}).map(([k, v]) => [k, { DataType: 'String', StringValue: v }]),
      ),
    })),
  });
  return { sqs, queue: new SqsDeadLetterQueue(client, SETTINGS, deliveryError) };
}

describe('a dead-letter queue on SQS (aws-sdk-client-mock)', () => {
  it('counts the visible, in-flight and delayed messages, and does not peek at an empty queue', async () => {
    // Prepare
    const full = queueWith(
      {
        ApproximateNumberOfMessages: '3',
        ApproximateNumberOfMessagesNotVisible: '2',
        ApproximateNumberOfMessagesDelayed: '1',
      },
      [{ Body: '{}' }],
    );
    const empty = queueWith({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
      ApproximateNumberOfMessagesDelayed: '0',
    });

    // Act
    const looked = await full.queue.look();
    const none = await empty.queue.look();

    // Assess
    expect(looked.depth).toBe(6);
    expect(none).toEqual({ depth: 0 });
    expect(empty.sqs.commandCalls(ReceiveMessageCommand)).toHaveLength(0);
    expect(full.sqs.commandCalls(GetQueueAttributesCommand)[0]?.args[0].input).toEqual({
      QueueUrl: URL,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    });
  });

  it('peeks without taking: visibility timeout 0, sent times asked for, nothing deleted; the oldest is the earliest sent', async () => {
    const { sqs, queue } = queueWith({ ApproximateNumberOfMessages: '2' }, [
      { Body: 'x', sentAt: '2026-03-02T08:30:00.000Z' },
      { Body: 'y', sentAt: '2026-03-02T07:15:00.000Z' },
    ]);

    const looked = await queue.look();

    expect(looked).toEqual({ depth: 2, oldestAt: '2026-03-02T07:15:00.000Z' });
    const input = sqs.commandCalls(ReceiveMessageCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ QueueUrl: URL, VisibilityTimeout: 0, MaxNumberOfMessages: 10 });
    expect(input?.MessageSystemAttributeNames).toContain('SentTimestamp');
    expect(sqs.calls().map((c) => c.args[0].constructor.name)).toEqual([
      'GetQueueAttributesCommand',
      'ReceiveMessageCommand',
    ]);
  });

  it("reads the error of Lambda's on-failure record of an asynchronous invocation (AWS's own example)", async () => {
    const { queue } = queueWith({ ApproximateNumberOfMessages: '1' }, [
      { Body: fixture('lambda-async-on-failure-record.json') },
    ]);

    expect((await queue.look()).firstError).toBe(
      'RequestId: e4b46cbf-b738-xmpl-8880-a18cdf61200e Process exited before completing request (RetriesExhausted)',
    );
  });

  it("reads what a stream consumer's on-failure record says: the condition and the batch given up on", async () => {
    const { queue } = queueWith({ ApproximateNumberOfMessages: '1' }, [
      { Body: fixture('lambda-dynamodb-stream-on-failure-record.json') },
    ]);

    expect((await queue.look()).firstError).toBe(
      'RetryAttemptsExhausted after 1 invocation: Unhandled function error on a batch of 1 from shardId-00000001573689847184-864758bb, sequence numbers 800000000003126276362 to 800000000003126276362',
    );
  });

  it("reads a message's last error from its attributes: TMS's own, Lambda's dead-letter queue's, EventBridge's", async () => {
    const own = queueWith({ ApproximateNumberOfMessages: '1' }, [
      { Body: '{"v":1}', attributes: { 'tms-last-error': 'ContentionError: busy' } },
    ]);
    const lambda = queueWith({ ApproximateNumberOfMessages: '1' }, [
      {
        Body: '{"detail":{}}',
        attributes: { RequestID: 'r-1', ErrorMessage: 'Task timed out after 30.03 seconds' },
      },
    ]);
    const events = queueWith({ ApproximateNumberOfMessages: '1' }, [
      {
        Body: '{"detail":{}}',
        attributes: { ERROR_CODE: 'SDK_CLIENT_ERROR', ERROR_MESSAGE: 'Lambda throttled' },
      },
    ]);

    expect((await own.queue.look()).firstError).toBe('ContentionError: busy');
    expect((await lambda.queue.look()).firstError).toBe('Task timed out after 30.03 seconds');
    expect((await events.queue.look()).firstError).toBe('Lambda throttled');
  });

  it("reads an ingest message's last error from its archived delivery, and takes the first message that has one", async () => {
    const asked: string[] = [];
    const { queue } = queueWith(
      { ApproximateNumberOfMessages: '3' },
      [
        { Body: 'not json' },
        { Body: JSON.stringify({ v: 1, source: 'generic', deliveryId: 'd-7', alerts: [] }) },
        { Body: fixture('lambda-async-on-failure-record.json') },
      ],
      async (source, deliveryId) => {
        asked.push(`${source}/${deliveryId}`);
        return 'ValidationException: Item size has exceeded the maximum allowed size';
      },
    );

    expect((await queue.look()).firstError).toBe(
      'ValidationException: Item size has exceeded the maximum allowed size',
    );
    expect(asked).toEqual(['generic/d-7']);
  });

  it('a throttled look is a transient fault; a denied one names the queue; neither resolves the task', async () => {
    // Prepare
    const client = new SQSClient({ region: 'eu-west-1' });
    const sqs = mockClient(client);
    const queue = new SqsDeadLetterQueue(client, SETTINGS);
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'RequestThrottled', $retryable: {} });
    const denied = Object.assign(
      new Error(
        'User: arn:aws:sts::123456789012:assumed-role/tms-dead-letters is not authorized to perform: sqs:getqueueattributes',
      ),
      { name: 'AccessDenied' },
    );
    sqs
      .on(GetQueueAttributesCommand)
      .resolvesOnce({ Attributes: { ApproximateNumberOfMessages: '2' } })
      .rejectsOnce(throttled)
      .rejectsOnce(denied);
    sqs.on(ReceiveMessageCommand).resolves({ Messages: [] });
    const store = new MemoryTaskStore();
    const clock = new ManualClock(T0);
    const deps = depsFor(store, clock);

    // Act
    const opened = await watchDeadLetters(deps, [queue], clock.now());
    clock.advance(300_000);
    const whenThrottled = await watchDeadLetters(deps, [queue], clock.now());
    const error = await queue.look().catch((e: unknown) => e);

    // Assess
    expect(opened[0]).toMatchObject({ depth: 2, result: 'created', taskId: 'TMS-1' });
    expect(whenThrottled[0]).toMatchObject({ result: 'failed' });
    expect(whenThrottled[0]?.error).toMatch(
      /^TransientError: SQS throttled the look at dead-letter queue ingest/,
    );
    expect((await store.get('TMS-1'))?.status).toBe('open');
    expect(error).not.toBeInstanceOf(TransientError);
    expect((error as Error).message).toBe(
      `Could not look at dead-letter queue ingest (${URL}): AccessDenied: User: arn:aws:sts::123456789012:assumed-role/tms-dead-letters is not authorized to perform: sqs:getqueueattributes`,
    );
  });

  it('a peek it may not make (a denied key) still reports the depth', async () => {
    const client = new SQSClient({ region: 'eu-west-1' });
    const sqs = mockClient(client);
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '4' } });
    sqs
      .on(ReceiveMessageCommand)
      .rejects(
        Object.assign(new Error('The ciphertext refers to a key that is disabled'), { name: 'KmsDisabled' }),
      );

    expect(await new SqsDeadLetterQueue(client, SETTINGS).look()).toEqual({ depth: 4 });
  });
});

deadLetterQueueContract(
  'SqsDeadLetterQueue',
  async (held) =>
    queueWith(
      { ApproximateNumberOfMessages: String(held.length) },
      held.map((m) => ({
        Body: '{}',
        sentAt: m.sentAt,
        ...(m.error ? { attributes: { 'tms-last-error': m.error } } : {}),
      })),
    ).queue,
);
