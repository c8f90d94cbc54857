import { createHash } from 'node:crypto';
import type * as z from 'zod';
import type { CertificateFetcher } from '../adapters/aws/sns-certificates.js';
import type { Alert } from '../core/alert.js';
import type { Config } from '../core/config.js';
import { fail, ok, type Result } from '../core/result.js';
import type { GroupNotification } from '../core/use-cases/alert-groups.js';
import type { IngestOutcome } from '../core/use-cases/ingest-alert.js';
import { type HttpResult, json, problem } from '../http/respond.js';

/** A delivery as it arrived, before anything trusts it. Header names are lower-case. */
export interface IngestRequest {
  readonly headers: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  readonly body: string;
  readonly receivedAt: Date;
}

export interface Received {
  /** Unique per delivery for sources that name their deliveries; deliveries with the same id are processed once. */
  readonly deliveryId: string;
  readonly alerts: readonly Alert[];
  /** What the raw archive keeps when it must differ from the body: credentials taken out. */
  readonly archivedBody?: string;
  /** The sender's answer once the alerts were recorded (or, for a repeated delivery, were recorded before). */
  answer(outcomes: readonly IngestOutcome[]): HttpResult;
  /**
   * An Alertmanager group's complete notification, in `grouping: alert` mode: once its alerts are recorded, the
   * tasks of its alerts no longer listed are marked unreported (src/core/use-cases/alert-groups.ts).
   */
  readonly group?: GroupNotification;
  /** Done once, for the first delivery with this id, before it is archived (an SNS subscription confirmed). */
  readonly onFirstDelivery?: () => Promise<void>;
}

/** The tasks a delivery touched, each once, for the `{"taskIds":[…]}` answer. */
export const taskIdsOf = (outcomes: readonly IngestOutcome[]): string[] => [
  ...new Set(outcomes.flatMap((o) => (o.taskId ? [o.taskId] : []))),
];

export interface IngestSecrets {
  readonly ingestToken: string;
  readonly githubWebhookSecret?: string;
  /** Grafana's webhook HMAC secret, when its contact point signs (optional). */
  readonly grafanaWebhookSecret?: string;
}

export type { CertificateFetcher };

/**
 * One alert source: how big its payloads may be, how its sender is verified, and how its payload becomes
 * canonical Alerts. `verify: false` is for re-driving an archived delivery that was verified on arrival.
 */
export interface IngestSource {
  readonly name: Alert['source'];
  readonly maxBytes: number;
  receive(
    request: IngestRequest,
    secrets: IngestSecrets,
    /**
     * `config`: for sources whose reading depends on it (log patterns per service); `certificates`: how a
     * sender's signing certificate is fetched (SNS), when not from the sender's own address.
     */
    options: { verify: boolean; config: Config; certificates?: CertificateFetcher },
  ): Result<Received, HttpResult> | Promise<Result<Received, HttpResult>>;
}

/** A 400 in the ingest error shape. */
export const invalidEvent = (message: string): HttpResult => problem(400, 'INVALID_EVENT', message);

/** zod's issues as one line a sender can act on: the first few, each with its path. */
export const issuesOf = (error: z.ZodError, max = 5): string =>
  error.issues
    .slice(0, max)
    .map((i) => `${i.path.join('.') || 'body'}: ${i.message}`)
    .join('; ');

/** The body as JSON, read by the source's schema; a 400 naming what is wrong otherwise. */
export function readJson<T>(body: string, schema: z.ZodType<T>, what: string): Result<T, HttpResult> {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return fail(invalidEvent('The body is not JSON'));
  }
  const parsed = schema.safeParse(value);
  return parsed.success ? ok(parsed.data) : fail(invalidEvent(`Not ${what}: ${issuesOf(parsed.error)}`));
}

/** Alerts normalized from a delivery; a 400 if one does not make a valid Alert. */
export function validAlerts(results: readonly z.ZodSafeParseResult<Alert>[]): Result<Alert[], HttpResult> {
  const invalid = results.find((r) => !r.success);
  if (invalid && !invalid.success) return fail(invalidEvent(issuesOf(invalid.error)));
  return ok(results.flatMap((r) => (r.success ? [r.data] : [])));
}

/**
 * A delivery read, answered `202 {"taskIds":[…]}`. Senders that name no delivery are identified by the body:
 * the same body resent (a retry) is the same delivery.
 */
export function received(body: string, alerts: Alert[], deliveryId = bodyHash(body)): Received {
  return { deliveryId, alerts, answer: (outcomes) => json(202, { taskIds: taskIdsOf(outcomes) }) };
}

export const bodyHash = (body: string): string => createHash('sha256').update(body).digest('hex');
