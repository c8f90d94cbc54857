import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { onTaskChange } from '../jobs/escalation.js';
import { buildDeps, type Env } from '../runtime/deps.js';
import { logger } from '../runtime/logger.js';
import type { Secrets } from '../runtime/secrets.js';
import { type SlackHouseDeps, withSlack } from '../runtime/slack-deps.js';

/**
 * Escalation's consumer of the table's stream (issue 19): a task that escalates starts its execution as it
 * opens; acknowledged, resolved or deleted, its execution is stopped and the people it notified are told.
 * A record that failed (Step Functions or Slack unreachable) is reported alone and retried.
 */
export const makeEscalationsStreamHandler = (deps: SlackHouseDeps) => {
  const { escalator } = deps;
  return async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
    if (!escalator) {
      logger.warn('no escalation state machine configured: task changes are not escalated', {
        records: event.Records.length,
      });
      return { batchItemFailures: [] };
    }
    // In order: a task's start and stop in one batch are applied as they happened.
    return processPartialResponse(
      event,
      (record: DynamoDBRecord) => onTaskChange({ ...deps, escalator }, record),
      new BatchProcessor(EventType.DynamoDBStreams),
      { throwOnFullBatchFailure: false },
    );
  };
};

/** The Lambda's handler, built once per container from its environment (src/runtime/lambda-entry.ts). */
export const fromEnvironment = (env: Env, secrets: Secrets) =>
  makeEscalationsStreamHandler(withSlack(buildDeps(env, { secrets })));
