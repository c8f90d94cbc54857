import type { ScheduledEvent } from 'aws-lambda';
import type { Deps } from '../core/use-cases/deps.js';
import { context, logger } from '../runtime/context.js';
import { redriveUnprocessed } from './redrive.js';

/** A job of the per-minute sweep. Each runs on its own: one that fails does not stop the others. */
export interface SweepJob {
  readonly name: string;
  run(deps: Deps, now: Date): Promise<unknown>;
}

/** What the per-minute schedule runs; later features register their jobs here. */
export const SWEEP_JOBS: SweepJob[] = [
  { name: 'redrive-unprocessed-deliveries', run: (deps, now) => redriveUnprocessed(deps, now) },
  {
    name: 'reconcile-cards',
    run: async (_deps, now) => {
      const [{ reconcileCards }, { botContext }] = await Promise.all([
        import('../bot/projector.js'),
        import('../bot/context.js'),
      ]);
      return reconcileCards(botContext(), now);
    },
  },
  {
    name: 'sla-warnings',
    run: async (_deps, now) => {
      const [{ warnSla }, { botContext }] = await Promise.all([
        import('../bot/sla-warnings.js'),
        import('../bot/context.js'),
      ]);
      return warnSla(botContext(), now);
    },
  },
  {
    // Trend episodes the aggregator recorded but could not post.
    name: 'post-trends',
    run: async (_deps, now) => {
      const [{ postTrends }, { botContext }] = await Promise.all([
        import('../bot/trend-posts.js'),
        import('../bot/context.js'),
      ]);
      return postTrends(botContext(), now);
    },
  },
  {
    name: 'digests',
    run: async (_deps, now) => {
      const [{ sendDueDigests }, { botContext }] = await Promise.all([
        import('../bot/reports.js'),
        import('../bot/context.js'),
      ]);
      return sendDueDigests(botContext(), now);
    },
  },
];

export interface SweepReport {
  readonly ran: { name: string; ok: boolean; result?: unknown; error?: string }[];
}

/** The sweeper: on AWS an EventBridge Scheduler target every minute; locally the `TMS_TICK` timer. */
export async function handler(_event?: Partial<ScheduledEvent>): Promise<SweepReport> {
  const deps = context();
  const now = deps.clock.now();
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
