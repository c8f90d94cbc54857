import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { projectCards } from '../jobs/card-stream.js';
import { buildDeps, type Env } from '../runtime/deps.js';
import type { Secrets } from '../runtime/secrets.js';
import { type SlackHouseDeps, withSlack } from '../runtime/slack-deps.js';

/** The cards' stream consumer: each changed task's Slack card is brought up to date. */
export const makeCardsStreamHandler = (deps: SlackHouseDeps) =>
  function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
    return projectCards(deps, event);
  };

/** The Lambda's handler, built once per container from its environment (src/runtime/lambda-entry.ts). */
export const fromEnvironment = (env: Env, secrets: Secrets) =>
  makeCardsStreamHandler(withSlack(buildDeps(env, { secrets })));
