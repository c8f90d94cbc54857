/**
 * PLACEHOLDER from the CDK branch (i16/cdk), not the monitor: it exists only so the CDK app, which schedules
 * this entry every five minutes with TMS_DEAD_LETTER_QUEUES, synthesizes and bundles on that branch. The
 * dead-letter helper owns the real file; the lead takes theirs at merge and drops this.
 */
import type { Env } from '../runtime/deps.js';
import type { Secrets } from '../runtime/secrets.js';

export const fromEnvironment = (_env: Env, _secrets: Secrets) =>
  async function handler(): Promise<void> {
    throw new Error('placeholder dead-letter monitor: the real src/handlers/dead-letters.ts replaces this');
  };
