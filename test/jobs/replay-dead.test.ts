import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { makeIngestProcessor } from '../../src/handlers/ingest-processor.js';
import { ingest } from '../../src/ingest/pipeline.js';
import { type AlertQueue, encodeMessage, type IngestMessage, MAX_RECEIVES } from '../../src/ingest/queue.js';
import { redrive } from '../../src/jobs/redrive.js';
import { MemoryTaskStore } from '../fakes/memory-task-store.js';
import { request, SECRETS } from '../helpers/crash.js';
import { depsFor, perAlertConfig } from '../helpers/factories.js';

const FIXTURE = JSON.parse(readFileSync('test/fixtures/alertmanager/alertmanager-v4-firing.json', 'utf8'));
const [PROBE] = FIXTURE.alerts;
const { startsAt: _, ...withoutStart } = PROBE;
function group(name: string, size: number) {
  return {
    ...FIXTURE,
    groupKey: `{}/{}:{alertname="${name}"}`,
    groupLabels: { alertname: name },
    // No startsAt (it is optional): no occurrence key tells a copy apart, only the delivery's tokens do.
    alerts: Array.from({ length: size }, (_, n) => ({
      ...withoutStart,
      labels: { ...PROBE.labels, alertname: name, instance: `https://server-${n}.example.org` },
      fingerprint: createHash('sha256').update(`${name}#${n}`).digest('hex').slice(0, 16),
    })),
  };
}
const FIXTURE_RECORD = (JSON.parse(readFileSync('test/fixtures/aws/sqs-event.json', 'utf8')) as SQSEvent)
  .Records[0] as SQSRecord;
let ids = 0;
function recordOf(body: string, receives = 1): SQSRecord {
  return {
    ...FIXTURE_RECORD,
    messageId: `m-${++ids}`,
    body,
    md5OfBody: createHash('md5').update(body).digest('hex'),
    messageAttributes: {},
    attributes: { ...FIXTURE_RECORD.attributes, ApproximateReceiveCount: String(receives) },
  };
}

describe('a queued delivery one chunk of which went to the dead-letter queue', () => {
  it('is replayed with `npm run replay -- --dead` counting nothing twice', async () => {
    const store = new MemoryTaskStore();
    const sent: IngestMessage[] = [];
    const queue: AlertQueue = { send: async (messages) => void sent.push(...messages) };
    const deps = depsFor(store, undefined, { config: perAlertConfig });
    const answer = await ingest(deps, 'alertmanager', request(JSON.stringify(group('Half', 20))), SECRETS, {
      queue,
    });
    expect(answer.statusCode).toBe(202);
    expect(sent).toHaveLength(2);
    const processor = makeIngestProcessor(deps);
    // The first chunk is recorded; the second fails on every receive (a fault of its own) and is dead-lettered.
    await processor({ Records: [recordOf(encodeMessage(sent[0] as IngestMessage))] });
    let broken = true;
    store.beforeWrite = (operation) => {
      if (broken && (operation === 'openFingerprint' || operation === 'claimFingerprint'))
        throw new Error('the store refused the fingerprint');
    };
    for (let receive = 1; receive <= MAX_RECEIVES; receive++)
      await processor({ Records: [recordOf(encodeMessage(sent[1] as IngestMessage), receive)] });
    expect(await store.deadRaw(10)).toHaveLength(1);
    broken = false;
    // Act: the operator replays the dead deliveries, as `npm run replay -- --dead` does (no queue there).
    deps.clock.advance(60 * 60_000);
    const report = await redrive(deps, deps.clock.now(), { dead: true, graceMs: 0 });
    // Assert
    expect(report.processed).toHaveLength(1);
    const { tasks } = await store.list({ limit: 100 });
    expect(tasks).toHaveLength(20);
    expect(tasks.map((t) => t.occurrences).join(',')).toBe(tasks.map(() => 1).join(','));
  });
});
