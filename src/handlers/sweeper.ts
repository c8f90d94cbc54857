import type { ScheduledEvent } from 'aws-lambda';
import { type SweepReport, sweep } from '../jobs/sweeper.js';
import { context } from '../runtime/context.js';

/** The sweeper: on AWS an EventBridge Scheduler target every minute; locally the `TMS_TICK` timer. */
export async function handler(_event?: Partial<ScheduledEvent>): Promise<SweepReport> {
  const deps = context();
  return sweep(deps, deps.clock.now());
}
