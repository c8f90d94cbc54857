import { createHash } from 'node:crypto';
import type { BotDeps } from '../bot/context.js';
import {
  configWindowId,
  endedOccurrences,
  type MaintenanceWindow,
  newWindow,
  type Occurrence,
  releasedAlert,
  windowOfEntry,
} from '../core/maintenance.js';
import type { HeldAlert, MaintenanceStore } from '../core/ports.js';
import { ingestAlert } from '../core/use-cases/ingest-alert.js';
import { logger } from '../runtime/logger.js';
import { once } from './once.js';

/** How far back a sweep looks for occurrences that ended unreleased (TMS down for a weekend is caught up). */
const LOOKBACK_MS = 3 * 86_400_000;
/** A release's marker is kept this long: past any sweep that could try it again. */
const MARKER_KEEP_MS = 7 * 86_400_000;

export interface MaintenanceReport {
  readonly created: number;
  readonly lifted: number;
  readonly released: number;
  readonly notFiring: number;
}

/**
 * The per-minute maintenance work: the config's `maintenance:` entries made windows (an entry's id is a hash of
 * it, so an edit is a new window and the old one is lifted), then, for each occurrence that ended, its held
 * alerts still firing ingested once (their tasks open now) and the rest marked released.
 */
export async function runMaintenance(deps: BotDeps, now: Date): Promise<MaintenanceReport> {
  const store = deps.windows;
  if (!store) return { created: 0, lifted: 0, released: 0, notFiring: 0 };
  const synced = await syncConfigWindows(deps, store, now);
  let released = 0;
  let notFiring = 0;
  for (const window of synced.windows) {
    const since = new Date(
      Math.max(now.getTime() - LOOKBACK_MS, window.releasedThrough ? Date.parse(window.releasedThrough) : 0),
    );
    for (const occurrence of endedOccurrences(window, since, now)) {
      const outcome = await releaseOccurrence(deps, store, window, occurrence);
      released += outcome.released;
      notFiring += outcome.notFiring;
      if (!outcome.whole) break; // another sweep holds one of its alerts: the next sweep finishes it
      await store.markReleasedThrough(window.id, occurrence.end.toISOString());
    }
  }
  return { created: synced.created, lifted: synced.lifted, released, notFiring };
}

/** Makes the windows the config names and lifts those it no longer does; the windows as they are then. */
async function syncConfigWindows(
  deps: BotDeps,
  store: MaintenanceStore,
  now: Date,
): Promise<{ windows: MaintenanceWindow[]; created: number; lifted: number }> {
  const listed = await store.listWindows();
  const wanted = new Map<string, MaintenanceWindow>();
  for (const entry of deps.config.maintenance) {
    const id = configWindowId(entry);
    const request = windowOfEntry(entry);
    if (!request.ok) {
      logger.warn('maintenance entry not made a window', { id, error: request.error });
      continue;
    }
    wanted.set(id, newWindow(request.value, { id, createdBy: 'config', createdAt: now, origin: 'config' }));
  }
  const known = new Set(listed.map((w) => w.id));
  let created = 0;
  let lifted = 0;
  const windows = [...listed];
  for (const [id, window] of wanted) {
    if (known.has(id)) continue;
    if (await store.createWindow(window)) created++;
    windows.push(window);
  }
  for (const window of listed) {
    if (window.origin !== 'config' || window.liftedAt || wanted.has(window.id)) continue;
    // Removed from the config (or edited: a new id): it ends now, and what it held is released next.
    if (await store.liftWindow(window.id, 'config', now.toISOString())) lifted++;
  }
  return { windows: lifted > 0 ? await store.listWindows() : windows, created, lifted };
}

/**
 * Each alert the occurrence held, once: still firing, it is ingested (its task opens, saying it was held);
 * else only marked released. A release is taken under a marker (`once`), so two sweeps at once release it once;
 * one that dies between the ingest and the mark leaves a marker that lapses, and the next sweep's ingest, under
 * the same delivery token, finds the change it made (`redriven`) instead of making another.
 */
async function releaseOccurrence(
  deps: BotDeps,
  store: MaintenanceStore,
  window: MaintenanceWindow,
  occurrence: Occurrence,
): Promise<{ released: number; notFiring: number; whole: boolean }> {
  const start = occurrence.start.toISOString();
  let released = 0;
  let notFiring = 0;
  let whole = true;
  for (const held of await store.heldAlerts(window.id, start)) {
    if (held.releasedAt) continue;
    const at = deps.clock.now().toISOString();
    if (!held.firing) {
      if (await store.markReleased(window.id, start, held.fingerprint, at)) notFiring++;
      continue;
    }
    const key = releaseKey(held);
    const expires = new Date(deps.clock.now().getTime() + MARKER_KEEP_MS).toISOString();
    const ran = await once(deps, 'maintenance-release', key, expires, async () => {
      const outcome = await ingestAlert(deps, releasedAlert(held, window, occurrence), {
        token: `maintenance:${key}`,
        redriven: occurrence.end.toISOString(),
      });
      await store.markReleased(window.id, start, held.fingerprint, at, outcome.taskId ?? undefined);
    });
    if (ran === 'done') released++;
    else whole = false;
  }
  return { released, notFiring, whole };
}

/** One held alert's marker key: the window, the occurrence and the fingerprint, hashed to a short key. */
const releaseKey = (held: HeldAlert): string =>
  createHash('sha256')
    .update(`${held.windowId}\n${held.occurrenceStart}\n${held.fingerprint}`)
    .digest('hex')
    .slice(0, 32);
