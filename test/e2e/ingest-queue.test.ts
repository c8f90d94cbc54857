import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  API,
  getJson,
  inProcessStack,
  npmStart,
  PER_ALERT_CONFIG,
  postJson,
  type StartedProcess,
  type TestStack,
} from '../helpers/local-stack.js';

// The Alertmanager webhook (upstream fixture, test/fixtures/alertmanager/README.md) as a `group_by: [alertname]`
// route sends a 300-target outage: one notification listing every probed server.
const FIXTURE = JSON.parse(readFileSync('test/fixtures/alertmanager/alertmanager-v4-firing.json', 'utf8'));
const [PROBE] = FIXTURE.alerts;
function outage(name: string, size: number) {
  const { instance: _instance, ...common } = { ...PROBE.labels, alertname: name };
  return {
    ...FIXTURE,
    alerts: Array.from({ length: size }, (_, n) => {
      const instance = `https://server-${n}.example.org`;
      return {
        ...PROBE,
        labels: { ...PROBE.labels, alertname: name, instance },
        annotations: {
          summary: `BlackBox Probe Failure: ${instance}`,
          description: `Instance ${instance} has been down for over 5m. Job: http_checks`,
        },
        fingerprint: createHash('sha256').update(`${name}#${n}`).digest('hex').slice(0, 16),
      };
    }),
    groupLabels: { alertname: name },
    commonLabels: common,
    commonAnnotations: {},
    groupKey: `{}/{severity="critical"}:{alertname="${name}"}`,
  };
}
const TOKEN = { authorization: 'Bearer local-ingest-token' };

/** Every task the API lists, page after page. */
async function allTasks(url: string): Promise<{ id: string; title: string; occurrences: number }[]> {
  const tasks: { id: string; title: string; occurrences: number }[] = [];
  let next: string | undefined;
  do {
    const { body } = await getJson(
      `${url}/api/tasks?limit=100${next ? `&cursor=${encodeURIComponent(next)}` : ''}`,
      API(),
    );
    tasks.push(...body.tasks);
    next = body.next ?? undefined;
  } while (next);
  return tasks;
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > end) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

let stack: TestStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
}, 60_000); // a stack closes once what it has in flight is done: seconds alone, longer on a busy machine

describe('ingest on the local stack, through its queue', () => {
  it('answers a 300-alert Alertmanager group in under 2 s, and makes it 300 tasks with nothing lost', async () => {
    stack = await inProcessStack(PER_ALERT_CONFIG);
    const started = performance.now();
    // Act
    const answer = await postJson(`${stack.url}/ingest/alertmanager`, outage('QueuedOutage', 300), TOKEN);
    const answeredMs = performance.now() - started;
    await stack.idle();
    const doneMs = performance.now() - started;
    // Assert
    expect(answer.status).toBe(202);
    expect(answeredMs).toBeLessThan(2_000);
    const tasks = (await allTasks(stack.url)).filter((t) => t.title.includes('server-'));
    expect(tasks).toHaveLength(300);
    expect(new Set(tasks.map((t) => t.title)).size).toBe(300);
    expect(tasks.every((t) => t.occurrences === 1)).toBe(true);
    expect(stack.queues.ingest.depth()).toBe(0);
    expect(stack.queues.ingestDead.depth()).toBe(0);
    process.stdout.write(
      `300-alert group: answered in ${answeredMs.toFixed(0)} ms, all tasks after ${doneMs.toFixed(0)} ms\n`,
    );
  }, 180_000);

  it('retries a poisoned message alone, then moves it to the dead-letter queue with its error, and goes on', async () => {
    stack = await inProcessStack(PER_ALERT_CONFIG, { queueVisibilityTimeoutMs: 30 });
    const { ingest, ingestDead } = stack.queues;
    // Act: a message no ingest request would send, beside a delivery.
    ingest.send(['{"v":1,"source":"alertmanager","deliveryId":"poisoned"}']);
    const answer = await postJson(`${stack.url}/ingest/alertmanager`, outage('BesidePoison', 3), TOKEN);
    await until(
      async () => ingestDead.depth(),
      (depth) => depth === 1,
      10_000,
    );
    await stack.idle();
    // Assert
    expect(answer.body.taskIds).toHaveLength(3); // a small delivery still names its tasks locally
    const [dead] = ingestDead.peek();
    expect(dead).toMatchObject({
      receiveCount: 5,
      lastError: expect.stringContaining('MalformedMessageError'),
    });
    expect(ingest.depth()).toBe(0);
    // The tick's dead-letter monitor opens a task saying so, with the first error and how to redrive.
    await stack.tick();
    await stack.idle();
    const [opened] = (await allTasks(stack.url)).filter((t) => t.title.includes('dead-letter queue'));
    expect(opened?.title).toBe('1 message in the ingest dead-letter queue');
    const { body } = await getJson(`${stack.url}/api/tasks/${opened?.id}`, API());
    expect(body.task.description).toContain('MalformedMessageError');
    expect(body.task.description).toContain('npm run redrive');
    // Redriven (`npm run redrive`), it is received again: still poisoned, it comes back, and is never dropped.
    const redrive = await fetch(`${stack.url}/_sandbox/queues/redrive`, { method: 'POST' });
    expect(redrive.status).toBe(200);
    expect(ingestDead.depth()).toBe(0);
    await until(
      async () => ingestDead.depth(),
      (depth) => depth === 1,
      10_000,
    );
    expect(ingestDead.peek()[0]?.body).toBe(dead?.body);
  }, 120_000); // five receives and the monitor's tick: seconds alone, far more on a busy machine
});

describe('the local stack killed with SIGKILL while its queue holds a delivery', () => {
  const folder = mkdtempSync(join(tmpdir(), 'tms-queue-crash-'));
  let tms: StartedProcess | undefined;
  afterAll(async () => {
    await tms?.stop('SIGKILL');
    rmSync(folder, { recursive: true, force: true });
  }, 60_000);
  const start = () => npmStart({ TMS_DATA_DIR: folder, TMS_TICK: '1h', ...PER_ALERT_CONFIG });

  it('loses none of the delivery it acknowledged: the restart sends it to the queue again, counted once', async () => {
    tms = await start();
    // Act: acknowledged, then killed while its alerts are being recorded.
    const answer = await postJson(`${tms.url}/ingest/alertmanager`, outage('KilledOutage', 120), TOKEN);
    expect(answer.status).toBe(202);
    await tms.stop('SIGKILL');
    tms = await start();
    const url = tms.url;
    const tasks = await until(
      async () => (await allTasks(url)).filter((t) => t.title.includes('server-')),
      (found) => found.length >= 120,
      150_000,
    );
    // Assert
    expect(tasks).toHaveLength(120);
    expect(new Set(tasks.map((t) => t.title)).size).toBe(120);
    expect(tasks.every((t) => t.occurrences === 1)).toBe(true);
  }, 180_000);
});
