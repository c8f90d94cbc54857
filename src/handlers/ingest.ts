import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { fromError, type HttpResult } from '../http/respond.js';
import { heartbeatPing } from '../ingest/heartbeat.js';
import { ANSWER_BUDGET_MS, type ContinueLater, ingest } from '../ingest/pipeline.js';
import { buildDeps, type Env, type HouseDeps } from '../runtime/deps.js';
import { logger } from '../runtime/logger.js';
import type { Secrets } from '../runtime/secrets.js';

/**
 * What a delivery's request records after its answer: on one machine the process lives on, so it runs right
 * after; on Lambda nothing runs after the handler returns, so the rest is left to the sweeper's re-drive.
 */
function continuations(onLambda: boolean): { continueLater?: ContinueLater; idle(): Promise<void> } {
  if (onLambda) return { idle: async () => {} };
  const running = new Set<Promise<void>>();
  return {
    continueLater(work) {
      const task: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
        .then(work)
        .catch((error: unknown) => logger.error('recording the rest of a delivery failed', { error }))
        .finally(() => running.delete(task));
      running.add(task);
    },
    async idle() {
      while (running.size > 0) await Promise.all(running);
    },
  };
}

const HEARTBEAT_ROUTE = 'POST /ingest/heartbeat/{name}';

/**
 * `POST /ingest/{source}`: alert sources deliver here (heartbeats' pings too, `POST /ingest/heartbeat/{name}`).
 * With an ingest queue (on AWS `TMS_INGEST_QUEUE_URL`, the
 * local stack's own) a new delivery is archived, sent to the queue and answered: on AWS the answer names no task
 * of it (nothing can wait for the processor), locally it waits up to ANSWER_BUDGET_MS for the processor in the
 * same process, so a small delivery's `{"taskIds":[…]}` still names its tasks. `idle()`: what it does after
 * answering (a repeated group's comparison; without a queue, the rest of a large delivery) is done.
 */
export const makeIngestHandler = (deps: HouseDeps) => {
  const later = continuations(deps.functionName !== undefined);
  const handler = async function handler(event: APIGatewayProxyEventV2): Promise<HttpResult> {
    try {
      // A heartbeat's ping (src/ingest/heartbeat.ts): the same token, no delivery to archive.
      if (event.routeKey === HEARTBEAT_ROUTE)
        return await heartbeatPing(deps, event, deps.secrets.get('INGEST_TOKEN'));
      const source = event.pathParameters?.source ?? '';
      return await ingest(
        deps,
        source,
        event,
        {
          ingestToken: deps.secrets.get('INGEST_TOKEN'),
          // Optional: without it the GitHub route refuses everything, and the other sources still work.
          githubWebhookSecret: deps.secrets.optional('GITHUB_WEBHOOK_SECRET'),
          grafanaWebhookSecret: deps.secrets.optional('GRAFANA_WEBHOOK_SECRET'),
        },
        {
          ...(later.continueLater ? { continueLater: later.continueLater } : { budgetMs: ANSWER_BUDGET_MS }),
          ...(deps.ingestQueue ? { queue: deps.ingestQueue } : {}),
        },
      );
    } catch (error) {
      return fromError(error);
    }
  };
  return Object.assign(handler, { idle: () => later.idle() });
};

/** The Lambda's handler, built once per container from its environment (src/runtime/lambda-entry.ts). */
export const fromEnvironment = (env: Env, secrets: Secrets) => makeIngestHandler(buildDeps(env, { secrets }));
