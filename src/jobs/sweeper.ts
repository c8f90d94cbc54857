import type { BotDeps } from '../bot/context.js';
import { resolveSilentGroups, resolveStaleUnreported } from '../core/use-cases/alert-groups.js';
import { logger } from '../runtime/logger.js';
import { remindAcknowledged } from './ack-reminders.js';
import { reconcileCards } from './card-sync.js';
import { sendDueDigests } from './digests.js';
import { sweepHeartbeats } from './heartbeats.js';
import { runMaintenance } from './maintenance.js';
import { announceHandoffs } from './oncall-handoffs.js';
import { redriveUnprocessed } from './redrive.js';
import { runSchedules } from './schedules.js';
import { warnSla } from './sla-warnings.js';
import { postTrends } from './trend-posts.js';

/** A job of the per-minute sweep. Each runs on its own: one that fails does not stop the others. */
export interface SweepJob {
  readonly name: string;
  run(deps: BotDeps, now: Date): Promise<unknown>;
}

/**
 * What the per-minute schedule runs; later features register their jobs here. Every sweep runs all of them,
 * so they are imported with the sweeper rather than on first use.
 */
export const SWEEP_JOBS: SweepJob[] = [
  // Chores, reminders and webhooks that are due (issue 18), and the config's schedules brought into the store.
  // First: they are due at a minute people chose, and their time budget (src/jobs/schedules.ts) is the sweep's.
  { name: 'schedules', run: (deps, now) => runSchedules(deps, now) },
  { name: 'redrive-unprocessed-deliveries', run: (deps, now) => redriveUnprocessed(deps, now) },
  { name: 'reconcile-cards', run: (deps, now) => reconcileCards(deps, now) },
  { name: 'sla-warnings', run: (deps, now) => warnSla(deps, now) },
  // Trend episodes the aggregator recorded but could not post.
  { name: 'post-trends', run: (deps, now) => postTrends(deps, now) },
  { name: 'digests', run: (deps, now) => sendDueDigests(deps, now) },
  // Alertmanager alerts no longer reported for `sources.alertmanager.staleAfter` (silenced, inhibited, ended).
  { name: 'resolve-unreported-alerts', run: (deps, now) => resolveStaleUnreported(deps, now) },
  // Alertmanager groups not notified for `staleAfter` (grouping: group; the whole group muted).
  { name: 'resolve-silent-groups', run: (deps, now) => resolveSilentGroups(deps, now) },
  // Maintenance windows (issue 18): the config's made, and what an ended occurrence held released.
  { name: 'maintenance-windows', run: (deps, now) => runMaintenance(deps, now) },
  // Heartbeats later than every + grace open their task; a resolve a ping left owed is sent.
  { name: 'heartbeats', run: (deps, now) => sweepHeartbeats(deps, now) },
  // Who is on call changed (issue 19): the team channel told, with the open tasks; the team's user group set.
  { name: 'oncall-handoffs', run: (deps, now) => announceHandoffs(deps, now) },
  // Acknowledged tasks with no progress for `escalation.remindAfter` remind their assignee, once (issue 19).
  { name: 'ack-reminders', run: (deps, now) => remindAcknowledged(deps, now) },
];

export interface SweepReport {
  readonly ran: { name: string; ok: boolean; result?: unknown; error?: string }[];
}

/** One sweep: every job once, each on its own, so one that fails does not stop the others. */
export async function sweep(deps: BotDeps, now: Date): Promise<SweepReport> {
  const ran: SweepReport['ran'] = [];
  for (const job of SWEEP_JOBS) {
    try {
      ran.push({ name: job.name, ok: true, result: await job.run(deps, now) });
    } catch (error) {
      logger.error('sweep job failed', { job: job.name, error });
      ran.push({ name: job.name, ok: false, error: (error as Error).message });
    }
  }
  return { ran };
}
