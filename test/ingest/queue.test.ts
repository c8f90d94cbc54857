import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { Alert } from '../../src/core/alert.js';
import { LIMITS } from '../../src/core/bounds.js';
import { makeIngestProcessor } from '../../src/handlers/ingest-processor.js';
import { ingest } from '../../src/ingest/pipeline.js';
import {
  type AlertQueue,
  CHUNK_ALERTS,
  decodeMessage,
  encodeMessage,
  type IngestMessage,
  MAX_RECEIVES,
  QUEUE_LEASE_MS,
  splitDelivery,
} from '../../src/ingest/queue.js';
import { redrive } from '../../src/jobs/redrive.js';
import { MemoryTaskStore } from '../fakes/memory-task-store.js';
import { request, SECRETS } from '../helpers/crash.js';
import { anAlert, depsFor, perAlertConfig, T0 } from '../helpers/factories.js';

/** SQS's own limit on a message body. */
const SQS_MAX_BYTES = 256 * 1024;

// The Alertmanager webhook (upstream fixture) made a group of `size` probed servers, as a 300-target outage.
const FIXTURE = JSON.parse(readFileSync('test/fixtures/alertmanager/alertmanager-v4-firing.json', 'utf8'));
const [PROBE] = FIXTURE.alerts;
function group(name: string, size: number) {
  return {
    ...FIXTURE,
    groupKey: `{}/{}:{alertname="${name}"}`,
    groupLabels: { alertname: name },
    alerts: Array.from({ length: size }, (_, n) => ({
      ...PROBE,
      labels: { ...PROBE.labels, alertname: name, instance: `https://server-${n}.example.org` },
      fingerprint: createHash('sha256').update(`${name}#${n}`).digest('hex').slice(0, 16),
    })),
  };
}

/** A record of the upstream SQS event (test/fixtures/aws/sqs-event.json) carrying `body`, received `receives` times. */
const FIXTURE_RECORD = (JSON.parse(readFileSync('test/fixtures/aws/sqs-event.json', 'utf8')) as SQSEvent)
  .Records[0] as SQSRecord;
let ids = 0;
function recordOf(body: string, receives = 1, messageId = `message-${++ids}`): SQSRecord {
  return {
    ...FIXTURE_RECORD,
    messageId,
    body,
    md5OfBody: createHash('md5').update(body).digest('hex'),
    messageAttributes: {},
    attributes: {
      ...FIXTURE_RECORD.attributes,
      ApproximateReceiveCount: String(receives),
      SentTimestamp: String(Date.parse(T0)),
    },
  };
}

/** What ingest sends for `body`, kept instead of sent. */
async function accepted(store: MemoryTaskStore, body: unknown) {
  const sent: IngestMessage[] = [];
  const queue: AlertQueue = { send: async (messages) => void sent.push(...messages) };
  const deps = depsFor(store, undefined, { config: perAlertConfig });
  const answer = await ingest(deps, 'alertmanager', request(JSON.stringify(body)), SECRETS, { queue });
  expect(answer.statusCode, answer.body).toBe(202);
  return { deps, sent, answer: JSON.parse(answer.body ?? '{}') as { taskIds: string[] } };
}

describe('ingest queue messages', () => {
  it('split a delivery into messages of at most ten alerts, in order, each with its slice of the group', () => {
    const alerts = Array.from({ length: 25 }, (_, i) => anAlert({ fingerprint: `fp-${i}` }));
    const firing = alerts.map((_, i) => i % 2 === 0);
    // Act
    const messages = splitDelivery({ source: 'alertmanager', deliveryId: 'd', receivedAt: T0 }, alerts, {
      key: 'g',
      firing,
    });
    // Assert
    expect(messages.map((m) => [m.index, m.alerts.length, m.chunks])).toEqual([
      [0, 10, 3],
      [10, 10, 3],
      [20, 5, 3],
    ]);
    expect(messages.flatMap((m) => m.alerts)).toEqual(alerts);
    expect(messages.flatMap((m) => m.group?.firing)).toEqual(firing);
  });

  it('fit SQS with the largest alerts LIMITS allow, whatever characters they hold', () => {
    // Labels as large as kept, of characters JSON escapes six to one, or of four-byte ones it does not.
    const labels = (char: string) => {
      const out: Record<string, string> = {};
      const valueChars = Math.floor(LIMITS.labelValueLength / 2);
      const perLabel = 12 + Buffer.byteLength(char.repeat(valueChars)) + LIMITS.labelOverheadBytes;
      for (let i = 0; i < Math.floor(LIMITS.labelBytes / perLabel); i++)
        out[`label-${String(i).padStart(6, '0')}`] = char.repeat(valueChars);
      return out;
    };
    const largest = (char: string, i: number) =>
      anAlert({
        fingerprint: `${char}`.repeat(LIMITS.fingerprintBytes) + i,
        title: char.repeat(LIMITS.titleLength),
        description: char.repeat(LIMITS.descriptionLength),
        summary: char.repeat(LIMITS.summaryLength),
        labels: labels(char),
        links: Array.from({ length: LIMITS.linkCount }, (_, n) => ({
          label: 'l'.repeat(LIMITS.linkLabelLength),
          url: `https://example.org/${n}/${'a'.repeat(LIMITS.urlLength - 40)}`,
        })),
      });
    for (const char of ['\u0001', '"', '\u{1F600}', '\uFFFF']) {
      const alerts = Array.from({ length: 12 }, (_, i) => largest(char, i));
      // Kept whole by the bounds: the test is of the largest alert, not of a cut one.
      expect(Object.keys(alerts[0]?.labels ?? {}).length).toBeGreaterThan(100);
      // Act
      const messages = splitDelivery({ source: 'generic', deliveryId: 'd', receivedAt: T0 }, alerts);
      // Assert
      expect(messages.flatMap((m) => m.alerts)).toHaveLength(12);
      for (const message of messages) {
        const body = encodeMessage(message);
        expect(Buffer.byteLength(body)).toBeLessThanOrEqual(SQS_MAX_BYTES);
        // Only what SQS takes in a body: #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF.
        expect(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.test(body)).toBe(false);
        expect(decodeMessage(body)).toEqual(message);
      }
    }
  });

  it('are refused when they are not ingest messages', () => {
    const message = splitDelivery({ source: 'generic', deliveryId: 'd', receivedAt: T0 }, [anAlert()])[0];
    expect(() => decodeMessage('{not json')).toThrow();
    expect(() => decodeMessage(JSON.stringify({ ...message, v: 2 }))).toThrow();
    expect(() => decodeMessage(JSON.stringify({ ...message, alerts: [] }))).toThrow();
    expect(() =>
      decodeMessage(JSON.stringify({ ...message, alerts: Array(CHUNK_ALERTS + 1).fill(anAlert()) })),
    ).toThrow();
  });
});

