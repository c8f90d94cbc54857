import { readFileSync } from 'node:fs';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTableInput } from '../../src/adapters/dynamo/table.js';
import { createDocumentClient } from '../../src/adapters/dynamo/task-store.js';
import { type EmbeddedDynamo, LOCAL_AWS, startEmbeddedDynamo } from '../../src/local/embedded-dynamo.js';
import { StreamFeed, type StreamRecord } from '../../src/local/stream-feed.js';
import { runStreamScenario } from '../fixtures/dynamodb-stream/scenario.js';
import { aTask } from '../helpers/factories.js';

/** Captured once from the official DynamoDB Local by scripts/capture-stream-golden.ts. */
const golden = JSON.parse(readFileSync('test/fixtures/dynamodb-stream/golden.json', 'utf8')) as {
  streamArn: string;
  records: StreamRecord[];
};

let embedded: EmbeddedDynamo;
let feed: StreamFeed;
let feedEndpoint: string;
const records: StreamRecord[] = [];

beforeAll(async () => {
  embedded = await startEmbeddedDynamo({ tableName: 'unused' });
  feed = new StreamFeed(embedded.endpoint, 'local');
  feedEndpoint = await feed.listen();
  feed.onRecord((record) => records.push(record));
  const aws = { ...LOCAL_AWS, endpoint: feedEndpoint };
  const admin = new DynamoDBClient(aws);
  await admin.send(new CreateTableCommand(createTableInput('tms')));
  admin.destroy();
  await runStreamScenario(createDocumentClient(aws), 'tms');
});

afterAll(async () => {
  await feed.close();
  await embedded.close();
});

describe('the local stream feed, held to DynamoDB Local field by field', () => {
  it('gives one record per changing write, in the same order, with the same event names', () => {
    expect(records.map((r) => [r.eventName, r.dynamodb.Keys?.pk?.S, r.dynamodb.Keys?.sk?.S])).toEqual(
      golden.records.map((r) => [r.eventName, r.dynamodb.Keys?.pk?.S, r.dynamodb.Keys?.sk?.S]),
    );
  });

  it('carries the same keys, old and new images, view type and size of every record', () => {
    records.forEach((record, i) => {
      const expected = golden.records[i] as StreamRecord;
      expect(Object.keys(record.dynamodb).sort(), `record ${i} fields`).toEqual(
        Object.keys(expected.dynamodb).sort(),
      );
      expect(record.dynamodb.Keys, `record ${i} keys`).toEqual(expected.dynamodb.Keys);
      expect(record.dynamodb.NewImage, `record ${i} new image`).toEqual(expected.dynamodb.NewImage);
      expect(record.dynamodb.OldImage, `record ${i} old image`).toEqual(expected.dynamodb.OldImage);
      expect(record.dynamodb.StreamViewType).toBe(expected.dynamodb.StreamViewType);
      expect(record.dynamodb.SizeBytes, `record ${i} size`).toBe(expected.dynamodb.SizeBytes);
      expect([record.eventVersion, record.eventSource]).toEqual([
        expected.eventVersion,
        expected.eventSource,
      ]);
    });
  });

  it('numbers records like DynamoDB Local, stamps them in epoch seconds, and names the stream as Lambda does', () => {
    const sequence = records.map((r) => r.dynamodb.SequenceNumber ?? '');
    for (const [i, value] of sequence.entries()) {
      expect(value).toMatch(/^\d{21}$/);
      expect(value.length).toBe(golden.records[i]?.dynamodb.SequenceNumber?.length);
      if (i > 0) expect(BigInt(value)).toBeGreaterThan(BigInt(sequence[i - 1] ?? '0'));
    }
    const now = Date.now() / 1000;
    for (const record of records) {
      expect(Number.isInteger(record.dynamodb.ApproximateCreationDateTime)).toBe(true);
      expect(Math.abs((record.dynamodb.ApproximateCreationDateTime ?? 0) - now)).toBeLessThan(120);
      // Lambda adds eventSourceARN to what GetRecords returns; it names the same kind of stream.
      expect(record.eventSourceARN).toMatch(
        /^arn:aws:dynamodb:local:000000000000:table\/tms\/stream\/\d{4}-\d\d-\d\dT[\d:.]+$/,
      );
      expect(golden.streamArn).toMatch(
        /^arn:aws:dynamodb:ddblocal:000000000000:table\/tms\/stream\/\d{4}-\d\d-\d\dT[\d:.]+$/,
      );
      // AWS's own format (DynamoDB Local uses UUIDs instead): unique per record.
      expect(record.eventID).toMatch(/^[0-9a-f]{32}$/);
    }
    expect(new Set(records.map((r) => r.eventID)).size).toBe(records.length);
  });
});

describe('the local stream feed under concurrent writes', () => {
  it('keeps one item’s records in the order of its writes: each old image is the previous new image', async () => {
    // Prepare
    const { DynamoTaskStore } = await import('../../src/adapters/dynamo/task-store.js');
    const store = new DynamoTaskStore(createDocumentClient({ ...LOCAL_AWS, endpoint: feedEndpoint }), 'tms');
    await store.create(aTask({ id: 'TMS-50', lastSeenAt: '2026-03-02T09:00:00.000Z' }), []);
    const seen: StreamRecord[] = [];
    const stop = feed.onRecord((r) => {
      if (r.dynamodb.Keys?.pk?.S === 'TASK#50' && r.dynamodb.Keys?.sk?.S === 'TASK') seen.push(r);
    });
    // Act: twenty repeats of the alert at once, all on the same item.
    const at = (i: number) => new Date(Date.parse('2026-03-02T10:00:00.000Z') + i * 1000).toISOString();
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.recordOccurrence('TMS-50', at(i), at(i))));
    stop();
    // Assess: one record per write, the twenty counts and the copies of the item's held entries to the
    // timeline (which drop them from the item and leave its version), each old image the previous new one.
    const version = (image: unknown) => Number((image as { version?: { N?: string } })?.version?.N);
    const counts = seen.filter((r) => version(r.dynamodb.NewImage) === version(r.dynamodb.OldImage) + 1);
    expect(counts).toHaveLength(20);
    for (const [i, record] of seen.entries()) {
      expect(record.eventName).toBe('MODIFY');
      if (i > 0) expect(record.dynamodb.OldImage).toEqual(seen[i - 1]?.dynamodb.NewImage);
      expect(version(record.dynamodb.NewImage) - version(record.dynamodb.OldImage)).toBeLessThanOrEqual(1);
    }
  });
});
