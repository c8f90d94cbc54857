import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, expect, it } from 'vitest';
import { SqsSender } from '../../../src/adapters/aws/sqs-queue.js';
import { encodeMessage, splitDelivery } from '../../../src/ingest/queue.js';
import { anAlert, T0 } from '../../helpers/factories.js';

const sqs = mockClient(SQSClient);
afterEach(() => sqs.reset());
/** SendMessageBatch's limit on the sum of its entries' bodies (as on one message). */
const SQS_BATCH_BYTES = 256 * 1024;

it('sends a delivery of large alerts in batches SQS takes: at most 256 KB of bodies each', async () => {
  sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string; MessageBody: string }[] }) => {
    const total = input.Entries.reduce((sum, e) => sum + Buffer.byteLength(e.MessageBody), 0);
    if (total > SQS_BATCH_BYTES)
      throw Object.assign(new Error('Batch requests cannot be longer than 262144 bytes.'), {
        name: 'BatchRequestTooLong',
      });
    return { Successful: input.Entries.map((e) => ({ Id: e.Id })), Failed: [] };
  });
  // 100 alerts of 5 KB of labels each (a labelled Kubernetes alert): ten messages of ~50 KB.
  const labels = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`label_${i}`, 'v'.repeat(120)]));
  const alerts = Array.from({ length: 100 }, (_, i) => anAlert({ fingerprint: `fp-${i}`, labels }));
  const bodies = splitDelivery({ source: 'generic', deliveryId: 'd', receivedAt: T0 }, alerts).map(
    encodeMessage,
  );
  expect(bodies).toHaveLength(10);
  // Act
  await new SqsSender(new SQSClient({ region: 'eu-west-1' }), 'https://sqs/q', async () => {}).send(bodies);
  // Assert
  const sent = sqs.commandCalls(SendMessageBatchCommand).flatMap((c) => c.args[0].input.Entries ?? []);
  expect(sent.map((e) => e.MessageBody)).toEqual(bodies);
});
