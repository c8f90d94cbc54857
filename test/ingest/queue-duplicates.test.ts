import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { expect, it } from 'vitest';
import { makeIngestProcessor } from '../../src/handlers/ingest-processor.js';
import { ingest } from '../../src/ingest/pipeline.js';
import { type AlertQueue, encodeMessage, type IngestMessage } from '../../src/ingest/queue.js';
import { request, SECRETS } from '../helpers/crash.js';
import { onEachBackend } from '../helpers/dynamo.js';
import { depsFor, perAlertConfig } from '../helpers/factories.js';

const FIXTURE = JSON.parse(readFileSync('test/fixtures/alertmanager/alertmanager-v4-firing.json', 'utf8'));
const [PROBE] = FIXTURE.alerts;
const { startsAt: _, ...UNSTARTED } = PROBE;
const body = (name: string, n: number) => ({
  ...FIXTURE,
  groupKey: `{}/{}:{alertname="${name}"}`,
  alerts: Array.from({ length: n }, (_, i) => ({
    ...UNSTARTED,
    labels: { ...PROBE.labels, alertname: name, instance: `s-${i}` },
    fingerprint: createHash('sha256').update(`${name}#${i}`).digest('hex').slice(0, 16),
  })),
});
const FIXTURE_RECORD = (JSON.parse(readFileSync('test/fixtures/aws/sqs-event.json', 'utf8')) as SQSEvent)
  .Records[0] as SQSRecord;
const recordOf = (b: string, receives: number, id: string): SQSRecord => ({
  ...FIXTURE_RECORD,
  messageId: id,
  body: b,
  attributes: { ...FIXTURE_RECORD.attributes, ApproximateReceiveCount: String(receives) },
});

// A redelivery is recognised by reading (`countedBefore`: the fingerprint, then `hasDelivery`) before it writes,
// so two redelivered copies of one message processed side by side (an SQS duplicate of a message being retried,
// the sweeper's re-drive of a delivery a backlog held past its lease) both read "not counted": the occurrence
// write itself refuses a delivery its task holds already, so only one of them counts.
onEachBackend((_n, dynamo) =>
  it('two redelivered copies of one message processed side by side count once', async () => {
    const store = await dynamo().freshStore();
    const deps = depsFor(store, undefined, { config: perAlertConfig });
    const sent: IngestMessage[] = [];
    const queue: AlertQueue = { send: async (m) => void sent.push(...m) };
    await ingest(deps, 'alertmanager', request(JSON.stringify(body('Dup', 3))), SECRETS);
    await ingest(deps, 'alertmanager', request(JSON.stringify({ ...body('Dup', 3), x: 1 })), SECRETS, {
      queue,
    });
    const b = encodeMessage(sent[0] as IngestMessage);
    await makeIngestProcessor(deps)({ Records: [recordOf(b, 2, 'a'), recordOf(b, 3, 'a')] });
    const { tasks } = await store.list({ limit: 10 });
    expect(tasks.map((t) => t.occurrences)).toEqual([2, 2, 2]);
  }),
);
