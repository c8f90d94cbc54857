import { Alert } from '../core/alert.js';
import { TransientError } from '../core/errors.js';
import { type DeliveryInbox, deliveryToken, type RawEvent, type RawRef, rawOrder } from '../core/ports.js';
import { trackAlertGroup } from '../core/use-cases/alert-groups.js';
import type { Deps } from '../core/use-cases/deps.js';
import { type IngestOutcome, ingestAlert } from '../core/use-cases/ingest-alert.js';
import { PROCESSING_LEASE_MS, receivedAt, SOURCES, taskIdsOf, trackGroup } from '../ingest/pipeline.js';
import { type AlertQueue, QUEUE_LEASE_MS, splitDelivery } from '../ingest/queue.js';
import { logger } from '../runtime/logger.js';

/** Deliveries younger than this may still be in flight in their own request (which holds them that long). */
export const GRACE_MS = PROCESSING_LEASE_MS;
/** How long a re-drive holds a delivery: no other run (the sweeper, `npm run replay`) takes it meanwhile. */
export const LEASE_MS = 2 * 60_000;
/** Attempts (its own request included) after which a delivery is moved aside and an operator told. */
export const DELIVERY_ATTEMPTS = 5;
/**
 * The same when every failure was the store's (throttled, unavailable: a TransientError): a delivery is not
 * given up on for a five-minute outage, but not retried forever either.
 */
export const TRANSIENT_ATTEMPTS = 30;

export interface RedriveOptions {
  /** At most this many deliveries processed in one go. */
  readonly limit?: number;
  /** Only deliveries received at or after this time (ISO 8601). */
  readonly since?: string;
  /** Only this source's deliveries. */
  readonly source?: string;
  /** How long a delivery is left to its own request first. */
  readonly graceMs?: number;
  /** List what would be processed, and process nothing. */
  readonly dryRun?: boolean;
  /** The dead deliveries too: put back in the pending list (attempts from zero), then processed. */
  readonly dead?: boolean;
  /**
   * Leases that end before this time (ISO 8601) are taken as given up: their holder is known to be dead (the
   * local stack restarted on a kept store knows its previous process is). Otherwise only expired leases are.
   */
  readonly leasesEndingBefore?: string;
  /**
   * The ingest queue, when there is one: a delivery is then sent to it again (its messages marked re-driven,
   * so they count nothing twice) and held as long as the queue may retry it, rather than processed here.
   */
  readonly queue?: AlertQueue;
}

interface Done {
  source: string;
  deliveryId: string;
  receivedAt: string;
  taskIds: string[];
}

export interface RedriveReport {
  readonly processed: Done[];
  readonly failed: number;
  /** Deliveries given up on in this run (an operator's task says so). */
  readonly dead: { source: string; deliveryId: string; error: string }[];
}

/**
 * Processes what was archived but not processed (a crash, a fault after the archive), so senders that never
 * retry lose nothing; the sweeper runs it every minute and `npm run replay` on demand. Each delivery is taken
 * under a lease (a conditional write that also re-reads it consistently, as the index may lag), so two runs
 * never process one delivery at once, and marked processed once it is. One that fails `DELIVERY_ATTEMPTS`
 * times is moved aside, dead, and a TMS task tells an operator. Archived deliveries were verified on arrival,
 * so they are not verified again.
 */
