import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { Alert } from '../core/alert.js';
import { record } from '../core/bounds.js';
import { deliveryToken, type RawEvent } from '../core/ports.js';
import { notifiedAgain, trackAlertGroup } from '../core/use-cases/alert-groups.js';
import type { Deps } from '../core/use-cases/deps.js';
import { type IngestOutcome, ingestAlert } from '../core/use-cases/ingest-alert.js';
import { bodySize, bodyText, fromError, type HttpResult, problem } from '../http/respond.js';
import { logger } from '../runtime/logger.js';
import { archivedHeaders, redactCredentials } from './archive-policy.js';
import { type AlertQueue, type IngestMessage, QUEUE_LEASE_MS, splitDelivery } from './queue.js';
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
 * may the sweeper or a replay take it, so they never process it while its request still does. One sent to the
 * ingest queue is held `QUEUE_LEASE_MS` instead, as long as the queue may retry it.
 */
export const PROCESSING_LEASE_MS = 60_000;
/**
 * How long a delivery's own request records its alerts before it answers: a sender's timeout is short
 * (Alertmanager's is its group interval, 10 s or more), and a large group (hundreds of alerts) takes longer
 * than that to record. What is left continues after the answer (`ContinueLater`), or, where nothing can run
 * after the answer (a Lambda), is left archived and unprocessed for the sweeper's re-drive.
 */
export const ANSWER_BUDGET_MS = 500;
/** A delivery of this many alerts or fewer is recorded whole before its answer, which then names all its tasks. */
export const WHOLE_BEFORE_ANSWER = 5;

/**
 * Where the queue's processor runs in this process, how long the answer to a delivery of at most
 * `WHOLE_BEFORE_ANSWER` alerts waits for them (a busy machine may take more than ANSWER_BUDGET_MS for one):
 * its answer names all its tasks, as it did when they were recorded before it; well inside a sender's timeout.
 */
export const SMALL_DELIVERY_WAIT_MS = 5_000;

/** Runs work after the answer has gone (the local stack); absent on Lambda, where the re-drive does it. */
export type ContinueLater = (work: () => Promise<void>) => void;

export interface AcceptOptions {
  /**
   * Without it (and without `continueLater`), every alert is recorded before the answer. With a queue, how long
   * the answer waits for what the queue's processor recorded, where it runs in this process (the local stack).
   */
  readonly budgetMs?: number;
  readonly continueLater?: ContinueLater;
  /**
   * Where the alerts of a new delivery go once it is archived (src/ingest/queue.ts): the answer then waits
   * for none of them (on AWS it names no task of a new delivery). Without it they are recorded here.
   */
  readonly queue?: AlertQueue;
}

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
  options: AcceptOptions = {},
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

    return received.value.answer(await accept(deps, source.name, request, received.value, options));
  } catch (error) {
    return fromError(error);
  }
}

/**
 * A delivery its source has read: archived raw (credentials out) unless it was before, then, with a queue,
 * its alerts sent to it (`enqueue`: the processor records them), or else recorded here and the archive marked
 * processed. The outcomes; none when it was a repeat of an earlier delivery
 * (then the earlier's tasks) or when processing failed after the archive (the sweeper does it later). Alerts
 * are recorded for at most `budgetMs` before the answer; the rest after it (see `ANSWER_BUDGET_MS`), and the
 * archive is marked processed only once all are, so a crash in between leaves the delivery to the re-drive,
 * which counts none twice (each alert's delivery token is on what it changed).
 */
