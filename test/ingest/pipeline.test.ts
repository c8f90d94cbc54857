import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { TransientError } from '../../src/core/errors.js';
import { ingest } from '../../src/ingest/pipeline.js';
import { redriveUnprocessed } from '../../src/jobs/redrive.js';
import { MemoryTaskStore } from '../fakes/memory-task-store.js';
import { depsFor, T0 } from '../helpers/factories.js';

const event = (body: unknown): APIGatewayProxyEventV2 =>
  ({
    routeKey: 'POST /ingest/{source}',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: {},
  }) as unknown as APIGatewayProxyEventV2;

const trigger = {
  routing_key: 'secret',
  event_action: 'trigger',
  dedup_key: 'db-down',
  payload: { summary: 'Primary database down', source: 'db1', severity: 'critical' },
};

describe('the ingest pipeline when processing fails after the archive', () => {
  it('still answers 202 (the delivery is accepted), and the sweeper opens the task later, once', async () => {
    const store = new MemoryTaskStore();
    const deps = depsFor(store);
    let failing = true;
    store.beforeWrite = (operation) => {
      if (failing && operation === 'openFingerprint')
        throw new TransientError('DynamoDB is unavailable right now');
    };
    // Act
    const answer = await ingest(deps, 'generic', event(trigger), { ingestToken: 'secret' });
    // Assess
    expect(answer.statusCode).toBe(202);
    expect(JSON.parse(answer.body ?? '{}')).toMatchObject({ status: 'success', dedup_key: 'db-down' });
    expect(store.tasks.size).toBe(0);
    expect(await store.unprocessedRaw('9999', 10)).toHaveLength(1);

    failing = false;
    expect(await redriveUnprocessed(deps, new Date(Date.parse(T0) + 120_000))).toBe(1);
    // The number the failed attempt took is a gap (that write's outcome was unknown): one task, the next number.
    expect([...store.tasks.values()]).toMatchObject([{ title: 'Primary database down', occurrences: 1 }]);
    expect(await store.unprocessedRaw('9999', 10)).toHaveLength(0);
  });

  it('re-drives a trigger sent without a dedup_key under the key the sender was given', async () => {
    const store = new MemoryTaskStore();
    const deps = depsFor(store);
    let failing = true;
    store.beforeWrite = (operation) => {
      if (failing && operation === 'openFingerprint')
        throw new TransientError('DynamoDB is unavailable right now');
    };
    const { dedup_key: _none, ...keyless } = trigger;
    const answer = await ingest(deps, 'generic', event(keyless), { ingestToken: 'secret' });
    const given = JSON.parse(answer.body ?? '{}').dedup_key;
    expect(given).toMatch(/^[0-9a-f]{32}$/);

    failing = false;
    await redriveUnprocessed(deps, new Date(Date.parse(T0) + 120_000));
    expect([...store.tasks.values()].map((t) => t.fingerprint)).toEqual([`generic:${given}`]);
    const [archived] = [...store.raw.values()];
    expect(JSON.parse(archived?.body ?? '{}').routing_key).toBeUndefined(); // the credential is not kept
  });

  it('answers 503 when even the archive cannot be written: nothing was accepted, the sender retries', async () => {
    const store = new MemoryTaskStore();
    store.beforeWrite = (operation) => {
      if (operation === 'archiveRaw') throw new TransientError('DynamoDB is unavailable right now');
    };
    const answer = await ingest(depsFor(store), 'generic', event(trigger), { ingestToken: 'secret' });
    expect(answer.statusCode).toBe(503);
    expect(answer.headers).toMatchObject({ 'retry-after': '1' });
    expect(JSON.parse(answer.body ?? '{}').error.code).toBe('UNAVAILABLE');
  });
});
