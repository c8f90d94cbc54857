import { gunzipSync, gzipSync } from 'node:zlib';
import * as z from 'zod';
import { Alert } from '../core/alert.js';
import type { GroupNotification } from '../core/use-cases/alert-groups.js';
import type { IngestOutcome } from '../core/use-cases/ingest-alert.js';

/**
 * The ingest queue: an accepted delivery (verified and archived) is split into messages its processor
 * (src/handlers/ingest-processor.ts) records alert by alert, so the sender's answer never waits for the work.
 */

/** One SQS message: a chunk of one delivery's alerts, already read and verified by its source. */
export interface IngestMessage {
  readonly v: 1;
  /** A SOURCES key. */
  readonly source: string;
  readonly deliveryId: string;
  /** ISO, when the delivery was received. */
  readonly receivedAt: string;
  /** The index of the chunk's first alert within the delivery. */
  readonly index: number;
  /** How many messages the delivery was split into. */
  readonly chunks: number;
  readonly alerts: readonly Alert[];
  /**
   * The delivery's Alertmanager group notification, when it has one (`grouping: alert`): its key, and `firing`
   * for this chunk's alerts only (so a message stays small however large the group), index for index.
   */
  readonly group?: GroupNotification;
  /**
   * Sent again by a re-drive (the sweeper, a restart) rather than by the delivery's own request: it may have
   * been processed in part already, so it is processed as a redelivery.
   */
  readonly redriven?: true;
}

/**
 * Where the processor runs in the sender's own process (the local stack): what the delivery's alerts came to,
 * as far as they are recorded within `withinMs` (all of them once its last chunk is done, then at once).
 */
export type AwaitOutcomes = (withinMs: number) => Promise<readonly IngestOutcome[]>;

/** The ingest side: where accepted deliveries go. */
export interface AlertQueue {
  // biome-ignore lint/suspicious/noConfusingVoidType: SQS resolves with nothing; a local queue may say more.
  send(messages: readonly IngestMessage[]): Promise<void | AwaitOutcomes>;
}

/** A message is at most this many alerts: SQS's batch of ten, so a chunk's work stays within one invocation. */
export const CHUNK_ALERTS = 10;
/** A message body is at most this many bytes: SQS takes 256 KB, and what the attributes and envelope add is kept out. */
export const MAX_MESSAGE_BYTES = 200 * 1024;
/**
 * Receives after which a message goes to the dead-letter queue (the queue's `maxReceiveCount`): the processor
 * marks the delivery dead on this receive's failure, so `npm run replay -- --dead` lists what SQS gave up on.
 */
export const MAX_RECEIVES = 5;
/**
 * The processor Lambda's timeout (seconds; infra/stack.ts sets it): a batch of ten messages of ten alerts takes
 * a few seconds; a throttled store, with its backoff, longer.
 */
export const PROCESSOR_TIMEOUT_S = 60;
/** How long its event source mapping gathers a batch (seconds; infra/constructs/ingest-queue.ts). */
export const PROCESSOR_BATCHING_WINDOW_S = 1;
/**
 * The queue's visibility timeout (seconds): six times the processor's timeout, as AWS advises for SQS sources,
 * plus the batching window the messages spend received (infra's `visibilityTimeoutFor`).
 */
export const VISIBILITY_TIMEOUT_S = 6 * PROCESSOR_TIMEOUT_S + PROCESSOR_BATCHING_WINDOW_S;
/**
 * How long a delivery sent to the queue is held from the sweeper (a lease written with the archive): longer
 * than every receive the queue will make of it, so the sweeper re-drives only what never reached the queue
 * (a send that failed) or what a lost queue held, never what SQS is still retrying.
 */
export const QUEUE_LEASE_MS = (MAX_RECEIVES * VISIBILITY_TIMEOUT_S + 300) * 1000;
/**
 * A message processed this long after its delivery's receipt is taken for a redelivery whatever its receive
 * count says: a new one is processed within seconds, and one moved back from the dead-letter queue (which was
 * received `MAX_RECEIVES` times, minutes apart, and may have been recorded in part) may come back with its
 * receive count reset. Late for another reason (a backlog), it costs the redelivery's look at its tasks only.
 */
