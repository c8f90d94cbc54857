import type { LambdaClient } from '@aws-sdk/client-lambda';
import { logger } from '../runtime/logger.js';

/** Work that need not hold up Slack's 3-second answer. */
export type Job = { readonly kind: 'publish-home'; readonly user: string; readonly notice?: string };

/** The marker of an asynchronous self-invocation, so the bot handler tells it from an HTTP event. */
export const JOB_KEY = 'tmsJob';

export interface Handoff {
  /** Queues the job and returns at once; it runs after Slack has its answer. */
  later(job: Job): Promise<void>;
}

/**
 * On Lambda the response leaves only when the handler returns, so slow work is handed to another invocation
 * of the same function, asynchronously (InvocationType `Event`: Lambda queues it, retries it twice, and
 * sends what still fails to the function's failure destination). This is the "lazy listener" pattern.
 * The Lambda SDK is loaded at the first hand-off, not at the cold start: most requests hand nothing off.
 */
export function lambdaHandoff(functionName: string, client?: LambdaClient): Handoff {
  let sdk: Promise<typeof import('@aws-sdk/client-lambda')> | undefined;
  let made: LambdaClient | undefined = client;
  return {
    async later(job) {
      sdk ??= import('@aws-sdk/client-lambda');
      const { InvokeCommand, LambdaClient } = await sdk;
      made ??= new LambdaClient({});
      await made.send(
        new InvokeCommand({
          FunctionName: functionName,
          InvocationType: 'Event',
          Payload: new TextEncoder().encode(JSON.stringify({ [JOB_KEY]: job })),
        }),
      );
    },
  };
}

/** On one machine the process lives on after answering: the job runs right after the response. */
export function localHandoff(run: (job: Job) => Promise<void>): Handoff & { idle(): Promise<void> } {
  const running = new Set<Promise<void>>();
  return {
    async later(job) {
      const task: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => run(job))
        .catch((error: unknown) => logger.error('deferred job failed', { job, error }))
        .finally(() => running.delete(task));
      running.add(task);
    },
    async idle() {
      while (running.size > 0) await Promise.all(running);
    },
  };
}
