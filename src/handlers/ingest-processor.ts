/**
 * PLACEHOLDER from the CDK branch (i16/cdk), not the processor: it exists only so the CDK app, which wires
 * this entry to the ingest queue, synthesizes and bundles on that branch. The queue helper owns the real
 * file (Powertools BatchProcessor, partial batch responses); the lead takes theirs at merge and drops this.
 * Were it ever deployed, it would fail every message, which SQS retries and then dead-letters: nothing lost.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Env } from '../runtime/deps.js';
import type { Secrets } from '../runtime/secrets.js';

export const fromEnvironment = (_env: Env, _secrets: Secrets) =>
  async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
    return { batchItemFailures: event.Records.map((record) => ({ itemIdentifier: record.messageId })) };
  };
