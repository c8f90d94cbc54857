import type { ScheduledEvent } from 'aws-lambda';
import { type SweepReport, sweep } from '../jobs/sweeper.js';
import { buildDeps, type Env } from '../runtime/deps.js';
import type { Secrets } from '../runtime/secrets.js';
import { type SlackHouseDeps, withSlack } from '../runtime/slack-deps.js';

/** The per-minute schedule (EventBridge Scheduler on AWS, the tick locally): every sweep job once. */
export const makeSweeperHandler = (deps: SlackHouseDeps) =>
  async function handler(_event?: Partial<ScheduledEvent>): Promise<SweepReport> {
    return sweep(deps, deps.clock.now());
  };

/** The Lambda's handler, built once per container from its environment (src/runtime/lambda-entry.ts). */
export const fromEnvironment = (env: Env, secrets: Secrets) =>
  makeSweeperHandler(withSlack(buildDeps(env, { secrets })));