describe('the ingest processor', () => {
  it('fails a poisoned record alone and records the others of its batch', async () => {
    const store = new MemoryTaskStore();
    const { deps, sent, answer } = await accepted(store, group('Poisoned', 20));
    expect(answer.taskIds).toEqual([]); // on the queue: no task known at the answer
    const [first, second] = sent.map((m) => recordOf(encodeMessage(m)));
    const poisoned = recordOf('{"v":1,"source":"alertmanager"');
    // Act
    const response = await makeIngestProcessor(deps)({
      Records: [first, poisoned, second] as SQSRecord[],
    });
    // Assert
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: poisoned.messageId }]);
    const { tasks } = await store.list({ limit: 100 });
    expect(tasks).toHaveLength(20);
    const raw = await store.getRaw('alertmanager', sent[0]?.deliveryId as string);
    expect(raw?.processedAt).toBeDefined();
    expect(new Set(raw?.taskIds)).toEqual(new Set(tasks.map((t) => t.id)));
  });

  it('counts nothing twice when a record is received again, whichever chunk finishes last', async () => {
    const store = new MemoryTaskStore();
    const { deps, sent } = await accepted(store, group('Redelivered', 25));
    const processor = makeIngestProcessor(deps);
    const records = sent.map((m) => encodeMessage(m));
    // Act: the last chunk first; the first one twice (its batch's answer was lost), the second one again
    // after the delivery was done.
    await processor({ Records: [recordOf(records[2] as string), recordOf(records[0] as string)] });
    await processor({ Records: [recordOf(records[0] as string, 2)] });
    const raw = () => store.getRaw('alertmanager', sent[0]?.deliveryId as string);
    expect((await raw())?.processedAt).toBeUndefined(); // the second chunk is not done yet
    await processor({ Records: [recordOf(records[1] as string)] });
    const done = await raw();
    await processor({ Records: [recordOf(records[1] as string, 3)] });
    // Assert
    const { tasks } = await store.list({ limit: 100 });
    expect(tasks).toHaveLength(25);
    expect(tasks.every((t) => t.occurrences === 1)).toBe(true);
    expect(done?.processedAt).toBeDefined();
    expect(done?.taskIds).toHaveLength(25);
  });

  it('counts nothing twice when a record comes back from the dead-letter queue with its receive count reset', async () => {
    const store = new MemoryTaskStore();
    const { deps, sent } = await accepted(store, group('MovedBack', 4));
    const processor = makeIngestProcessor(deps);
    const body = encodeMessage(sent[0] as IngestMessage);
    await processor({ Records: [recordOf(body, 1)] });
    // Act: minutes later, moved back by a message move task, received "for the first time".
    deps.clock.advance(30 * 60_000);
    const response = await processor({ Records: [recordOf(body, 1)] });
    // Assert
    expect(response.batchItemFailures).toEqual([]);
    const { tasks } = await store.list({ limit: 100 });
    expect(tasks.map((t) => t.occurrences)).toEqual([1, 1, 1, 1]);
  });

  it('keeps why a record failed on its delivery, and on the last receive moves the delivery aside for replay', async () => {
    const store = new MemoryTaskStore();
    const { deps, sent } = await accepted(store, group('Failing', 3));
    const body = encodeMessage(sent[0] as IngestMessage);
    store.beforeWrite = (operation) => {
      if (operation === 'openFingerprint' || operation === 'claimFingerprint')
        throw new Error('the store refused the fingerprint');
    };
    const processor = makeIngestProcessor(deps);
    // Act
    const early = await processor({ Records: [recordOf(body, 1)] });
    const afterEarly = await store.getRaw('alertmanager', sent[0]?.deliveryId as string);
    const last = await processor({ Records: [recordOf(body, MAX_RECEIVES)] });
    // Assert
    expect(early.batchItemFailures).toHaveLength(1);
    expect(afterEarly?.lastError).toContain('the store refused the fingerprint');
    expect(afterEarly?.deadAt).toBeUndefined();
    expect(last.batchItemFailures).toHaveLength(1);
    expect(await store.deadRaw(10)).toEqual([
      expect.objectContaining({ source: 'alertmanager', deliveryId: sent[0]?.deliveryId }),
    ]);
    expect(await store.unprocessedRaw('9999', 10)).toEqual([]); // the sweeper leaves it to the replay
  });

  it('holds a queued delivery from the sweeper while the queue may retry it, unless the send failed', async () => {
    const store = new MemoryTaskStore();
    const deps = depsFor(store, undefined, { config: perAlertConfig });
    const failing: AlertQueue = {
      send: async () => {
        throw new Error('SQS is unreachable');
      },
    };
    // Act
    const queued = await accepted(store, group('Held', 2));
    const refused = await ingest(
      deps,
      'alertmanager',
      request(JSON.stringify(group('Refused', 2))),
      SECRETS,
      {
        queue: failing,
      },
    );
    // Assert: the archive is the acceptance, and the sweeper may take only the one the queue never had.
    expect(refused.statusCode).toBe(202);
    const later = new Date(Date.parse(T0) + 5 * 60_000).toISOString();
    const claimable = [];
    for (const ref of await store.unprocessedRaw(later, 10))
      if (await store.claimRaw(ref.source, ref.deliveryId, 'sweeper', later, later))
        claimable.push(ref.deliveryId);
    expect(claimable).toHaveLength(1);
    expect(claimable).not.toContain(queued.sent[0]?.deliveryId);
  });
});

