import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Deps } from '../core/use-cases/deps.js';
import type { IngestOutcome } from '../core/use-cases/ingest-alert.js';
import { messageFailed, processMessage } from '../ingest/pipeline.js';
import { decodeMessage, type IngestMessage, MAX_RECEIVES, REDELIVERED_AFTER_MS } from '../ingest/queue.js';
import { buildDeps, type Env } from '../runtime/deps.js';
import { logger } from '../runtime/logger.js';
import type { Secrets } from '../runtime/secrets.js';

/** A message body that is not an ingest message: it fails alone, and after its receives waits in the dead-letter queue. */
export class MalformedMessageError extends Error {
  override readonly name = 'MalformedMessageError';
  constructor(
    message: string,
    readonly context: { readonly messageId: string },
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

export interface ProcessorOptions {
  /** Told what each message's alerts came to (the local stack answers a delivery's sender with it). */
  readonly onProcessed?: (message: IngestMessage, outcomes: readonly IngestOutcome[]) => void;
  /** Told why a record failed (a batch response names none; the local queue keeps it with the message). */
  readonly onFailed?: (record: SQSRecord, error: unknown) => void;
  /**
   * How long after its delivery's receipt a message is taken for a redelivery whatever its receive count says
   * (`REDELIVERED_AFTER_MS` by default). It must be shorter than a message takes to reach the dead-letter
   * queue (`MAX_RECEIVES` visibility timeouts), so one moved back, its receive count reset, is always late:
   * a queue whose visibility timeout is short (the local one's, seconds) passes less.
   */
  readonly redeliveredAfterMs?: number;
}

/**
 * The ingest queue's consumer (SQS event source, partial batch responses): each record is one chunk of one
 * delivery (src/ingest/queue.ts), recorded alone, so one that fails (a poisoned body, a fault) is retried alone
 * and the others of its batch are done. A record received before, sent again by a re-drive, or processed long
 * after its delivery's receipt (back from the dead-letter queue) may have been recorded in part: it is
 * processed as a redelivery, which counts nothing twice.
 */
export function makeIngestProcessor(deps: Deps, options: ProcessorOptions = {}) {
  async function record(record: SQSRecord): Promise<void> {
    try {
      await processRecord(record);
    } catch (error) {
      options.onFailed?.(record, error);
      throw error;
    }
  }

  async function processRecord(record: SQSRecord): Promise<void> {
    let message: IngestMessage;
    try {
      message = decodeMessage(record.body);
    } catch (cause) {
      throw new MalformedMessageError('not an ingest message', { messageId: record.messageId }, { cause });
    }
    const receives = Number(record.attributes.ApproximateReceiveCount);
    const late =
      deps.clock.now().getTime() - Date.parse(message.receivedAt) >
      (options.redeliveredAfterMs ?? REDELIVERED_AFTER_MS);
    let outcomes: IngestOutcome[];
    try {
      outcomes = await processMessage(deps, message, {
        redelivered: receives > 1 || message.redriven === true || late,
      });
    } catch (error) {
      await messageFailed(deps, message, error, receives >= MAX_RECEIVES).catch((cause: unknown) =>
        logger.warn('could not keep why a queued delivery failed on its archive', {
          source: message.source,
          deliveryId: message.deliveryId,
          cause,
        }),
      );
      throw error;
    }
    options.onProcessed?.(message, outcomes);
  }

  return async function handler(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
    const processor = new BatchProcessor(EventType.SQS);
    const response = await processPartialResponse(event, record, processor, {
      ...(context ? { context } : {}),
      // A batch that failed as a whole is answered as failures too, rather than thrown: the same retry, one path.
      throwOnFullBatchFailure: false,
    });
    for (const error of processor.errors)
      logger.error('an ingest message failed', {
        ...(error instanceof MalformedMessageError ? error.context : {}),
        error,
      });
    return response;
  };
}

/** The Lambda's handler, built once per container from its environment (src/runtime/lambda-entry.ts). */
export const fromEnvironment = (env: Env, secrets: Secrets) =>
  makeIngestProcessor(buildDeps(env, { secrets }));