export async function redrive(deps: Deps, now: Date, options: RedriveOptions = {}): Promise<RedriveReport> {
  const limit = options.limit ?? 50;
  const before = new Date(now.getTime() - (options.graceMs ?? GRACE_MS)).toISOString();
  const start = options.since ? `${options.since}#` : undefined;
  const wanted = (ref: RawRef) => !options.source || ref.source === options.source;
  if (options.dead && !options.dryRun) await revive(deps, start, limit, wanted);
  let cursor = start;
  const processed: Done[] = [];
  const failures: { raw: RawEvent; token: string; error: string }[] = [];
  let failed = 0;
  while (processed.length < limit) {
    const page = await deps.store.unprocessedRaw(before, Math.min(100, limit * 2), cursor);
    if (page.length === 0) break;
    for (const ref of page) {
      cursor = rawOrder(ref);
      if (!wanted(ref) || processed.length >= limit) continue;
      if (options.dryRun) {
        processed.push({ ...refOf(ref), taskIds: [] });
        continue;
      }
      const token = deps.newId();
      const raw = await deps.store.claimRaw(
        ref.source,
        ref.deliveryId,
        token,
        options.leasesEndingBefore && options.leasesEndingBefore > now.toISOString()
          ? options.leasesEndingBefore
          : now.toISOString(),
        new Date(now.getTime() + (options.queue ? QUEUE_LEASE_MS : LEASE_MS)).toISOString(),
      );
      if (!raw) continue; // processed meanwhile, or another run holds it
      const outcome = options.queue
        ? await requeue(deps, raw, options.queue)
        : await processDelivery(deps, raw);
      if ('taskIds' in outcome) processed.push({ ...refOf(raw), taskIds: outcome.taskIds });
      else {
        failed++;
        const bound = outcome.transient ? TRANSIENT_ATTEMPTS : DELIVERY_ATTEMPTS;
        if ((raw.attempts ?? 1) >= bound) failures.push({ raw, token, error: outcome.error });
        else await deps.store.failRaw(raw.source, raw.deliveryId, token, outcome.error);
      }
    }
  }
  const dead = await moveAside(deps, failures);
  return { processed, failed, dead };
}

/** The sweeper's job: how many deliveries it processed (or, with the ingest queue, sent to it again). */
export async function redriveUnprocessed(
  deps: Deps & { readonly ingestQueue?: AlertQueue },
  now: Date,
  limit = 50,
): Promise<number> {
  const queue = deps.ingestQueue;
  return (await redrive(deps, now, { limit, ...(queue ? { queue } : {}) })).processed.length;
}

const refOf = (ref: RawRef) => ({
  source: ref.source,
  deliveryId: ref.deliveryId,
  receivedAt: ref.receivedAt,
});

async function revive(
  deps: Deps<DeliveryInbox>,
  start: string | undefined,
  limit: number,
  wanted: (ref: RawRef) => boolean,
): Promise<void> {
  let cursor = start;
  for (let revived = 0; revived < limit; ) {
    const page = await deps.store.deadRaw(100, cursor);
    if (page.length === 0) return;
    for (const ref of page) {
      cursor = rawOrder(ref);
      if (wanted(ref) && revived < limit && (await deps.store.reviveRaw(ref.source, ref.deliveryId)))
        revived++;
    }
  }
}

/**
 * Deliveries that failed their last attempt: an operator is told first, one task per source (a repeat while
 * it is open counts on it), then they are marked dead. Should telling fail, they stay pending and the next run
 * tries again: never dropped in silence.
 */
async function moveAside(
  deps: Deps,
  failures: readonly { raw: RawEvent; token: string; error: string }[],
): Promise<RedriveReport['dead']> {
  const dead: RedriveReport['dead'] = [];
  const bySource = new Map<string, (typeof failures)[number][]>();
  for (const f of failures) bySource.set(f.raw.source, [...(bySource.get(f.raw.source) ?? []), f]);
  for (const [source, group] of bySource) {
    const at = deps.clock.now().toISOString();
    try {
      await ingestAlert(deps, deadAlert(source, group, at));
    } catch (error) {
      logger.error('could not tell an operator about dead deliveries; they stay pending', { source, error });
      for (const f of group) await deps.store.failRaw(f.raw.source, f.raw.deliveryId, f.token, f.error);
      continue;
    }
    for (const f of group) {
      if (await deps.store.failRaw(f.raw.source, f.raw.deliveryId, f.token, f.error, at))
        dead.push({ source, deliveryId: f.raw.deliveryId, error: f.error });
    }
  }
  return dead;
}

/** The synthetic alert of source `tms` that opens (once per source while open) the operator's task. */
function deadAlert(source: string, group: readonly { raw: RawEvent; error: string }[], at: string): Alert {
  const n = group.length;
  const first = group[0]?.error ?? 'unknown error';
  const ids = group
    .slice(0, 20)
    .map((f) => `• ${f.raw.deliveryId.slice(0, 120)} (received ${f.raw.receivedAt})`);
  const title = `${n} deliver${n === 1 ? 'y' : 'ies'} from ${source} could not be processed: ${first}`;
  return Alert.parse({
    source: 'tms',
    action: 'trigger',
    fingerprint: `tms:dead-deliveries:${source}`.slice(0, 512),
    title: title.length > 300 ? `${title.slice(0, 299)}…` : title,
    description: [
      'After repeated attempts these deliveries were moved aside (kept 7 days from receipt):',
      ...ids,
      ...(n > ids.length ? [`…and ${n - ids.length} more`] : []),
      `First error: ${first}`,
      'Once the cause is fixed, replay them with `npm run replay -- --dead`.',
    ]
      .join('\n')
      .slice(0, 4000),
    severity: 'error',
    labels: { source },
    occurredAt: at,
    summary: title.slice(0, 300),
  });
}

