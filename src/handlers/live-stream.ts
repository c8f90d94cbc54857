import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { ApiGatewaySender } from '../adapters/aws/live-sender.js';
import { type LiveDeps, pushChanges } from '../jobs/live.js';
import { buildDeps, type Env } from '../runtime/deps.js';
import type { Secrets } from '../runtime/secrets.js';

/** The live pusher's stream consumer: each changed task to the WebSocket connections (src/jobs/live.ts). */
export const makeLiveStreamHandler = (deps: LiveDeps) =>
  function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
    return pushChanges(deps, event);
  };

/**
 * The Lambda's handler, built once per container from its environment (src/runtime/lambda-entry.ts):
 * `TMS_LIVE_CALLBACK_URL` is the WebSocket stage's connections endpoint.
 */
export const fromEnvironment = (env: Env, secrets: Secrets) =>
  makeLiveStreamHandler({
    ...buildDeps(env, { secrets }),
    sender: new ApiGatewaySender(env.TMS_LIVE_CALLBACK_URL ?? ''),
  });
