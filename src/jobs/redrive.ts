import type { Deps } from '../core/use-cases/deps.js';
import { ingestAlert } from '../core/use-cases/ingest-alert.js';
import { SOURCES, taskIdsOf } from '../ingest/pipeline.js';
import { logger } from '../runtime/context.js';

/** Deliveries younger than this may still be in flight in their own request. */
const GRACE_MS = 60_000;

/**
 * Processes what was archived but not processed (a crash, a fault after the archive), so senders that never
 * retry lose nothing. Archived deliveries were verified on arrival, so they are not verified again.
 */
export async function redriveUnprocessed(deps: Deps, now: Date, limit = 50): Promise<number> {
  const pending = await deps.store.unprocessedRaw(new Date(now.getTime() - GRACE_MS).toISOString(), limit);
  let done = 0;
  for (const raw of pending) {
    const source = SOURCES[raw.source];
    if (!source) continue;
    const received = source.receive(
      { headers: raw.headers, query: {}, body: raw.body, receivedAt: new Date(raw.receivedAt) },
      { ingestToken: '' },
      { verify: false },
    );
    const taskIds: string[] = [];
    if (received.ok) {
      try {
        for (const alert of received.value.alerts)
          taskIds.push(...taskIdsOf([await ingestAlert(deps, alert)]));
      } catch (error) {
        // Left pending for the next sweep; the others in this batch go on.
        logger.error('re-driving an archived delivery failed', {
          source: raw.source,
          deliveryId: raw.deliveryId,
          error,
        });
        continue;
      }
    } else {
      logger.warn('archived delivery no longer parses; marking it processed', {
        source: raw.source,
        deliveryId: raw.deliveryId,
      });
    }
    await deps.store.markRawProcessed(raw.source, raw.deliveryId, deps.clock.now().toISOString(), taskIds);
    done++;
  }
  return done;
}
