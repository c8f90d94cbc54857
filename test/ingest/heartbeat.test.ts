import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { heartbeatPing } from '../../src/ingest/heartbeat.js';
import { MemoryHeartbeatStore } from '../fakes/memory-heartbeat-store.js';
import { MemoryTaskStore } from '../fakes/memory-task-store.js';
import { depsFor, T0 } from '../helpers/factories.js';

const TOKEN = 'the-ingest-token';
const ping = (
  name: string,
  { headers = {}, query }: { headers?: Record<string, string>; query?: Record<string, string> } = {},
): APIGatewayProxyEventV2 =>
  ({
    routeKey: 'POST /ingest/heartbeat/{name}',
    rawPath: `/ingest/heartbeat/${name}`,
    headers,
    ...(query ? { queryStringParameters: query } : {}),
    pathParameters: { name },
    isBase64Encoded: false,
    requestContext: {},
  }) as unknown as APIGatewayProxyEventV2;
const bearer = { authorization: `Bearer ${TOKEN}` };

async function setup() {
  const heartbeats = new MemoryHeartbeatStore();
  await heartbeats.putHeartbeat({
    name: 'nightly-backup',
    everyMs: 86_400_000,
    graceMs: 3_600_000,
    origin: 'config',
    createdBy: 'config',
    createdAt: T0,
  });
  return { heartbeats, deps: { ...depsFor(new MemoryTaskStore()), heartbeats } };
}

const bodyOf = (answer: { body?: string }) => JSON.parse(answer.body ?? '{}');

describe('POST /ingest/heartbeat/{name}', () => {
  it('refuses a ping without the ingest token (401), before it looks at the name', async () => {
    // Prepare
    const { deps, heartbeats } = await setup();
    // Act
    const none = await heartbeatPing(deps, ping('nightly-backup'), TOKEN);
    const wrong = await heartbeatPing(
      deps,
      ping('nightly-backup', { headers: { authorization: 'Bearer nope' } }),
      TOKEN,
    );
    const unknown = await heartbeatPing(deps, ping('never-made'), TOKEN);
    // Assess
    for (const answer of [none, wrong, unknown]) {
      expect(answer.statusCode).toBe(401);
      expect(bodyOf(answer).error.code).toBe('UNAUTHENTICATED');
    }
    expect((await heartbeats.getHeartbeat('nightly-backup'))?.lastPingAt).toBeUndefined();
  });

  it('answers 404 for a name that is no heartbeat, and makes none', async () => {
    const { deps, heartbeats } = await setup();
    const answer = await heartbeatPing(deps, ping('never-made', { headers: bearer }), TOKEN);
    expect(answer.statusCode).toBe(404);
    expect(bodyOf(answer).error).toMatchObject({ code: 'NOT_FOUND' });
    expect(bodyOf(answer).error.message).toContain('No heartbeat "never-made"');
    expect(await heartbeats.getHeartbeat('never-made')).toBeUndefined();
  });

  it('answers 400 for what cannot be a heartbeat name', async () => {
    const { deps } = await setup();
    const answer = await heartbeatPing(deps, ping('a'.repeat(65), { headers: bearer }), TOKEN);
    expect(answer.statusCode).toBe(400);
    expect(bodyOf(answer).error.code).toBe('INVALID_INPUT');
  });

  it('records a ping of a known heartbeat: 202 with its next deadline (the token in the header or the query)', async () => {
    // Prepare
    const { deps, heartbeats } = await setup();
    // Act
    const answer = await heartbeatPing(deps, ping('nightly-backup', { headers: bearer }), TOKEN);
    deps.clock.advance(60_000);
    const byQuery = await heartbeatPing(deps, ping('nightly-backup', { query: { token: TOKEN } }), TOKEN);
    // Assess
    expect(answer.statusCode).toBe(202);
    expect(bodyOf(answer)).toEqual({
      heartbeat: 'nightly-backup',
      lastPingAt: T0,
      dueBy: '2026-03-03T10:00:00.000Z',
      taskIds: [],
    });
    expect(byQuery.statusCode).toBe(202);
    expect((await heartbeats.getHeartbeat('nightly-backup'))?.lastPingAt).toBe('2026-03-02T09:01:00.000Z');
  });
});
