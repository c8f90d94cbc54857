import { runEscalationStep } from '../jobs/escalation.js';
import { buildDeps, type Env } from '../runtime/deps.js';
import type { Secrets } from '../runtime/secrets.js';
import { type SlackHouseDeps, withSlack } from '../runtime/slack-deps.js';

/**
 * The escalation state machine's step function (issue 19): each of its Task states invokes it with the
 * operation it needs (`check`, `step`, `fail`, src/jobs/escalation-machine.ts); the local stack binds the
 * same handler to the same states.
 */
export const makeEscalationStepHandler = (deps: SlackHouseDeps) =>
  function handler(event: unknown): Promise<Record<string, string | number | boolean>> {
    return runEscalationStep(deps, event);
  };

/** The Lambda's handler, built once per container from its environment (src/runtime/lambda-entry.ts). */
export const fromEnvironment = (env: Env, secrets: Secrets) =>
  makeEscalationStepHandler(withSlack(buildDeps(env, { secrets })));
