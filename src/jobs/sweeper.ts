import type { BotDeps } from '../bot/context.js';
import { logger } from '../runtime/logger.js';
import { redriveUnprocessed } from './redrive.js';

/** A job of the per-minute sweep. Each runs on its own: one that fails does not stop the others. */
export interface SweepJob {
  readonly name: string;
  run(deps: BotDeps, now: Date): Promise<unknown>;
}

/** A job of the Slack surface: its module is loaded on first use, as its Lambda would. */
function slackJob<M>(
  name: string,
  load: () => Promise<M>,
  run: (module: M, deps: BotDeps, now: Date) => Promise<unknown>,
): SweepJob {
  return { name, run: async (deps, now) => run(await load(), deps, now) };
}

/** What the per-minute schedule runs; later features register their jobs here. */
export const SWEEP_JOBS: SweepJob[] = [
  { name: 'redrive-unprocessed-deliveries', run: (deps, now) => redriveUnprocessed(deps, now) },
  slackJob(
    'reconcile-cards',
    () => import('./card-sync.js'),
    (m, deps, now) => m.reconcileCards(deps, now),
  ),
  slackJob(
    'sla-warnings',
    () => import('./sla-warnings.js'),
    (m, deps, now) => m.warnSla(deps, now),
  ),
  // Trend episodes the aggregator recorded but could not post.
  slackJob(
    'post-trends',
    () => import('./trend-posts.js'),
    (m, deps, now) => m.postTrends(deps, now),
  ),
  slackJob(
    'digests',
    () => import('./digests.js'),
    (m, deps, now) => m.sendDueDigests(deps, now),
  ),
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
