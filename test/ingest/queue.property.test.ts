import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeIngestProcessor } from '../../src/handlers/ingest-processor.js';
import { ingest } from '../../src/ingest/pipeline.js';
import { type AlertQueue, encodeMessage, type IngestMessage } from '../../src/ingest/queue.js';
import { MemoryTaskStore } from '../fakes/memory-task-store.js';
import { request, SECRETS } from '../helpers/crash.js';
import { depsFor, perAlertConfig, T0 } from '../helpers/factories.js';

// Two Alertmanager notifications (the upstream fixture, without a groupKey: read alert by alert) that share
// ten alerts, the second a newer firing of each: 15 + 20 alerts, 25 fingerprints, ten of them fired twice.
const FIXTURE = JSON.parse(readFileSync('test/fixtures/alertmanager/alertmanager-v4-firing.json', 'utf8'));
const [PROBE] = FIXTURE.alerts;
const { groupKey: _grouped, ...UNGROUPED } = FIXTURE;
function notification(from: number, to: number, startsAt: string) {
  return {
    ...UNGROUPED,
    alerts: Array.from({ length: to - from }, (_, i) => {
      const n = from + i;
      return {
        ...PROBE,
        labels: { ...PROBE.labels, instance: `https://server-${n}.example.org` },
        startsAt,
        fingerprint: createHash('sha256').update(`probe#${n}`).digest('hex').slice(0, 16),
      };
    }),
  };
}
const at = (minutesBefore: number) => new Date(Date.parse(T0) - minutesBefore * 60_000).toISOString();

const UPSTREAM = (JSON.parse(readFileSync('test/fixtures/aws/sqs-event.json', 'utf8')) as SQSEvent)
  .Records[0] as SQSRecord;
const recordOf = (message: IngestMessage, receive: number, messageId: string): SQSRecord => {
  const body = encodeMessage(message);
  return {
    ...UPSTREAM,
    messageId,
    body,
    md5OfBody: createHash('md5').update(body).digest('hex'),
    messageAttributes: {},
    attributes: {
      ...UPSTREAM.attributes,
      ApproximateReceiveCount: String(receive),
      SentTimestamp: String(Date.parse(T0)),
    },
  };
};

describe('the queue in any order, any record received again', () => {
  it('makes the same tasks with the same counts, and marks both deliveries processed', async () => {
    await fc.assert(
      fc.asyncProperty(
        // How often each of the four messages is received (its last receive succeeds), and the schedule's order.
        fc.tuple(...Array.from({ length: 4 }, () => fc.integer({ min: 1, max: 3 }))),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 12, maxLength: 12 }),
        fc.integer({ min: 1, max: 3 }),
        async (receives, keys, width) => {
          const store = new MemoryTaskStore();
          const deps = depsFor(store, undefined, { config: perAlertConfig });
          const sent: IngestMessage[] = [];
          const queue: AlertQueue = { send: async (messages) => void sent.push(...messages) };
          for (const body of [notification(0, 15, at(10)), notification(5, 25, at(5))])
            await ingest(deps, 'alertmanager', request(JSON.stringify(body)), SECRETS, { queue });
          expect(sent).toHaveLength(4);
          // Each receive of each message, in the drawn order; a message's receives count up as SQS counts them.
          const schedule = sent
            .flatMap((_, m) => Array.from({ length: receives[m] as number }, () => m))
            .map((m, i) => ({ m, key: keys[i] as number }))
            .sort((a, b) => a.key - b.key);
          const seen = [0, 0, 0, 0];
          const processor = makeIngestProcessor(deps);
          // Act: `width` records at a time, as batches run side by side.
          for (let i = 0; i < schedule.length; i += width) {
            const batch = schedule.slice(i, i + width).map(({ m }) => {
              seen[m] = (seen[m] ?? 0) + 1;
              return recordOf(sent[m] as IngestMessage, seen[m] as number, `m${m}-${seen[m]}`);
            });
            await Promise.all(batch.map((record) => processor({ Records: [record] })));
          }
          // Assert
          const { tasks } = await store.list({ limit: 100 });
          expect(tasks).toHaveLength(25);
          const counts = new Map(tasks.map((t) => [t.labels.instance, t.occurrences]));
          for (let n = 0; n < 25; n++)
            expect(counts.get(`https://server-${n}.example.org`), `server-${n}`).toBe(
              n >= 5 && n < 15 ? 2 : 1,
            );
          for (const message of [sent[0], sent[3]] as IngestMessage[]) {
            const raw = await store.getRaw('alertmanager', message.deliveryId);
            expect(raw?.processedAt).toBeDefined();
            expect(raw?.taskIds).toHaveLength(message === sent[0] ? 15 : 20);
          }
        },
      ),
      { numRuns: 30 },
    );
  }, 60_000);
});