export async function accept(
  deps: Deps,
  sourceName: string,
  request: IngestRequest,
  received: Received,
  options: AcceptOptions = {},
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
    leaseUntil: new Date(
      request.receivedAt.getTime() + (options.queue ? QUEUE_LEASE_MS : PROCESSING_LEASE_MS),
    ).toISOString(),
  };
  // A side effect of the delivery (confirming an SNS subscription) happens once: before the archive, so a
  // failure answers 5xx and the sender's retry does it; a delivery archived before does not do it again.
  if (received.onFirstDelivery && !(await deps.store.getRaw(raw.source, raw.deliveryId)))
    await received.onFirstDelivery();
  if ((await deps.store.archiveRaw(raw)) === 'duplicate') {
    const group = received.group;
    if (group) {
      // One read per alert: a large group's repeat is compared after the answer where something runs then.
      const compare = () => trackGroup(raw, () => notifiedAgain(deps, group, received.alerts));
      if (options.continueLater && received.alerts.length > WHOLE_BEFORE_ANSWER)
        options.continueLater(compare);
      else await compare();
    }
    // A group task hears its group again (Alertmanager repeats an unchanged group's body every
    // repeat_interval): its summary's `notifiedAt` moves, so `staleAfter` tells a group that went quiet.
    for (const [index, alert] of received.alerts.entries())
      if (alert.group)
        await trackGroup(raw, async () => {
          await ingestAlert(
            deps,
            { ...alert, receivedAt: raw.receivedAt },
            { token: deliveryToken(raw.source, raw.deliveryId, index) },
          );
        });
    const earlier = await deps.store.getRaw(raw.source, raw.deliveryId);
    return (earlier?.taskIds ?? []).map(
      (taskId): IngestOutcome => ({ result: 'ignored', taskId, reason: 'delivered before' }),
    );
  }
  if (options.queue && received.alerts.length > 0) {
    const wait =
      received.alerts.length <= WHOLE_BEFORE_ANSWER
        ? SMALL_DELIVERY_WAIT_MS
        : (options.budgetMs ?? ANSWER_BUDGET_MS);
    return enqueue(deps, raw, received, options.queue, wait);
  }
  const budget =
    received.alerts.length <= WHOLE_BEFORE_ANSWER
      ? Number.POSITIVE_INFINITY
      : (options.budgetMs ?? (options.continueLater ? ANSWER_BUDGET_MS : Number.POSITIVE_INFINITY));
  const deadline = performance.now() + budget;
  let first: Processed;
  try {
    first = await processAlerts(deps, raw, received.alerts, 0, deadline);
  } catch (error) {
    deferred(raw, error);
    return [];
  }
  if (first.next < received.alerts.length) {
    const rest = async () => {
      try {
        const more = await processAlerts(deps, raw, received.alerts, first.next, Number.POSITIVE_INFINITY);
        await finish(deps, raw, received, [...first.outcomes, ...more.outcomes]);
      } catch (error) {
        deferred(raw, error);
      }
    };
    if (options.continueLater) options.continueLater(rest);
    else
      logger.info('delivery answered before all its alerts were recorded; the sweeper records the rest', {
        source: raw.source,
        deliveryId: raw.deliveryId,
        recorded: first.next,
        alerts: received.alerts.length,
      });
    return first.outcomes;
  }
  await finish(deps, raw, received, first.outcomes);
  return first.outcomes;
}

/**
 * A new delivery's alerts sent to the queue. On Lambda that is the answer (nothing can wait for the processor,
 * so it names no task); where the processor runs in this process, the answer waits for it up to `budgetMs`,
 * so a small delivery's answer names its tasks as before. A send that fails leaves the delivery archived,
 * which is its acceptance: its lease is cut short, and the sweeper re-drives it within a minute or two.
 */
async function enqueue(
  deps: Deps,
  raw: RawEvent,
  received: Received,
  queue: AlertQueue,
  budgetMs: number,
): Promise<IngestOutcome[]> {
  const messages = splitDelivery(
    { source: raw.source, deliveryId: raw.deliveryId, receivedAt: raw.receivedAt },
    received.alerts,
    received.group,
  );
  let awaiting: Awaited<ReturnType<AlertQueue['send']>>;
  try {
    awaiting = await queue.send(messages);
  } catch (error) {
    deferred(raw, error);
    try {
      // The queue's long lease would keep the sweeper away for as long as SQS would retry: released now.
      const now = deps.clock.now();
      const past = new Date(Math.max(now.getTime(), Date.parse(raw.leaseUntil ?? '') || 0) + 1).toISOString();
      await deps.store.claimRaw(raw.source, raw.deliveryId, deps.newId(), past, now.toISOString());
    } catch (cause) {
      logger.warn('could not release the lease of a delivery the queue refused', { cause });
    }
    return [];
  }
  return awaiting ? [...(await awaiting(budgetMs))] : [];
}

/** How a message of the queue is processed: a redelivery may have been recorded in part before. */
export interface MessageOptions {
  readonly redelivered: boolean;
}

/**
 * One message of the queue: its alerts recorded with their delivery tokens (a redelivery counts none twice),
 * then, once every chunk of its delivery is (the store's sets say when the last one is, whichever finished
 * last), the delivery's group compared and its archive marked processed with all its tasks. What its alerts
 * came to, in order.
 */
