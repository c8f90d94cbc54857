import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SqsSender } from '../../../src/adapters/aws/sqs-queue.js';
import { TransientError } from '../../../src/core/errors.js';
import { decodeMessage, splitDelivery } from '../../../src/ingest/queue.js';
import { buildDeps } from '../../../src/runtime/deps.js';
import { anAlert, T0 } from '../../helpers/factories.js';

// No SQS runs here (no server speaks the JSON protocol SDK v3 uses): the faults SQS answers with are staged.
const sqs = mockClient(SQSClient);
afterEach(() => sqs.reset());
const URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/tms-ingest';
const sender = () => new SqsSender(new SQSClient({ region: 'eu-west-1' }), URL, async () => {});
const bodies = (n: number) => Array.from({ length: n }, (_, i) => `{"n":${i}}`);
const sentBodies = () =>
  sqs
    .commandCalls(SendMessageBatchCommand)
    .map((call) => call.args[0].input.Entries?.map((e) => e.MessageBody));

describe('SqsSender', () => {
  it('sends in batches of ten', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    // Act
    await sender().send(bodies(23));
    // Assert
    expect(sentBodies().map((batch) => batch?.length)).toEqual([10, 10, 3]);
    expect(sentBodies().flat()).toEqual(bodies(23));
  });

  it('sends again only the entries SQS failed, until all are taken', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Successful: [],
        Failed: [
          { Id: '1', Code: 'InternalError', SenderFault: false },
          { Id: '3', Code: 'ServiceUnavailable', SenderFault: false },
        ],
      })
      .resolvesOnce({ Successful: [], Failed: [{ Id: '3', Code: 'InternalError', SenderFault: false }] })
      .resolves({ Successful: [], Failed: [] });
    // Act
    await sender().send(bodies(5));
    // Assert
    expect(sentBodies()).toEqual([bodies(5), ['{"n":1}', '{"n":3}'], ['{"n":3}']]);
  });

  it('throws a TransientError when entries still fail after its tries, so the sweeper re-drives the delivery', async () => {
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [],
      Failed: [{ Id: '0', Code: 'InternalError', Message: 'try again', SenderFault: false }],
    });
    // Act
    const sending = sender().send(bodies(2));
    // Assert
    await expect(sending).rejects.toThrow(TransientError);
    await expect(sending).rejects.toThrow(/1 message\(s\) after 3 tries: InternalError: try again/);
    expect(sentBodies()).toHaveLength(3);
  });

  it('does not send again what SQS refuses as the sender’s fault', async () => {
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [],
      Failed: [{ Id: '0', Code: 'InvalidMessageContents', Message: 'bad characters', SenderFault: true }],
    });
    // Act
    const sending = sender().send(bodies(1));
    // Assert
    await expect(sending).rejects.toThrow(/refused 1 message\(s\): InvalidMessageContents/);
    expect(sentBodies()).toHaveLength(1);
  });

  it('says the queue is unavailable when the call itself fails', async () => {
    sqs.on(SendMessageBatchCommand).rejects(new Error('socket hang up'));
    await expect(sender().send(bodies(1))).rejects.toThrow(TransientError);
  });
});

describe('the ingest queue on AWS', () => {
  it('is the SQS queue TMS_INGEST_QUEUE_URL names, sent the encoded messages', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const deps = buildDeps(
      { TMS_INGEST_QUEUE_URL: URL, AWS_REGION: 'eu-west-1' },
      { sqs: { region: 'eu-west-1' } },
    );
    const messages = splitDelivery(
      { source: 'generic', deliveryId: 'd', receivedAt: T0 },
      Array.from({ length: 12 }, (_, i) => anAlert({ fingerprint: `fp-${i}` })),
    );
    // Act
    await deps.ingestQueue?.send(messages);
    // Assert
    const calls = sqs.commandCalls(SendMessageBatchCommand);
    expect(calls.map((c) => c.args[0].input.QueueUrl)).toEqual([URL]);
    expect(
      sentBodies()
        .flat()
        .map((body) => decodeMessage(body as string)),
    ).toEqual(messages);
  });

  it('is absent without TMS_INGEST_QUEUE_URL: ingest records the alerts itself', () => {
    expect(buildDeps({}).ingestQueue).toBeUndefined();
  });
});
