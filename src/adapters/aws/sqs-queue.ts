import {
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  type SendMessageBatchRequestEntry,
  SQSClient,
  type SQSClientConfig,
} from '@aws-sdk/client-sqs';
import { TransientError } from '../../core/errors.js';

/** SendMessageBatch takes at most ten entries. */
const BATCH = 10;
/**
 * ...and at most this many bytes of them together (the sum of its bodies, the limit of one message): ten
 * messages of a delivery of large alerts (up to 200 KB each) are sent in as many batches as that takes.
 */
const BATCH_BYTES = 256 * 1024;
/** Rounds of sending again what SQS refused in part (a throttled or failed entry); then the send fails. */
const ROUNDS = 3;

/**
 * Message bodies sent to an SQS queue (the ingest queue: src/ingest/queue.ts encodes its messages). A batch may succeed in part (each entry answered on its own): what failed is sent
 * again, a few rounds with a short pause, and what still fails makes the send throw — the delivery is archived,
 * so the sweeper re-drives it, and a message sent twice is counted once (its alerts' delivery tokens).
 */
export class SqsSender {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    private readonly pause: (ms: number) => Promise<void> = (ms) =>
      new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  async send(bodies: readonly string[]): Promise<void> {
    const entries = bodies.map(
      (body, i): SendMessageBatchRequestEntry => ({ Id: String(i), MessageBody: body }),
    );
    let batch: SendMessageBatchRequestEntry[] = [];
    let bytes = 0;
    for (const entry of entries) {
      const size = Buffer.byteLength(entry.MessageBody ?? '');
      if (batch.length > 0 && (batch.length >= BATCH || bytes + size > BATCH_BYTES)) {
        await this.sendBatch(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(entry);
      bytes += size;
    }
    if (batch.length > 0) await this.sendBatch(batch);
  }

  private async sendBatch(batch: readonly SendMessageBatchRequestEntry[]): Promise<void> {
    let pending = [...batch];
    let failures: string[] = [];
    for (let round = 0; round < ROUNDS && pending.length > 0; round++) {
      if (round > 0) await this.pause(100 * 2 ** round);
      let answer: SendMessageBatchCommandOutput;
      try {
        answer = await this.client.send(
          new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: pending }),
        );
      } catch (error) {
        throw new TransientError('The ingest queue did not take the delivery', { cause: error });
      }
      const failed = answer.Failed ?? [];
      // A sender's fault (a body SQS refuses) fails the same way again: no use sending it again.
      const refused = failed.filter((f) => f.SenderFault);
      if (refused.length > 0)
        throw new Error(
          `The ingest queue refused ${refused.length} message(s): ${refused.map((f) => `${f.Code}: ${f.Message}`).join('; ')}`,
        );
      const again = new Set(failed.map((f) => f.Id));
      failures = failed.map((f) => `${f.Code ?? 'unknown'}: ${f.Message ?? ''}`);
      pending = pending.filter((entry) => again.has(entry.Id));
    }
    if (pending.length > 0)
      throw new TransientError(
        `The ingest queue did not take ${pending.length} message(s) after ${ROUNDS} tries: ${failures[0] ?? ''}`,
      );
  }
}

export const createSqsClient = (config: SQSClientConfig = {}): SQSClient => new SQSClient(config);
