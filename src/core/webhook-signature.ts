import { createHmac, timingSafeEqual } from 'node:crypto';
import { fail, ok, type Result } from './result.js';

/**
 * How a schedule's webhook is signed (issue 18), and how its receiver checks it. Like GitHub's
 * `X-Hub-Signature-256`, but the timestamp is signed with the body, so a captured request cannot be replayed
 * later: a receiver refuses a timestamp more than five minutes from its own clock.
 *
 * Sent as `X-TMS-Signature-256: sha256=<hex>`, `X-TMS-Timestamp: <unix seconds>` and `X-TMS-Delivery: <id>`
 * (the same delivery id on every retry, for a receiver to drop duplicates). A receiver in Node:
 *
 * ```ts
 * const checked = verifyWebhook(
 *   process.env.TMS_WEBHOOK_SECRET,
 *   { signature: req.headers['x-tms-signature-256'], timestamp: req.headers['x-tms-timestamp'] },
 *   rawBody, // the bytes as received, before JSON.parse
 *   new Date(),
 * );
 * if (!checked.ok) return res.writeHead(401).end(checked.error.reason);
 * ```
 */

/** The header names, lower case as Node hands them to a receiver (sent as X-TMS-Signature-256 and so on). */
export const WEBHOOK_HEADERS = {
  signature: 'x-tms-signature-256',
  timestamp: 'x-tms-timestamp',
  delivery: 'x-tms-delivery',
} as const;

export const WEBHOOK_TOLERANCE_SECONDS = 300;

/** `sha256=` and the hex HMAC-SHA256, keyed by the secret, of `${timestampSeconds}.${body}`. */
export function signWebhook(secret: string, timestampSeconds: number, body: string): string {
  return `sha256=${digest(secret, String(timestampSeconds), body).toString('hex')}`;
}

export type WebhookRefusalCode =
  | 'WEBHOOK_SIGNATURE_MISSING'
  | 'WEBHOOK_SIGNATURE_MALFORMED'
  | 'WEBHOOK_TIMESTAMP_MALFORMED'
  | 'WEBHOOK_SIGNATURE_MISMATCH'
  | 'WEBHOOK_TIMESTAMP_STALE';

export interface WebhookRefusal {
  readonly code: WebhookRefusalCode;
  readonly reason: string;
}

/** The two headers as a receiver got them (a missing header is `undefined` in Node, `null` from `Headers.get`). */
export interface WebhookSignatureHeaders {
  readonly signature: string | null | undefined;
  readonly timestamp: string | null | undefined;
}

const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;
const TIMESTAMP = /^\d{1,15}$/;

/**
 * Whether `body` came from TMS with this secret within `toleranceSeconds` of `now`. The signature is checked
 * before the clock, so a stale refusal means an authentic request that is old (or a clock that is off).
 */
export function verifyWebhook(
  secret: string,
  headers: WebhookSignatureHeaders,
  body: string,
  now: Date,
  toleranceSeconds: number = WEBHOOK_TOLERANCE_SECONDS,
): Result<{ readonly timestampSeconds: number }, WebhookRefusal> {
  const { signature, timestamp } = headers;
  if (!signature || !timestamp)
    return refuse(
      'WEBHOOK_SIGNATURE_MISSING',
      'the X-TMS-Signature-256 or X-TMS-Timestamp header is missing',
    );
  const given = SIGNATURE.exec(signature)?.[1];
  if (!given)
    return refuse('WEBHOOK_SIGNATURE_MALFORMED', 'X-TMS-Signature-256 is not sha256= and 64 hex digits');
  if (!TIMESTAMP.test(timestamp))
    return refuse('WEBHOOK_TIMESTAMP_MALFORMED', 'X-TMS-Timestamp is not a number of seconds');
  // Both digests are 32 bytes (the pattern above fixed the length), as timingSafeEqual needs.
  if (!timingSafeEqual(Buffer.from(given, 'hex'), digest(secret, timestamp, body)))
    return refuse(
      'WEBHOOK_SIGNATURE_MISMATCH',
      'the signature does not match the body, timestamp and secret',
    );
  const timestampSeconds = Number(timestamp);
  const skew = Math.floor(now.getTime() / 1000) - timestampSeconds;
  if (Math.abs(skew) > toleranceSeconds)
    return refuse(
      'WEBHOOK_TIMESTAMP_STALE',
      `the timestamp is ${Math.abs(skew)} s ${skew > 0 ? 'old' : 'in the future'}; at most ${toleranceSeconds} s is accepted`,
    );
  return ok({ timestampSeconds });
}

function digest(secret: string, timestamp: string, body: string): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest();
}

const refuse = (code: WebhookRefusalCode, reason: string) => fail<WebhookRefusal>({ code, reason });