/**
 * One archived delivery sent to the ingest queue again: its processor records it (as a redelivery) and marks
 * it processed. No task is known yet. One that no longer parses is marked processed, as `processDelivery` does.
 */
async function requeue(
  deps: Deps,
  raw: RawEvent,
  queue: AlertQueue,
): Promise<{ taskIds: string[] } | { error: string; transient: boolean }> {
  try {
    const received = await SOURCES[raw.source]?.receive(
      { headers: raw.headers, query: {}, body: raw.body, receivedAt: new Date(raw.receivedAt) },
      { ingestToken: '' },
      { verify: false, config: deps.config },
    );
    if (received?.ok && received.value.alerts.length > 0) {
      const delivery = { source: raw.source, deliveryId: raw.deliveryId, receivedAt: raw.receivedAt };
      const messages = splitDelivery(delivery, received.value.alerts, received.value.group);
      await queue.send(messages.map((message) => ({ ...message, redriven: true as const })));
      return { taskIds: [] };
    }
  } catch (error) {
    return failed('sending an archived delivery to the ingest queue again failed', raw, error);
  }
  // Nothing to send: done as `processDelivery` is with it.
  return processDelivery(deps, raw);
}

/**
 * One archived delivery: its alerts recorded, then marked processed. A delivery that was attempted before may
 * have been counted in part by a run that died: each alert is then looked for on its tasks before it is counted.
 */
async function processDelivery(
  deps: Deps,
  raw: RawEvent,
): Promise<{ taskIds: string[] } | { error: string; transient: boolean }> {
  const source = SOURCES[raw.source];
  const taskIds: string[] = [];
  try {
    const received = await source?.receive(
      { headers: raw.headers, query: {}, body: raw.body, receivedAt: new Date(raw.receivedAt) },
      { ingestToken: '' },
      { verify: false, config: deps.config },
    );
    if (received?.ok) {
      // Attempted before: by a run that died (its attempts counted), or one that failed (its error kept; a
      // replay of a dead delivery starts its attempts from zero, and the queue may have recorded all its
      // chunks but one before the last went to the dead-letter queue).
      const attempted = (raw.attempts ?? 1) > 1 || raw.lastError !== undefined;
      const redriven = attempted ? raw.receivedAt : undefined;
      const outcomes: IngestOutcome[] = [];
      for (const [index, alert] of receivedAt(received.value.alerts, raw.receivedAt).entries()) {
        const token = deliveryToken(raw.source, raw.deliveryId, index);
        const outcome = await ingestAlert(deps, alert, { token, ...(redriven ? { redriven } : {}) });
        outcomes.push(outcome);
        taskIds.push(...taskIdsOf([outcome]));
      }
      const { group } = received.value;
      if (group) await trackGroup(raw, () => trackAlertGroup(deps, group, outcomes));
    } else {
      logger.warn('archived delivery no longer parses; marking it processed', {
        source: raw.source,
        deliveryId: raw.deliveryId,
      });
    }
  } catch (error) {
    // Left pending for the next run (or moved aside after too many); the others go on.
    return failed('re-driving an archived delivery failed', raw, error);
  }
  const ids = [...new Set(taskIds)];
  await deps.store.markRawProcessed(raw.source, raw.deliveryId, deps.clock.now().toISOString(), ids);
  return { taskIds: ids };
}

/** Why a delivery's re-drive failed, logged, and kept on it: transient (retried as is) or not. */
function failed(message: string, raw: RawEvent, error: unknown): { error: string; transient: boolean } {
  logger.error(message, { source: raw.source, deliveryId: raw.deliveryId, attempts: raw.attempts, error });
  return {
    error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    transient: error instanceof TransientError,
  };
}
