import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_INFLATED_BYTES, normalizeLogMessage } from '../../src/ingest/sources/logs.js';
import { API, getJson, inProcessStack, postJson, type TestStack } from '../helpers/local-stack.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await inProcessStack();
});
afterAll(() => stack.close());

/** aws-lambda-go's CloudWatch Logs test event (see test/fixtures/aws/README.md). */
const upstream = JSON.parse(
  readFileSync(new URL('../fixtures/aws/cloudwatch-logs-event.json', import.meta.url), 'utf8'),
);
const envelope = (batch: unknown) => ({
  awslogs: { data: gzipSync(JSON.stringify(batch)).toString('base64') },
});
const batch = (logGroup: string, messages: string[], firstId = 1) => ({
  messageType: 'DATA_MESSAGE',
  owner: '123456789012',
  logGroup,
  logStream: '2026/11/22/[$LATEST]abc',
  subscriptionFilters: ['tms'],
  logEvents: messages.map((message, i) => ({
    id: `${firstId + i}`,
    timestamp: Date.parse('2026-11-22T10:00:00Z') + i,
    message,
  })),
});
const TOKEN = { authorization: 'Bearer local-ingest-token' };
const send = (body: unknown, headers: Record<string, string> = TOKEN) =>
  postJson(`${stack.url}/ingest/logs`, body, headers);
const task = async (id: string) => (await getJson(`${stack.url}/api/tasks/${id}`, API())).body.task;

describe('POST /ingest/logs', () => {
  it('takes the upstream CloudWatch Logs event: each distinct error line a task', async () => {
    const answer = await send(upstream);
    expect(answer.status).toBe(202);
    expect(answer.body.taskIds).toHaveLength(2);
    expect(await task(answer.body.taskIds[0])).toMatchObject({
      title: '[ERROR] First test message',
      source: 'logs',
    });
  });

  it('makes one bug one task however often it logs, and routes by log group to its patterns', async () => {
    const lines = (n: number) =>
      Array.from(
        { length: n },
        (_, i) =>
          `2026-11-22T10:00:0${i % 10}Z ERROR payment ${4000 + i} failed for "user-${i}" req=${crypto.randomUUID()} at 0xdeadbeef${i}`,
      );
    const first = await send(
      envelope(batch('/aws/lambda/checkout-api', [...lines(5), 'INFO all good', 'warning: fine'], 1)),
    );
    const again = await send(envelope(batch('/aws/lambda/checkout-api', lines(3), 100)));
    expect(first.body.taskIds).toHaveLength(1);
    expect(again.body.taskIds).toEqual(first.body.taskIds);
    expect(await task(first.body.taskIds[0])).toMatchObject({
      service: 'checkout', // the config's logGroups glob
      occurrences: 2, // one per batch, not one per line
      labels: expect.objectContaining({ pattern: 'ERROR payment <n> failed for <q> req=<id> at <hex>' }),
    });
  });

  it("uses the service's own patterns: checkout's does not include panic", async () => {
    const answer = await send(
      envelope(batch('/aws/lambda/checkout-worker', ['panic: runtime error', 'FATAL out of memory'], 500)),
    );
    expect(answer.body.taskIds).toHaveLength(1);
    expect((await task(answer.body.taskIds[0])).priority).toBe('P1'); // FATAL is critical
  });

  it('creates nothing for a control message, and refuses a gzip bomb without inflating it', async () => {
    expect(
      (await send(envelope({ messageType: 'CONTROL_MESSAGE', logGroup: '', logEvents: [] }))).body,
    ).toEqual({ taskIds: [] });
    const bomb = { awslogs: { data: gzipSync(Buffer.alloc(MAX_INFLATED_BYTES * 50)).toString('base64') } };
    expect(JSON.stringify(bomb).length).toBeLessThan(300_000); // small on the wire
    const refused = await send(bomb);
    expect(refused).toMatchObject({ status: 413, body: { error: { code: 'TOO_LARGE' } } });
  });

  it('refuses a sender without the token, and what is not a log batch', async () => {
    expect((await send(upstream, {})).status).toBe(401);
    expect((await send({ awslogs: { data: 'bm90IGd6aXA=' } })).status).toBe(400);
    expect((await send({ logs: [] })).status).toBe(400);
  });
});

describe('normalizing a log line', () => {
  it('keeps the words and drops what varies', () => {
    expect(
      normalizeLogMessage(
        '2026-11-22T10:00:00.123Z ERROR user 42 from 10.0.0.7:5432 said "hi" id=3f0c9a52-5e1b-4d8f-9c61-2a7e4b8d1f03',
      ),
    ).toBe('ERROR user <n> from <ip> said <q> id=<id>');
    expect(normalizeLogMessage("Unhandled rejection at 0x7ffe 'boom' sha 1a2b3c4d5e6f")).toBe(
      'Unhandled rejection at <hex> <q> sha <hex>',
    );
  });
});
