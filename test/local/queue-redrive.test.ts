import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import {
  API,
  getJson,
  inProcessStack,
  PER_ALERT_CONFIG,
  postJson,
  type TestStack,
} from '../helpers/local-stack.js';

const FIXTURE = JSON.parse(readFileSync('test/fixtures/alertmanager/alertmanager-v4-firing.json', 'utf8'));
const [PROBE] = FIXTURE.alerts;
const { startsAt: _, ...UNSTARTED } = PROBE;
const fp = (name: string, n: number) =>
  createHash('sha256').update(`${name}#${n}`).digest('hex').slice(0, 16);
// No startsAt (optional): only the delivery tokens tell a copy of an occurrence apart.
function notification(name: string, members: readonly number[]) {
  return {
    ...FIXTURE,
    groupKey: `{}/{}:{alertname="${name}"}`,
    groupLabels: { alertname: name },
    alerts: members.map((n) => ({
      ...UNSTARTED,
      annotations: { summary: `Probe failure: server-${n}` },
      labels: { ...PROBE.labels, alertname: name, instance: `https://server-${n}.example.org` },
      fingerprint: fp(name, n),
    })),
  };
}
const TOKEN = { authorization: 'Bearer local-ingest-token' };

async function until(check: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 20));
}

let stack: TestStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

it('counts nothing twice when a dead-lettered message is redriven soon after (npm run redrive)', async () => {
  stack = await inProcessStack(PER_ALERT_CONFIG, { queueVisibilityTimeoutMs: 30 });
  const { ingestDead } = stack.queues;
  await postJson(`${stack.url}/ingest/alertmanager`, notification('Soon', [0, 1, 2]), TOKEN);
  await stack.idle();
  // The fourth alert's fingerprint cannot be written (a fault of its own) on every receive.
  const store = stack.deps.store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const open = store.openFingerprint?.bind(store) as (...args: unknown[]) => Promise<unknown>;
  const claim = store.claimFingerprint?.bind(store) as (...args: unknown[]) => Promise<unknown>;
  let broken = true;
  const poisoned = `alertmanager:${fp('Soon', 3)}`;
  store.openFingerprint = (f, ...rest) =>
    broken && f === poisoned ? Promise.reject(new Error('refused')) : open(f, ...rest);
  store.claimFingerprint = (f, ...rest) =>
    broken && f === poisoned ? Promise.reject(new Error('refused')) : claim(f, ...rest);
  await postJson(`${stack.url}/ingest/alertmanager`, notification('Soon', [0, 1, 2, 3]), TOKEN);
  await until(() => ingestDead.depth() === 1, 20_000);
  expect(ingestDead.depth()).toBe(1);
  broken = false;
  // Act: redriven at once (well within a minute of its receipt)
  const redrive = await fetch(`${stack.url}/_sandbox/queues/redrive`, { method: 'POST' });
  expect(redrive.status).toBe(200);
  await stack.idle();
  // Assert
  const { body } = await getJson(`${stack.url}/api/tasks?limit=100`, API());
  const counts = (body.tasks as { title: string; occurrences: number }[])
    .filter((t) => t.title.includes('server-'))
    .map((t) => `${/server-(\d)/.exec(t.title)?.[1]}:${t.occurrences}`)
    .sort();
  expect(counts).toEqual(['0:2', '1:2', '2:2', '3:1']);
}, 60_000);
