import type { Alert } from '../core/alert.js';
import type { Config } from '../core/config.js';
import type { Result } from '../core/result.js';
import type { IngestOutcome } from '../core/use-cases/ingest-alert.js';
import type { HttpResult } from '../http/respond.js';

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
    /** `config`: for sources whose reading depends on it (log patterns per service). */
    options: { verify: boolean; config: Config },
  ): Result<Received, HttpResult> | Promise<Result<Received, HttpResult>>;
}
