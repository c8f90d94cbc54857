import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, getJson, inProcessStack, type TestStack } from '../helpers/local-stack.js';

let tms: TestStack;
beforeAll(async () => {
  tms = await inProcessStack({ TMS_TICK: '1s' });
});
afterAll(async () => {
  await tms.close();
});

describe('ticks', () => {
  it('run what the per-minute schedule runs: a delivery archived but never processed becomes a task', async () => {
    // Prepare: a delivery that was archived two minutes ago and then lost to a crash.
    const store = tms.deps.store;
    const receivedAt = new Date(Date.now() - 120_000).toISOString();
    await store.archiveRaw({
      source: 'generic',
      deliveryId: 'crashed-1',
      receivedAt,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        event_action: 'trigger',
        dedup_key: 'crashed',
        payload: { summary: 'Queue backlog growing', source: 'sqs', severity: 'warning' },
      }),
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    // Assess: the next tick picks it up.
    await expect
      .poll(
        async () =>
          (await getJson(`${tms.url}/api/tasks`, API())).body.tasks.map((t: { title: string }) => t.title),
        { timeout: 5_000, interval: 200 },
      )
      .toContain('Queue backlog growing');
    // Marked processed right after, so the next tick leaves it alone.
    await expect
      .poll(async () => (await store.getRaw('generic', 'crashed-1'))?.processedAt, {
        timeout: 5_000,
        interval: 100,
      })
      .toBeDefined();
  });
});
