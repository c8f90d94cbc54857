import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalQueue, type QueueHandler } from '../../src/local/local-queue.js';

const FIXTURE = JSON.parse(readFileSync('test/fixtures/aws/sqs-event.json', 'utf8')) as SQSEvent;
const VISIBILITY_MS = 40;
/**
 * For tests about what a failed message goes through rather than when: received again as soon as its handler
 * answers (SQS allows a visibility timeout of 0), so no timer stands between a failure and the next receive.
 */
const AT_ONCE = 0;

const queues: LocalQueue[] = [];
afterEach(async () => {
  for (const q of queues.splice(0)) await q.close();
});

function pair(
  options: {
    maxReceiveCount?: number;
    file?: string;
    concurrency?: number;
    visibilityTimeoutMs?: number;
  } = {},
) {
  const dead = new LocalQueue({
    name: 'tms-ingest-dead',
    region: 'eu-west-1',
    visibilityTimeoutMs: VISIBILITY_MS,
    maxReceiveCount: Number.POSITIVE_INFINITY,
    ...(options.file ? { file: options.file } : {}),
  });
  const queue = new LocalQueue({
    name: 'tms-ingest',
    region: 'eu-west-1',
    visibilityTimeoutMs: options.visibilityTimeoutMs ?? VISIBILITY_MS,
    maxReceiveCount: options.maxReceiveCount ?? 3,
    deadLetter: dead,
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
  });
  queues.push(queue, dead);
  return { queue, dead };
}

/** A handler that records every batch it is given and fails the records `fail` picks. */
function recording(fail: (record: SQSRecord) => boolean = () => false) {
  const batches: SQSRecord[][] = [];
  const handler: QueueHandler = async (event) => {
    batches.push(event.Records);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const failures = event.Records.filter(fail).map((r) => ({ itemIdentifier: r.messageId }));
    return { batchItemFailures: failures } satisfies SQSBatchResponse;
  };
  return { batches, handler, records: () => batches.flat() };
}

