import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { Alert } from '../core/alert.js';
import { record } from '../core/bounds.js';
import { deliveryToken, type RawEvent } from '../core/ports.js';
import type { Deps } from '../core/use-cases/deps.js';
import { type IngestOutcome, ingestAlert } from '../core/use-cases/ingest-alert.js';
import { bodySize, bodyText, fromError, type HttpResult, problem } from '../http/respond.js';
import { logger } from '../runtime/logger.js';
import { archivedHeaders, redactCredentials } from './archive-policy.js';
import {
  type CertificateFetcher,
  type IngestRequest,
  type IngestSecrets,
  type IngestSource,
  type Received,
  taskIdsOf,
} from './source.js';
import { alertmanager } from './sources/alertmanager.js';
import { cloudwatch } from './sources/cloudwatch.js';
import { generic } from './sources/generic.js';
import { github } from './sources/github.js';
import { jenkins } from './sources/jenkins.js';
import { kubernetes } from './sources/kubernetes.js';
import { logs } from './sources/logs.js';

export const SOURCES: Readonly<Record<string, IngestSource>> = {
  generic,
  alertmanager,
  github,
  jenkins,
  kubernetes,
  logs,
  cloudwatch,
};

/**
 * A delivery's own request holds it this long after its receipt (a lease written with the archive): only then
 * may the sweeper or a replay take it, so they never process it while its request still does.
 */
export const PROCESSING_LEASE_MS = 60_000;
/** How long raw deliveries are kept for replay and audit. */
export const RAW_RETENTION_MS = 7 * 86_400_000;
/** The source of that name, by the registry's own keys only: `constructor` or `__proto__` is no source. */
export const sourceNamed = (name: string): IngestSource | undefined =>
  Object.hasOwn(SOURCES, name) ? SOURCES[name] : undefined;

/**
 * Every source, the same way: size limit (before parsing or hashing), the sender verified (before
 * anything else, deduplication included), the raw delivery archived, then each alert recorded.
 * A delivery whose id was seen is answered again, not processed twice.
 */
export async function ingest(
  deps: Deps & { readonly certificates?: CertificateFetcher },
  sourceName: string,
  event: APIGatewayProxyEventV2,
  secrets: IngestSecrets,
): Promise<HttpResult> {
  const source = sourceNamed(sourceName);
  if (!source)
    return problem(
      404,
      'NOT_FOUND',
      `No ingest source "${sourceName}"; known: ${Object.keys(SOURCES).join(', ')}`,
    );
  if (bodySize(event) > source.maxBytes) {
    return problem(413, 'TOO_LARGE', `A ${source.name} delivery is at most ${source.maxBytes} bytes`);
  }
  try {
    const request: IngestRequest = {
      // Prototype-free: a header or parameter named `constructor` or `__proto__` is one like any other.
      headers: record(Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v ?? ''])),
      query: record(Object.entries(event.queryStringParameters ?? {}).map(([k, v]) => [k, v ?? ''])),
      body: bodyText(event),
      receivedAt: deps.clock.now(),
    };
    const received = await source.receive(request, secrets, {
      verify: true,
      config: deps.config,
      ...(deps.certificates ? { certificates: deps.certificates } : {}),
    });
    if (!received.ok) return received.error;

    return received.value.answer(await accept(deps, source.name, request, received.value));
  } catch (error) {
    return fromError(error);
  }
}

/**
 * A delivery its source has read: archived raw (credentials out) unless it was before, then its alerts
 * recorded and the archive marked processed. The outcomes; none when it was a repeat of an earlier delivery
 * (then the earlier's tasks) or when processing failed after the archive (the sweeper does it later).
 */
export async function accept(
  deps: Deps,
  sourceName: string,
  request: IngestRequest,
  received: Received,
): Promise<IngestOutcome[]> {
  const raw: RawEvent = {
    source: sourceName,
    deliveryId: received.deliveryId,
    receivedAt: request.receivedAt.toISOString(),
    // Credentials out: headers by an allow-list, and any `?token=` or URL password in what is kept.
    headers: archivedHeaders(request.headers),
    body: redactCredentials(received.archivedBody ?? request.body),
    expiresAt: new Date(request.receivedAt.getTime() + RAW_RETENTION_MS).toISOString(),
    attempts: 1,
    leaseUntil: new Date(request.receivedAt.getTime() + PROCESSING_LEASE_MS).toISOString(),
  };
  // A side effect of the delivery (confirming an SNS subscription) happens once: before the archive, so a
  // failure answers 5xx and the sender's retry does it; a delivery archived before does not do it again.
  if (received.onFirstDelivery && !(await deps.store.getRaw(raw.source, raw.deliveryId)))
    await received.onFirstDelivery();
  if ((await deps.store.archiveRaw(raw)) === 'duplicate') {
    const earlier = await deps.store.getRaw(raw.source, raw.deliveryId);
    return (earlier?.taskIds ?? []).map(
      (taskId): IngestOutcome => ({ result: 'ignored', taskId, reason: 'delivered before' }),
    );
  }
  let outcomes: IngestOutcome[];
  try {
    outcomes = await processAlerts(deps, raw, received.alerts);
  } catch (error) {
    // Archived is accepted: the sweeper processes it within a minute or two. Answering 5xx now would make
    // the sender send it again and count it twice.
    logger.warn('delivery archived, processing deferred to the sweeper', {
      source: raw.source,
      deliveryId: raw.deliveryId,
      error,
    });
    return [];
  }
  await deps.store.markRawProcessed(
    raw.source,
    raw.deliveryId,
    deps.clock.now().toISOString(),
    taskIdsOf(outcomes),
  );
  return outcomes;
}

/** Each alert with its delivery token, so what it changes says which delivery did (see `deliveryToken`). */
async function processAlerts(deps: Deps, raw: RawEvent, alerts: readonly Alert[]): Promise<IngestOutcome[]> {
  const outcomes: IngestOutcome[] = [];
  for (const [index, alert] of receivedAt(alerts, raw.receivedAt).entries())
    outcomes.push(
      await ingestAlert(deps, alert, { token: deliveryToken(raw.source, raw.deliveryId, index) }),
    );
  return outcomes;
}

/**
 * The alerts of a delivery stamped with when it was received (for a re-driven delivery, when it was first
 * received, as archived): the time they are counted at when their senders' own is not plausible.
 */
export const receivedAt = (alerts: readonly Alert[], at: string): Alert[] =>
  alerts.map((alert) => ({ ...alert, receivedAt: at }));

export { taskIdsOf } from './source.js';