it('re-drives a delivery the queue never took by sending it to the queue again, processed once as a redelivery', async () => {
  const store = new MemoryTaskStore();
  const deps = depsFor(store, undefined, { config: perAlertConfig });
  // Arrange: the send failed after the archive.
  let up = false;
  const sent: IngestMessage[] = [];
  const queue: AlertQueue = {
    send: async (messages) => {
      if (!up) throw new Error('SQS is unreachable');
      sent.push(...messages);
    },
  };
  const body = group('Resent', 12);
  expect(
    (await ingest(deps, 'alertmanager', request(JSON.stringify(body)), SECRETS, { queue })).statusCode,
  ).toBe(202);
  up = true;
  const queued = await ingest(deps, 'alertmanager', request(JSON.stringify(group('Queued', 2))), SECRETS, {
    queue,
  });
  expect(queued.statusCode).toBe(202);
  sent.length = 0;
  // Act
  deps.clock.advance(5 * 60_000);
  const report = await redrive(deps, deps.clock.now(), { queue });
  const again = await redrive(deps, deps.clock.now(), { queue });
  // Assert: sent, not processed here, and held while the queue may retry it; the one the queue took is left to it.
  expect(report.processed).toHaveLength(1);
  expect(again.processed).toHaveLength(0);
  expect(sent.map((m) => [m.index, m.alerts.length, m.redriven])).toEqual([
    [0, 10, true],
    [10, 2, true],
  ]);
  expect((await store.list({ limit: 100 })).tasks).toHaveLength(0);
  const held = await store.getRaw('alertmanager', sent[0]?.deliveryId as string);
  expect(Date.parse(held?.leaseUntil ?? '')).toBe(deps.clock.now().getTime() + QUEUE_LEASE_MS);
  const processor = makeIngestProcessor(deps);
  const response = await processor({ Records: sent.map((m) => recordOf(encodeMessage(m))) });
  expect(response.batchItemFailures).toEqual([]);
  const { tasks } = await store.list({ limit: 100 });
  expect(tasks).toHaveLength(12);
  expect((await store.getRaw('alertmanager', sent[0]?.deliveryId as string))?.processedAt).toBeDefined();
});

it('keeps the labels a sender named after what objects have (`constructor`, `toString`) as labels', () => {
  const alert = Alert.parse({ ...anAlert(), labels: JSON.parse('{"constructor":"x","toString":"y"}') });
  const [message] = splitDelivery({ source: 'generic', deliveryId: 'd', receivedAt: T0 }, [alert]);
  const read = decodeMessage(encodeMessage(message as IngestMessage)).alerts[0];
  expect(Object.entries(read?.labels ?? {})).toEqual([
    ['constructor', 'x'],
    ['toString', 'y'],
  ]);
});
