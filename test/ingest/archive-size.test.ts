import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoTaskStore } from '../../src/adapters/dynamo/task-store.js';
import { ingest } from '../../src/ingest/pipeline.js';
import { bodyHash } from '../../src/ingest/source.js';
import { alertmanager } from '../../src/ingest/sources/alertmanager.js';
import { request, SECRETS } from '../helpers/crash.js';
import { dynamoForTests, type TestDynamo } from '../helpers/dynamo.js';
import { depsFor } from '../helpers/factories.js';

/** Alertmanager's own notification (test/fixtures/alertmanager), as a storm sends it: one group, many alerts. */
const firing = JSON.parse(readFileSync('test/fixtures/alertmanager/alertmanager-v4-firing.json', 'utf8'));
const storm = (alerts: number) =>
  JSON.stringify({
    ...firing,
    alerts: Array.from({ length: alerts }, (_, i) => ({
      ...firing.alerts[0],
      annotations: {
        ...firing.alerts[0].annotations,
        description: `Instance https://server-${i}.example.org has been down for over 5m. Job: http_checks. ${'Probe log: connect timeout after 10s; '.repeat(60)}`,
      },
    })),
  });

/** A notification of exactly `bytes` bytes, padded (Alertmanager's webhook takes unknown fields) with noise. */
function exactly(bytes: number): string {
  const base = storm(3);
  const room = bytes - Buffer.byteLength(base) - ',"padding":""'.length;
  const padding = randomBytes(room).toString('base64').slice(0, room);
  const body = `${base.slice(0, -1)},"padding":"${padding}"}`;
  expect(Buffer.byteLength(body)).toBe(bytes);
  return body;
}

let dynamo: TestDynamo;
let store: DynamoTaskStore;
beforeAll(async () => {
  dynamo = await dynamoForTests();
});
afterAll(() => dynamo.close());

describe('the raw archive on DynamoDB, whatever the size of a delivery', () => {
  it("accepts a storm's Alertmanager notification over 400 KB and keeps it whole", async () => {
    store = await dynamo.freshStore();
    const body = storm(200);
    expect(Buffer.byteLength(body)).toBeGreaterThan(400 * 1024);
    // Act
    const answer = await ingest(depsFor(store), 'alertmanager', request(body), SECRETS);
    // Assess
    expect(answer.statusCode, answer.body).toBe(202);
    const archived = await store.getRaw('alertmanager', bodyHash(body));
    expect(archived?.body === body).toBe(true);
    expect(archived?.processedAt).toBeDefined();
    expect(await store.get('TMS-1')).toMatchObject({
      fingerprint: `alertmanager:group:sms:${firing.groupKey}`, // one task for the group
      occurrences: 1,
    });
  }, 60_000);

  it('keeps an incompressible delivery of exactly the route limit, and refuses one byte more with a 413', async () => {
    store = await dynamo.freshStore();
    const atLimit = exactly(alertmanager.maxBytes);
    const over = exactly(alertmanager.maxBytes + 1);
    // Act
    const accepted = await ingest(depsFor(store), 'alertmanager', request(atLimit), SECRETS);
    const refused = await ingest(depsFor(store), 'alertmanager', request(over), SECRETS);
    // Assess
    expect(accepted.statusCode, accepted.body).toBe(202);
    expect((await store.getRaw('alertmanager', bodyHash(atLimit)))?.body === atLimit).toBe(true);
    expect(refused.statusCode).toBe(413);
    expect(JSON.parse(refused.body ?? '{}').error.code).toBe('TOO_LARGE');
    expect(await store.getRaw('alertmanager', bodyHash(over))).toBeUndefined();
  }, 60_000);
});
