import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workloadOf } from '../../src/ingest/sources/kubernetes.js';
import { API, getJson, inProcessStack, postJson, type TestStack } from '../helpers/local-stack.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await inProcessStack();
});
afterAll(() => stack.close());

type Event = Record<string, unknown> & {
  metadata: Record<string, unknown>;
  involvedObject: Record<string, unknown>;
};
const event = (): Event => JSON.parse(readFileSync('test/fixtures/kubernetes/backoff-warning.json', 'utf8'));
const TOKEN = { authorization: 'Bearer local-ingest-token' };
const send = (body: unknown, headers: Record<string, string> = TOKEN) =>
  postJson(`${stack.url}/ingest/kubernetes`, body, headers);
const task = async (id: string) => (await getJson(`${stack.url}/api/tasks/${id}`, API())).body.task;

describe('Normal events', () => {
  it('are read when the config lists their reason', async () => {
    const { normalizeKubernetes } = await import('../../src/ingest/sources/kubernetes.js');
    const killing = { ...event(), type: 'Normal', reason: 'Killing' } as never;
    expect(normalizeKubernetes(killing, new Date())).toBeUndefined();
    expect(normalizeKubernetes(killing, new Date(), ['Killing'])?.success).toBe(true);
  });
});

describe('POST /ingest/kubernetes', () => {
  it("opens one task per cluster, namespace, workload and reason; an event's updates count once", async () => {
    // Act
    const first = await send(event());
    const updated = await send({ ...event(), count: 8, lastTimestamp: '2026-11-22T10:05:30Z' });
    const otherPod = await send({
      ...event(),
      metadata: { ...event().metadata, uid: 'another-event' },
      involvedObject: { ...event().involvedObject, name: 'checkout-7d9f8b6c5d-abcde' },
    });
    // Assert
    expect(first.status).toBe(202);
    const [id] = first.body.taskIds;
    expect(updated.body.taskIds).toEqual([id]);
    expect(otherPod.body.taskIds).toEqual([id]);
    expect(await task(id)).toMatchObject({
      title: 'BackOff: checkout in checkout (prod-eu)',
      fingerprint: 'kubernetes:prod-eu:checkout:checkout:BackOff',
      service: 'checkout', // the config routes the namespace
      occurrences: 2,
      labels: expect.objectContaining({ workload: 'checkout', reason: 'BackOff', app: 'checkout' }),
    });
  });

  it('ignores Normal events, and takes a nameless cluster and null timestamps as they come', async () => {
    expect((await send({ ...event(), type: 'Normal', reason: 'Pulled' })).body).toEqual({ taskIds: [] });
    const bare = await send({
      ...event(),
      clusterName: '',
      reason: 'FailedScheduling',
      firstTimestamp: null,
      lastTimestamp: null,
      eventTime: '2026-11-22T11:00:00.123456Z',
      metadata: { ...event().metadata, uid: 'sched-1' },
    });
    expect(await task(bare.body.taskIds[0])).toMatchObject({
      fingerprint: 'kubernetes:cluster:checkout:checkout:FailedScheduling',
      reportedAt: '2026-11-22T11:00:00.123Z',
    });
  });

  it('refuses a sender without the token, and what is not an event', async () => {
    expect((await send(event(), {})).status).toBe(401);
    expect((await send(event(), { authorization: 'Bearer nope' })).status).toBe(401);
    expect(
      (
        await postJson(`${stack.url}/ingest/kubernetes?token=local-ingest-token`, {
          ...event(),
          type: 'Normal',
        })
      ).status,
    ).toBe(202);
    expect((await send('{"reason":')).status).toBe(400);
    expect((await send({ reason: 'BackOff' })).body.error.code).toBe('INVALID_EVENT');
    expect((await send(`{"pad":"${'x'.repeat(256 * 1024)}"}`)).status).toBe(413);
  });

  it('names the owning workload of a pod, a ReplicaSet and others', () => {
    expect(workloadOf('Pod', 'checkout-7d9f8b6c5d-x2kq9')).toBe('checkout');
    expect(workloadOf('ReplicaSet', 'checkout-7d9f8b6c5d')).toBe('checkout');
    expect(workloadOf('Pod', 'postgres-2')).toBe('postgres');
    expect(workloadOf('Pod', 'node-exporter-x7k2p')).toBe('node-exporter');
    expect(workloadOf('Node', 'ip-10-0-12-34')).toBe('ip-10-0-12-34');
    expect(workloadOf('Deployment', 'checkout')).toBe('checkout');
  });
});
