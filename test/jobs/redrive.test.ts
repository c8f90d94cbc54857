import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/time.js';
import { redriveUnprocessed } from '../../src/jobs/redrive.js';
import { MemoryTaskStore } from '../fakes/memory-task-store.js';
import { depsFor, T0 } from '../helpers/factories.js';

const delivery = (deliveryId: string, receivedAt: string, body: unknown) => ({
  source: 'generic',
  deliveryId,
  receivedAt,
  headers: { 'content-type': 'application/json' },
  body: typeof body === 'string' ? body : JSON.stringify(body),
  expiresAt: '2026-03-09T09:00:00.000Z',
});

describe('re-driving deliveries that were archived but not processed', () => {
  it('processes them once their request can no longer be in flight, and only once', async () => {
    const store = new MemoryTaskStore();
    const deps = depsFor(store, new ManualClock(T0));
    const trigger = {
      event_action: 'trigger',
      dedup_key: 'lost',
      payload: { summary: 'Lost in a crash', source: 'x', severity: 'error' },
    };
    await store.archiveRaw(delivery('d-1', T0, trigger));
    await store.archiveRaw(delivery('d-2', T0, 'not json any more'));

    expect(await redriveUnprocessed(deps, new Date(Date.parse(T0) + 30_000))).toBe(0); // still in its grace time
    expect(await redriveUnprocessed(deps, new Date(Date.parse(T0) + 61_000))).toBe(2);
    expect(await store.get('TMS-1')).toMatchObject({ title: 'Lost in a crash', fingerprint: 'generic:lost' });
    expect((await store.getRaw('generic', 'd-1'))?.taskIds).toEqual(['TMS-1']);
    expect((await store.getRaw('generic', 'd-2'))?.processedAt).toBeDefined();

    expect(await redriveUnprocessed(deps, new Date(Date.parse(T0) + 120_000))).toBe(0);
    expect((await store.get('TMS-1'))?.occurrences).toBe(1);
  });
});