export async function processMessage(
  deps: Deps,
  message: IngestMessage,
  options: MessageOptions,
): Promise<IngestOutcome[]> {
  const outcomes: IngestOutcome[] = [];
  for (const [i, alert] of message.alerts.entries()) {
    const token = deliveryToken(message.source, message.deliveryId, message.index + i);
    outcomes.push(
      await ingestAlert(
        deps,
        { ...alert, receivedAt: message.receivedAt },
        { token, ...(options.redelivered ? { redriven: message.receivedAt } : {}) },
      ),
    );
  }
  // What the group comparison needs of each chunk: the tasks listed, and those listed as firing.
  const touched = outcomes.flatMap((o, i) =>
    o.taskId ? [`${LISTED}${o.taskId}`, ...(message.group?.firing[i] ? [`${FIRING}${o.taskId}`] : [])] : [],
  );
  let all: readonly string[] = touched;
  if (message.chunks > 1) {
    const progress = await deps.store.queuedChunk(message.source, message.deliveryId, {
      chunk: message.index,
      touched,
      of: message.chunks,
    });
    // Not there to mark (processed already: this chunk was redelivered after the delivery was done).
    if (!progress || progress.chunks.length < message.chunks) return outcomes;
    all = progress.touched;
  }
  const listed = [...new Set(all.filter((t) => t.startsWith(LISTED)).map((t) => t.slice(LISTED.length)))];
  const firing = new Set(all.filter((t) => t.startsWith(FIRING)).map((t) => t.slice(FIRING.length)));
  const ref = { source: message.source, deliveryId: message.deliveryId };
  const { group } = message;
  if (group)
    await trackGroup(ref, () =>
      trackAlertGroup(
        deps,
        { key: group.key, firing: listed.map((id) => firing.has(id)) },
        listed.map((taskId) => ({ taskId })),
      ),
    );
  await deps.store.markRawProcessed(
    message.source,
    message.deliveryId,
    deps.clock.now().toISOString(),
    listed,
  );
  return outcomes;
}

const LISTED = 'listed:';
const FIRING = 'firing:';

/**
 * A message that failed: why is kept on its delivery's archive (the monitor and `npm run replay` show it). On
 * its last receive (`final`, the queue moves it to its dead-letter queue next) the delivery is moved aside as
 * the re-drive moves a delivery it gave up on, so `npm run replay -- --dead` lists it and the sweeper does not
 * retry what SQS gave up on; the lease the queue's processing held is taken over to do so.
 */
export async function messageFailed(
  deps: Deps,
  message: Pick<IngestMessage, 'source' | 'deliveryId'>,
  error: unknown,
  final: boolean,
): Promise<void> {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const { source, deliveryId } = message;
  if (!final) {
    await deps.store.queuedChunk(source, deliveryId, { error: text });
    return;
  }
  const now = deps.clock.now();
  const token = deps.newId();
  const held = await deps.store.claimRaw(
    source,
    deliveryId,
    token,
    new Date(now.getTime() + QUEUE_LEASE_MS + 1).toISOString(),
    new Date(now.getTime() + QUEUE_LEASE_MS).toISOString(),
  );
  if (held) await deps.store.failRaw(source, deliveryId, token, text, now.toISOString());
}

// Archived is accepted: the sweeper processes it within a minute or two. Answering 5xx now would make the
// sender send it again and count it twice.
function deferred(raw: RawEvent, error: unknown): void {
  logger.warn('delivery archived, processing deferred to the sweeper', {
    source: raw.source,
    deliveryId: raw.deliveryId,
    error,
  });
}

async function finish(
  deps: Deps,
  raw: RawEvent,
  received: Received,
  outcomes: readonly IngestOutcome[],
): Promise<void> {
  const { group } = received;
  if (group) await trackGroup(raw, () => trackAlertGroup(deps, group, outcomes));
  await deps.store.markRawProcessed(
    raw.source,
    raw.deliveryId,
    deps.clock.now().toISOString(),
    taskIdsOf(outcomes),
  );
}

/**
 * What a group's notification says of the alerts it no longer lists. Its alerts are recorded whatever happens
 * here: a failure is logged, and the group's next notification compares again.
 */
export async function trackGroup(
  raw: Pick<RawEvent, 'source' | 'deliveryId'>,
  compare: () => Promise<void>,
): Promise<void> {
  try {
    await compare();
  } catch (error) {
    logger.warn('could not compare the notification with its group’s previous one', {
      source: raw.source,
      deliveryId: raw.deliveryId,
      error,
    });
  }
}

interface Processed {
  readonly outcomes: IngestOutcome[];
  /** The index of the first alert not recorded (the number of alerts when all were). */
  readonly next: number;
}

/**
 * Each alert from `from` on with its delivery token, so what it changes says which delivery did (see
 * `deliveryToken`), until `deadline` (of `performance.now()`) has passed: at least one alert is recorded.
 */
async function processAlerts(
  deps: Deps,
  raw: RawEvent,
  alerts: readonly Alert[],
  from: number,
  deadline: number,
): Promise<Processed> {
  const outcomes: IngestOutcome[] = [];
  let index = from;
  for (; index < alerts.length; index++) {
    if (index > from && performance.now() > deadline) break;
    const alert: Alert = { ...(alerts[index] as Alert), receivedAt: raw.receivedAt };
    outcomes.push(
      await ingestAlert(deps, alert, { token: deliveryToken(raw.source, raw.deliveryId, index) }),
    );
  }
  return { outcomes, next: index };
}

/**
 * The alerts of a delivery stamped with when it was received (for a re-driven delivery, when it was first
 * received, as archived): the time they are counted at when their senders' own is not plausible.
 */
export const receivedAt = (alerts: readonly Alert[], at: string): Alert[] =>
  alerts.map((alert) => ({ ...alert, receivedAt: at }));

export { taskIdsOf } from './source.js';
