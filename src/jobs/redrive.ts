import { type RawEvent, rawOrder } from '../core/ports.js';
import type { Deps } from '../core/use-cases/deps.js';
import { ingestAlert } from '../core/use-cases/ingest-alert.js';
import { SOURCES, taskIdsOf } from '../ingest/pipeline.js';
import { logger } from '../runtime/context.js';

/** Deliveries younger than this may still be in flight in their own request. */
export const GRACE_MS = 60_000;

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
}

export interface RedriveReport {
  readonly processed: { source: string; deliveryId: string; receivedAt: string; taskIds: string[] }[];
  readonly failed: number;
}

/**
 * Processes what was archived but not processed (a crash, a fault after the archive), so senders that never
 * retry lose nothing; the sweeper runs it every minute and `npm run replay` on demand. Idempotent: a delivery
 * is marked processed once it is, and is never processed twice. Archived deliveries were verified on arrival,
 * so they are not verified again.
 */
export async function redrive(deps: Deps, now: Date, options: RedriveOptions = {}): Promise<RedriveReport> {
  const limit = options.limit ?? 50;
  const before = new Date(now.getTime() - (options.graceMs ?? GRACE_MS)).toISOString();
  let cursor = options.since ? `${options.since}#` : undefined;
  const processed: RedriveReport['processed'] = [];
  let failed = 0;
  while (processed.length < limit) {
    const page = await deps.store.unprocessedRaw(before, Math.min(100, limit * 2), cursor);
    if (page.length === 0) break;
    for (const raw of page) {
      cursor = rawOrder(raw);
      if ((options.source && raw.source !== options.source) || processed.length >= limit) continue;
      if (options.dryRun) {
        processed.push({
          source: raw.source,
          deliveryId: raw.deliveryId,
          receivedAt: raw.receivedAt,
          taskIds: [],
        });
        continue;
      }
      const taskIds = await processDelivery(deps, raw);
      if (taskIds === undefined) failed++;
      else
        processed.push({
          source: raw.source,
          deliveryId: raw.deliveryId,
          receivedAt: raw.receivedAt,
          taskIds,
        });
    }
  }
  return { processed, failed };
}

/** The sweeper's job: how many deliveries it processed. */
export async function redriveUnprocessed(deps: Deps, now: Date, limit = 50): Promise<number> {
  return (await redrive(deps, now, { limit })).processed.length;
}

/** One archived delivery: its alerts recorded, then marked processed. Undefined when it failed (left pending). */
async function processDelivery(deps: Deps, raw: RawEvent): Promise<string[] | undefined> {
  const source = SOURCES[raw.source];
  const received = await source?.receive(
    { headers: raw.headers, query: {}, body: raw.body, receivedAt: new Date(raw.receivedAt) },
    { ingestToken: '' },
    { verify: false, config: deps.config },
  );
  const taskIds: string[] = [];
  if (received?.ok) {
    try {
      for (const alert of received.value.alerts) taskIds.push(...taskIdsOf([await ingestAlert(deps, alert)]));
    } catch (error) {
      // Left pending for the next run; the others go on.
      logger.error('re-driving an archived delivery failed', {
        source: raw.source,
        deliveryId: raw.deliveryId,
        error,
      });
      return undefined;
    }
  } else {
    logger.warn('archived delivery no longer parses; marking it processed', {
      source: raw.source,
      deliveryId: raw.deliveryId,
    });
  }
  await deps.store.markRawProcessed(raw.source, raw.deliveryId, deps.clock.now().toISOString(), [
    ...new Set(taskIds),
  ]);
  return [...new Set(taskIds)];
}
