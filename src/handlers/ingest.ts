import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { fromError, type HttpResult } from '../http/respond.js';
import { ingest } from '../ingest/pipeline.js';
import { context } from '../runtime/context.js';
import { optionalSecret, secret } from '../runtime/secrets.js';

/** `POST /ingest/{source}`: alert sources deliver here. */
export async function handler(event: APIGatewayProxyEventV2): Promise<HttpResult> {
  try {
    const source = event.pathParameters?.source ?? '';
    return await ingest(context(), source, event, {
      ingestToken: secret('INGEST_TOKEN'),
      // Optional: without it the GitHub route refuses everything, and the other sources still work.
      githubWebhookSecret: optionalSecret('GITHUB_WEBHOOK_SECRET'),
      grafanaWebhookSecret: optionalSecret('GRAFANA_WEBHOOK_SECRET'),
    });
  } catch (error) {
    return fromError(error);
  }
}