describe('LocalQueue', () => {
  it('hands the handler records shaped field by field as the upstream SQS event', async () => {
    const { queue } = pair();
    const { handler, records } = recording();
    queue.consume(handler);
    const before = Date.now();
    // Act
    const [id] = queue.send(['Message Body']);
    await queue.idle();
    // Assert
    const [record] = records();
    const upstream = FIXTURE.Records[0] as SQSRecord;
    // What a queue without message attributes leaves out: their digest (SQS sends none then).
    const { md5OfMessageAttributes: _none, ...fields } = upstream;
    expect(Object.keys(record ?? {}).sort()).toEqual(Object.keys(fields).sort());
    expect(Object.keys(record?.attributes ?? {}).sort()).toEqual(Object.keys(upstream.attributes).sort());
    expect(record).toMatchObject({
      messageId: id,
      body: 'Message Body',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:000000000000:tms-ingest',
      awsRegion: 'eu-west-1',
      messageAttributes: {},
    });
    // A real MD5 of the body (the fixture's is of another body: AWS's sample digest), in the same form.
    expect(record?.md5OfBody).toBe(createHash('md5').update('Message Body').digest('hex'));
    expect(record?.md5OfBody).toMatch(/^[0-9a-f]{32}$/);
    expect(upstream.md5OfBody).toMatch(/^[0-9a-f]{32}$/);
    expect(record?.attributes.ApproximateReceiveCount).toBe('1');
    for (const at of [record?.attributes.SentTimestamp, record?.attributes.ApproximateFirstReceiveTimestamp])
      expect(Number(at)).toBeGreaterThanOrEqual(before);
    expect(typeof record?.receiptHandle).toBe('string');
    expect(queue.depth()).toBe(0); // deleted once handled
  });

  it('gives batches of at most ten, a few at once', async () => {
    const { queue } = pair({ concurrency: 4 });
    let running = 0;
    let most = 0;
    const sizes: number[] = [];
    queue.consume(async (event) => {
      running++;
      most = Math.max(most, running);
      sizes.push(event.Records.length);
      await new Promise((resolve) => setTimeout(resolve, 20));
      running--;
      return { batchItemFailures: [] };
    });
    // Act
    queue.send(Array.from({ length: 95 }, (_, i) => `m${i}`));
    await queue.idle();
    // Assert
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(95);
    expect(Math.max(...sizes)).toBe(10);
    expect(most).toBe(4);
  });

  it('makes a failed record visible again only after the visibility timeout, its receive count kept, the others deleted', async () => {
    const { queue } = pair({ maxReceiveCount: 5 });
    // Failed on its first receive only.
    const { handler, batches } = recording(
      (r) => r.body === 'poisoned' && r.attributes.ApproximateReceiveCount === '1',
    );
    const receivedAt: number[] = [];
    let answeredAt = Number.NaN;
    queue.consume(async (event) => {
      receivedAt.push(performance.now());
      const response = await handler(event);
      answeredAt = performance.now();
      return response;
    });
    // Act
    queue.send(['fine', 'poisoned', 'also fine']);
    await queue.idle();
    const afterFirst = { depth: queue.depth(), batches: batches.length };
    const failedAt = answeredAt;
    await queue.settled();
    // Assert
    expect(afterFirst).toEqual({ depth: 1, batches: 1 });
    // Not received again before the timeout (a lower bound: a slow machine only makes it later).
    expect((receivedAt[1] ?? Number.NaN) - failedAt).toBeGreaterThanOrEqual(VISIBILITY_MS - 1);
    expect(batches[1]?.map((r) => [r.body, r.attributes.ApproximateReceiveCount])).toEqual([
      ['poisoned', '2'],
    ]);
    expect(batches[1]?.[0]?.messageId).toBe(batches[0]?.[1]?.messageId);
  });

  it('receives a failed record again whenever its timeout ends, even between two readings of the clock', async () => {
    // Prepare: a clock that moves on by 1 ms each time it is read, as a slow machine's does between two
    // readings; one visibility timeout per place in a receive pass where the record can come due.
    for (const visibilityTimeoutMs of [3, 4, 5, 6, 7]) {
      let time = 0;
      const queue = new LocalQueue({
        name: 'tms-ingest',
        region: 'eu-west-1',
        visibilityTimeoutMs,
        maxReceiveCount: 5,
        monotonic: () => ++time,
      });
      queues.push(queue);
      const { handler, records } = recording((r) => r.attributes.ApproximateReceiveCount === '1');
      queue.consume(handler);
      // Act
      queue.send(['retried']);
      // Assert: received again and deleted (before, a record due between the pass and its timer never was).
      await queue.settled();
      expect(records().map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
    }
  });

  it('fails every record of a batch its handler throws on', async () => {
    const { queue } = pair();
    let calls = 0;
    queue.consume(async () => {
      if (++calls === 1) throw new Error('the function crashed');
      return { batchItemFailures: [] };
    });
    // Act
    queue.send(['a', 'b']);
    await queue.idle();
    // Assert
    expect(queue.peek().map((m) => [m.body, m.receiveCount, m.lastError])).toEqual([
      ['a', 1, 'the function crashed'],
      ['b', 1, 'the function crashed'],
    ]);
    await queue.settled();
    expect(queue.depth()).toBe(0);
  });

  it('moves a message to its dead-letter queue after maxReceiveCount receives, with its last error, and redrives it back', async () => {
    const { queue, dead } = pair({ maxReceiveCount: 3, visibilityTimeoutMs: AT_ONCE });
    let poisoned = true;
    const { handler, records } = recording((r) => poisoned && r.body === 'poisoned');
    queue.consume(async (event) => {
      const response = await handler(event);
      for (const f of response?.batchItemFailures ?? [])
        queue.failed(f.itemIdentifier, 'ZodError: not a message');
      return response;
    });
    // Act
    queue.send(['poisoned', 'fine']);
    await queue.settled();
    // Assert
    expect(records().filter((r) => r.body === 'poisoned')).toHaveLength(3);
    expect(dead.depth()).toBe(1);
    expect(dead.peek()).toEqual([
      {
        messageId: expect.any(String),
        body: 'poisoned',
        receiveCount: 3,
        sentAt: expect.any(String),
        lastError: 'ZodError: not a message',
      },
    ]);
    // Redriven once the cause is fixed: received again from the first receive, and done.
    poisoned = false;
    expect(await dead.redrive()).toBe(1);
    await queue.idle();
    expect(dead.depth()).toBe(0);
    expect(queue.depth()).toBe(0);
    expect(records().at(-1)?.attributes.ApproximateReceiveCount).toBe('1');
  });

  it('keeps the dead-letter queue in its file across a restart', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'tms-queue-'));
    try {
      const file = join(folder, 'queue-ingest-dead.json');
      const first = pair({ maxReceiveCount: 1, file, visibilityTimeoutMs: AT_ONCE });
      first.queue.consume(recording(() => true).handler);
      first.queue.send(['poisoned']);
      await first.queue.settled(); // received once, failed, moved to the dead-letter queue (and its file)
      expect(first.dead.depth()).toBe(1);
      await first.queue.close();
      // Act: a new process on the same folder.
      const second = pair({ maxReceiveCount: 1, file, visibilityTimeoutMs: AT_ONCE });
      // Assert
      expect(second.dead.peek().map((m) => [m.body, m.receiveCount])).toEqual([['poisoned', 1]]);
      const { handler, records } = recording();
      second.queue.consume(handler);
      expect(await second.dead.redrive()).toBe(1);
      await second.queue.idle();
      expect(records().map((r) => r.body)).toEqual(['poisoned']);
      expect(pair({ file }).dead.depth()).toBe(0);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
