import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { fromError, type HttpResult } from '../http/respond.js';
import { ingest } from '../ingest/pipeline.js';
import { buildDeps, type Env, type HouseDeps } from '../runtime/deps.js';
import type { Secrets } from '../runtime/secrets.js';

/** `POST /ingest/{source}`: alert sources deliver here. */
export const makeIngestHandler = (deps: HouseDeps) =>
  async function handler(event: APIGatewayProxyEventV2): Promise<HttpResult> {
    try {
      const source = event.pathParameters?.source ?? '';
      return await ingest(deps, source, event, {
        ingestToken: deps.secrets.get('INGEST_TOKEN'),
        // Optional: without it the GitHub route refuses everything, and the other sources still work.
        githubWebhookSecret: deps.secrets.optional('GITHUB_WEBHOOK_SECRET'),
        grafanaWebhookSecret: deps.secrets.optional('GRAFANA_WEBHOOK_SECRET'),
      });
    } catch (error) {
      return fromError(error);
    }
  };

/** The Lambda's handler, built once per container from its environment (src/runtime/lambda-entry.ts). */
export const fromEnvironment = (env: Env, secrets: Secrets) => makeIngestHandler(buildDeps(env, { secrets }));
