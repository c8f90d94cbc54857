/**
 * Captures the golden DynamoDB stream records that test/local/stream-feed.test.ts holds the local feed to.
 * Run once, by hand, where Java is installed (the records are committed):
 *
 *   npx tsx scripts/capture-stream-golden.ts
 *
 * DynamoDB Local comes from ./dynamodb-local.ts (fetched once into node_modules/.cache, or DYNAMODB_LOCAL_DIR).
 * It starts the official DynamoDB Local (which has real streams), creates the TMS table, runs the scenario
 * of test/fixtures/dynamodb-stream/scenario.ts, and reads every record back through the Streams API.
 */
import { writeFileSync } from 'node:fs';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTableInput } from '../src/adapters/dynamo/table.js';
import { createDocumentClient } from '../src/adapters/dynamo/task-store.js';
import { runStreamScenario } from '../test/fixtures/dynamodb-stream/scenario.js';
import { startDynamoDbLocal } from './dynamodb-local.js';

const java = await startDynamoDbLocal();
const { endpoint } = java;
const aws = { region: 'ddblocal', endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };

/** The Streams API over plain HTTP: DynamoDB Local accepts any credentials, and this keeps the SDK for Streams out of the project. */
async function streams(action: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `DynamoDBStreams_20120810.${action}`,
      authorization:
        'AWS4-HMAC-SHA256 Credential=local/20260302/ddblocal/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${action}: ${JSON.stringify(json)}`);
  return json;
}

try {
  const client = new DynamoDBClient(aws);
  for (let i = 0; ; i++) {
    try {
      await client.send(new CreateTableCommand(createTableInput('tms')));
      break;
    } catch (error) {
      if (i > 50) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const table = (
    await client.send(
      new (
        await import('@aws-sdk/client-dynamodb')
      ).DescribeTableCommand({ TableName: 'tms' }),
    )
  ).Table;
  await runStreamScenario(createDocumentClient(aws), 'tms');

  const { StreamDescription } = (await streams('DescribeStream', { StreamArn: table?.LatestStreamArn })) as {
    StreamDescription: { Shards: { ShardId: string }[] };
  };
  const records: unknown[] = [];
  for (const shard of StreamDescription.Shards) {
    let { ShardIterator } = (await streams('GetShardIterator', {
      StreamArn: table?.LatestStreamArn,
      ShardId: shard.ShardId,
      ShardIteratorType: 'TRIM_HORIZON',
    })) as { ShardIterator?: string };
    while (ShardIterator) {
      const page = (await streams('GetRecords', { ShardIterator })) as {
        Records: unknown[];
        NextShardIterator?: string;
      };
      records.push(...page.Records);
      if (page.Records.length === 0) break;
      ShardIterator = page.NextShardIterator;
    }
  }
  const out = {
    source: 'DynamoDB Local 1.25.1 (npm amplify-dynamodb-simulator@2.9.30, emulator/), GetRecords wire JSON',
    streamArn: table?.LatestStreamArn,
    records,
  };
  writeFileSync('test/fixtures/dynamodb-stream/golden.json', `${JSON.stringify(out, null, 2)}\n`);
  console.log(`captured ${records.length} records`);
} finally {
  await java.stop();
}
