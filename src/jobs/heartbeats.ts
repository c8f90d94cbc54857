import type { BotDeps } from '../bot/context.js';
import type { HeartbeatConfig } from '../core/config.js';
import { lateTask } from '../core/heartbeat.js';
import type { HeartbeatRecord, HeartbeatStore } from '../core/ports.js';
import { HELD_BY_WINDOW, ingestAlert } from '../core/use-cases/ingest-alert.js';
import { backAlert, lateAlert, stateOf } from '../ingest/heartbeat.js';
import { logger } from '../runtime/logger.js';

export interface HeartbeatSweep {
  readonly watched: number;
  /** Heartbeats whose late task this sweep opened (or found open and marked). */
  readonly late: string[];
  /** Heartbeats whose late task this sweep resolved (a ping's resolve left to it, or a heartbeat removed). */
  readonly resolved: string[];
  readonly failed: string[];
}

const sameDefinition = (stored: HeartbeatRecord, name: string, beat: HeartbeatConfig) =>
  stored.origin === 'config' &&
  stored.name === name &&
  stored.everyMs === beat.everyMs &&
  stored.graceMs === beat.graceMs &&
  stored.service === beat.service &&
  stored.priority === beat.priority;

/**
 * The per-minute look at heartbeats: the config's put into the store (and those it no longer names taken out),
 * then each heartbeat settled. One query a minute and writes only for what changed. Safe to run twice at once,
 * or to die at any instant: every step is either deduplicated (the alert by its fingerprint and occurrence) or
 * conditional (the marks), and what a dead run left undone the next one finds undone.
 */
export async function sweepHeartbeats(deps: BotDeps, now: Date): Promise<HeartbeatSweep> {
  const store = deps.heartbeats;
  const report: HeartbeatSweep = { watched: 0, late: [], resolved: [], failed: [] };
  if (!store) return report;
  const beats = await syncConfig(deps, store, now, report);
  for (const beat of beats) {
    try {
      await settle(deps, store, beat, now, report);
    } catch (error) {
      // One heartbeat that fails (a store fault) does not keep the others from being looked at.
      logger.error('could not settle a heartbeat; the next sweep tries again', {
        heartbeat: beat.name,
        error,
      });
      report.failed.push(beat.name);
    }
  }
  return { ...report, watched: beats.length };
}

async function syncConfig(
  deps: BotDeps,
  store: HeartbeatStore,
  now: Date,
  report: HeartbeatSweep,
): Promise<HeartbeatRecord[]> {
  const stored = await store.listHeartbeats();
  const configured = deps.config.heartbeats;
  const kept: HeartbeatRecord[] = [];
  for (const beat of stored) {
    if (beat.origin !== 'config' || Object.hasOwn(configured, beat.name)) {
      kept.push(beat);
      continue;
    }
    // Taken out of the config: its late task, if any, is resolved before the heartbeat goes (a crash in between
    // leaves the heartbeat, and the next sweep does both again).
    if (beat.lateSince !== undefined) {
      await ingestAlert(deps, backAlert(beat.name, now, 'removed'));
      report.resolved.push(beat.name);
    }
    await store.removeHeartbeat(beat.name);
  }
  const byName = new Map(kept.map((beat) => [beat.name, beat]));
  let changed = false;
  for (const [name, beat] of Object.entries(configured)) {
    const before = byName.get(name);
    if (before && sameDefinition(before, name, beat)) continue;
    await store.putHeartbeat({
      name,
      everyMs: beat.everyMs,
      graceMs: beat.graceMs,
      ...(beat.service !== undefined ? { service: beat.service } : {}),
      ...(beat.priority !== undefined ? { priority: beat.priority } : {}),
      origin: 'config',
      createdBy: 'config',
      createdAt: now.toISOString(),
    });
    changed = true;
  }
  // As the store keeps them (a redefinition keeps its pings, its lateness and when it was first made): read
  // again only when the config changed something, so an unchanged config costs one query a minute.
  return changed ? store.listHeartbeats() : kept;
}

/**
 * One heartbeat: a resolve a ping left owed is sent first (and its mark taken off); then, if it is late and its
 * task is not open yet, the late alert is sent before the lateness is marked, so a run that dies in between
 * leaves it unmarked and the next run sends it again, which counts as the same occurrence.
 */
async function settle(
  deps: BotDeps,
  store: HeartbeatStore,
  record: HeartbeatRecord,
  now: Date,
  report: HeartbeatSweep,
): Promise<void> {
  let beat = record;
  const task = lateTask(beat);
  if (task === 'open') return;
  if (task === 'owed' && beat.lateSince !== undefined) {
    await ingestAlert(deps, backAlert(beat.name, now, 'pinged'));
    await store.clearLate(beat.name, beat.lateSince);
    report.resolved.push(beat.name);
    const { lateSince: _since, lateFrom: _from, ...rest } = beat;
    beat = rest;
  }
  const state = stateOf(beat, now);
  if (state.state !== 'late') return;
  const outcome = await ingestAlert(deps, lateAlert(beat, now));
  // Held back with no task by a silence: not marked, so it opens once nothing holds it back. Held by a
  // maintenance window: marked, since the window opens its task when it ends (and a ping meanwhile resolves
  // what it held), rather than held again, and counted again, every minute.
  const heldByWindow = outcome.result === 'ignored' && outcome.reason.startsWith(HELD_BY_WINDOW);
  if (outcome.taskId === null && !heldByWindow) return;
  if (await store.markLate(beat.name, state.lateAt.toISOString(), beat.lastPingAt)) {
    report.late.push(beat.name);
    return;
  }
  // Refused: another sweep marked it, or a ping came since this one read it. That ping's resolve may have gone
  // before the task it resolves was opened here: resolve it, unless it is late again and marked so.
  const after = await store.getHeartbeat(beat.name);
  if (after && after.lastPingAt !== beat.lastPingAt && lateTask(after) !== 'open') {
    await ingestAlert(deps, backAlert(beat.name, now, 'pinged'));
    report.resolved.push(beat.name);
  }
}