export const REDELIVERED_AFTER_MS = 60_000;

/**
 * A delivery's alerts as messages of at most `CHUNK_ALERTS` alerts and `MAX_MESSAGE_BYTES` each, in order; one
 * alert larger than that (labels LIMITS allows, escaped) is a message of its own, compressed (`encodeMessage`).
 */
export function splitDelivery(
  delivery: Omit<IngestMessage, 'v' | 'index' | 'chunks' | 'alerts' | 'group'>,
  alerts: readonly Alert[],
  group?: GroupNotification,
): IngestMessage[] {
  const base = 50_000; // the envelope, generously: ids, the group key, the `firing` slice
  const slices: { index: number; alerts: Alert[] }[] = [];
  let current: { index: number; alerts: Alert[] } | undefined;
  let bytes = 0;
  for (const [index, alert] of alerts.entries()) {
    const size = Buffer.byteLength(JSON.stringify(alert));
    if (!current || current.alerts.length >= CHUNK_ALERTS || bytes + size > MAX_MESSAGE_BYTES - base) {
      current = { index, alerts: [] };
      slices.push(current);
      bytes = 0;
    }
    current.alerts.push(alert);
    bytes += size;
  }
  return slices.map((slice) => ({
    v: 1,
    ...delivery,
    index: slice.index,
    chunks: slices.length,
    alerts: slice.alerts,
    ...(group
      ? {
          group: {
            key: group.key,
            firing: group.firing.slice(slice.index, slice.index + slice.alerts.length),
          },
        }
      : {}),
  }));
}

/**
 * The message's body: JSON, with the two characters JSON leaves as they are and SQS refuses (U+FFFE, U+FFFF)
 * escaped; over `MAX_MESSAGE_BYTES`, gzipped in base64 (labels of control characters escape six to one and
 * compress as well).
 */
export function encodeMessage(message: IngestMessage): string {
  const text = JSON.stringify(message).replace(
    /[\uFFFE\uFFFF]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16)}`,
  );
  if (Buffer.byteLength(text) <= MAX_MESSAGE_BYTES) return text;
  return JSON.stringify({ v: 1, gzip: gzipSync(text).toString('base64') });
}

const Packed = z.strictObject({ v: z.literal(1), gzip: z.base64() });

const Message = z.strictObject({
  v: z.literal(1),
  source: z.string().min(1),
  deliveryId: z.string().min(1),
  receivedAt: z.iso.datetime(),
  index: z.number().int().nonnegative(),
  chunks: z.number().int().positive(),
  alerts: z.array(Alert).min(1).max(CHUNK_ALERTS),
  group: z.strictObject({ key: z.string().min(1), firing: z.array(z.boolean()) }).optional(),
  redriven: z.literal(true).optional(),
});

/**
 * What a compressed body may unpack to: far more than any message `encodeMessage` packs (a chunk's alerts are
 * bounded, the largest alert LIMITS allows escapes to well under a megabyte), and far less than a body of 256 KB
 * of gzip can make (a thousand times that): unpacking stops there, so one such body fails its record alone
 * rather than the processor's memory, and with it its whole batch.
 */
export const MAX_UNPACKED_BYTES = 8 * 1024 * 1024;

/** A message body read back; throws (a `ZodError`, a `SyntaxError`) on anything else, so its record fails alone. */
export function decodeMessage(body: string): IngestMessage {
  const value: unknown = JSON.parse(body);
  const packed = Packed.safeParse(value);
  const message = packed.success
    ? JSON.parse(
        gunzipSync(Buffer.from(packed.data.gzip, 'base64'), {
          maxOutputLength: MAX_UNPACKED_BYTES,
        }).toString('utf8'),
      )
    : value;
  return Message.parse(message) as IngestMessage;
}
