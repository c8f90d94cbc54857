import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { Schedule } from '../../src/core/schedule.js';
import type { Task } from '../../src/core/task.js';
import { createSchedule } from '../../src/core/use-cases/schedules.js';
import { verifyWebhook } from '../../src/core/webhook-signature.js';
import { runSchedules, syncConfigSchedules } from '../../src/jobs/schedules.js';
import { ShiftedClock } from '../helpers/clock.js';
import { API, getJson, inProcessStack, postJson, type TestStack } from '../helpers/local-stack.js';

const SCHEDULES_CONFIG = { TMS_CONFIG: 'test/fixtures/config/schedules.config.yaml' };
const SECOND = 1_000;
const DAY = 86_400_000;
/** Repeats run on the minute (cron's granularity); the first run is when it was asked for, to the second. */
const onTheMinute = (iso: string, plus: number) =>
  new Date(Math.floor(Date.parse(iso) / 60_000) * 60_000 + plus).toISOString();

let stacks: TestStack[] = [];
let receivers: Server[] = [];
afterEach(async () => {
  await Promise.all(stacks.map((stack) => stack.close()));
  await Promise.all(receivers.map((server) => new Promise((resolve) => server.close(resolve))));
  stacks = [];
  receivers = [];
});

/** The local stack on a clock the test moves, its waits (webhook backoff) passing on that clock at once. */
async function stackOn(env: NodeJS.ProcessEnv = SCHEDULES_CONFIG) {
  const clock = new ShiftedClock();
  const stack = await inProcessStack(env, { clock, sleep: clock.sleep });
  stacks.push(stack);
  return { stack, clock };
}

async function schedule(stack: TestStack, fields: Partial<Parameters<typeof createSchedule>[1]>) {
  const { deps } = stack;
  const made = await createSchedule(
    { ...deps, webhooksEnabled: deps.webhooks !== undefined },
    {
      title: 'Check the backups restore',
      at: new Date(deps.clock.now().getTime() + 3 * SECOND),
      timezone: 'Europe/Berlin',
      action: 'task',
      service: 'checkout',
      ...fields,
    },
    { user: 'U01AAA', role: 'developer', origin: 'slack' },
  );
  if (!made.ok) throw new Error(made.error.message);
  return made.value;
}

async function choresOf(stack: TestStack, id: string): Promise<Task[]> {
  const { body } = await getJson(`${stack.url}/api/tasks?status=open`, API());
  return (body.tasks as Task[]).filter((task) => task.labels.schedule === id);
}

/** A webhook receiver on 127.0.0.1 answering each call with the next status of `answers` (the last repeats). */
async function receiver(answers: number[]) {
  const calls: { headers: IncomingHttpHeaders; body: string; url: string }[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      calls.push({
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        url: request.url ?? '',
      });
      const status = answers[Math.min(calls.length - 1, answers.length - 1)] ?? 200;
      response
        .writeHead(status, { 'content-type': 'text/plain' })
        .end(status >= 400 ? 'receiver is down for maintenance' : 'ok');
    });
  });
  receivers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  return { calls, url: `http://127.0.0.1:${port}/hooks/tms?team=payments` };
}

describe('a chore that falls due', () => {
  it('opens its task once, with its card, however often the tick is delivered', async () => {
    // Prepare
    const { stack, clock } = await stackOn();
    const chore = await schedule(stack, { every: 'day' });
    clock.advance(5 * SECOND);

    // Act: the tick three times, two of them at once (a redelivered EventBridge event, a click on a tick)
    await Promise.all([
      postJson(`${stack.url}/_sandbox/tick`, {}),
      postJson(`${stack.url}/_sandbox/tick`, {}),
    ]);
    await postJson(`${stack.url}/_sandbox/tick`, {});

    // Assess
    const tasks = await choresOf(stack, chore.id);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({
      title: 'Check the backups restore',
      kind: 'chore',
      source: 'schedule',
      service: 'checkout',
      channel: 'C0CHECKOUT',
    });
    expect(tasks[0]?.description).toContain(chore.id);
    const runs = await stack.deps.schedules.listRuns(chore.id, 10);
    expect(runs).toEqual([
      expect.objectContaining({ scheduledFor: chore.at, status: 'completed', taskId: tasks[0]?.id }),
    ]);
    const after = (await stack.deps.schedules.getSchedule(chore.id)) as Schedule;
    expect(after.nextRunAt).toBe(onTheMinute(chore.at, DAY));
    expect(after.lastRun).toMatchObject({ status: 'completed', taskId: tasks[0]?.id });
    const cards = stack.slack
      .messages('C0CHECKOUT')
      .filter((m) => JSON.stringify(m.blocks).includes(`${tasks[0]?.id}`));
    expect(cards).toHaveLength(1);
  });

  it('runs once when two sweepers find it due at the same moment', async () => {
    // Prepare
    const { stack, clock } = await stackOn();
    const chore = await schedule(stack, {});
    clock.advance(5 * SECOND);
    const now = clock.now();

    // Act
    const [first, second] = await Promise.all([runSchedules(stack.deps, now), runSchedules(stack.deps, now)]);

    // Assess
    expect(await choresOf(stack, chore.id)).toHaveLength(1);
    expect(await stack.deps.schedules.listRuns(chore.id, 10)).toHaveLength(1);
    const ran = [first, second].map((report) => (report === 'no store' ? 0 : report.ran));
    expect(ran.sort()).toEqual([0, 1]);
    // A one-off that ran is done: nothing is due any more.
    expect(await stack.deps.schedules.getSchedule(chore.id)).toMatchObject({
      nextRunAt: null,
      status: 'completed',
    });
  });

  it('is opened by the next sweeper, with the same task number, when the one that began it died', async () => {
    // Prepare: a sweeper took the run and noted the task number it would use, then was killed.
    const { stack, clock } = await stackOn();
    const chore = await schedule(stack, {});
    clock.advance(5 * SECOND);
    const { schedules, store } = stack.deps;
    const taskId = `TMS-${await store.nextTaskNumber()}`;
    const startedAt = clock.now().toISOString();
    const leaseUntil = new Date(clock.now().getTime() + 120 * SECOND).toISOString();
    await schedules.beginRun(
      { scheduleId: chore.id, scheduledFor: chore.at, status: 'running', startedAt },
      'killed-sweeper',
      leaseUntil,
      startedAt,
    );
    await schedules.noteRunTask(chore.id, chore.at, 'killed-sweeper', taskId);

    // Act: a tick while its lease holds, then one after
    await stack.tick();
    const whileHeld = await choresOf(stack, chore.id);
    clock.advance(121 * SECOND);
    await postJson(`${stack.url}/_sandbox/tick`, {});

    // Assess
    expect(whileHeld).toEqual([]);
    const tasks = await choresOf(stack, chore.id);
    expect(tasks.map((t) => t.id)).toEqual([taskId]);
    expect(await schedules.listRuns(chore.id, 10)).toEqual([
      expect.objectContaining({ status: 'completed', taskId, startedAt }),
    ]);
  });

  it('missed while TMS was down runs once, late, says so on its card, and goes on from the next occurrence', async () => {
    // Prepare: a daily chore, and TMS down for three days and an hour after it was first due
    const { stack, clock } = await stackOn();
    const chore = await schedule(stack, { every: 'day' });
    clock.advance(3 * DAY + 3_600 * SECOND);

    // Act
    await postJson(`${stack.url}/_sandbox/tick`, {});
    await postJson(`${stack.url}/_sandbox/tick`, {});

    // Assess
    const tasks = await choresOf(stack, chore.id);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]?.labels).toMatchObject({ schedule: chore.id, late: 'true' });
    expect(tasks[0]?.description).toContain('while TMS was not running: it ran once, late');
    expect(tasks[0]?.description).toContain(
      '3 later occurrences that also passed meanwhile were not run again',
    );
    const [run] = await stack.deps.schedules.listRuns(chore.id, 10);
    expect(run).toMatchObject({ scheduledFor: chore.at, late: true, skipped: 3, status: 'completed' });
    const after = (await stack.deps.schedules.getSchedule(chore.id)) as Schedule;
    expect(after.nextRunAt).toBe(onTheMinute(chore.at, 4 * DAY));
    const card = stack.slack
      .messages('C0CHECKOUT')
      .find((m) => JSON.stringify(m.blocks).includes(`${tasks[0]?.id}`));
    expect(JSON.stringify(card?.blocks)).toContain('ran once, late');
  });
});

describe('a reminder that falls due', () => {
  it('is posted into its channel once, and a channel Slack refuses ends the run failed with a task about it', async () => {
    // Prepare
    const { stack, clock } = await stackOn();
    const reminder = await schedule(stack, {
      title: 'Stand-up notes <due> & shared',
      action: 'message',
      channel: 'C0PAYMENTS',
      service: undefined,
    });
    clock.advance(5 * SECOND);
    await postJson(`${stack.url}/_sandbox/tick`, {});
    const gone = await schedule(stack, {
      title: 'Into the void',
      action: 'message',
      channel: 'C0GONE',
      service: undefined,
    });
    await postJson(`${stack.url}/_sandbox/slack/faults`, {
      method: 'chat.postMessage',
      error: 'channel_not_found',
    });
    clock.advance(5 * SECOND);

    // Act
    await postJson(`${stack.url}/_sandbox/tick`, {});
    await postJson(`${stack.url}/_sandbox/tick`, {});

    // Assess
    const posted = stack.slack.messages('C0PAYMENTS').filter((m) => m.text.includes('Reminder'));
    expect(posted).toHaveLength(1);
    expect(posted[0]?.text).toContain('Stand-up notes &lt;due&gt; &amp; shared');
    expect(await stack.deps.schedules.listRuns(reminder.id, 10)).toEqual([
      expect.objectContaining({ status: 'completed' }),
    ]);
    const [failed] = await stack.deps.schedules.listRuns(gone.id, 10);
    expect(failed).toMatchObject({
      status: 'failed',
      error: 'Slack refused the reminder: channel_not_found',
    });
    const { body } = await getJson(`${stack.url}/api/tasks?status=open`, API());
    expect((body.tasks as Task[]).filter((t) => t.fingerprint === `schedule-failed:${gone.id}`)).toHaveLength(
      1,
    );
  });
});

describe('a run that never finishes', () => {
  it('is given up on after three sweepers began it, failed with a task about it, and the schedule goes on', async () => {
    // Prepare: Slack fails every post with an error worth retrying, for longer than TMS retries
    const { stack, clock } = await stackOn();
    const reminder = await schedule(stack, {
      title: 'Rotate the on-call notes',
      action: 'message',
      channel: 'C0PAYMENTS',
      every: 'day',
    });
    await postJson(`${stack.url}/_sandbox/slack/faults`, {
      method: 'chat.postMessage',
      error: 'internal_error',
      count: 50,
    });
    clock.advance(5 * SECOND);

    // Act: a sweep, then one after each lease has run out
    const reports: Awaited<ReturnType<typeof runSchedules>>[] = [];
    for (let sweep = 0; sweep < 4; sweep++) {
      reports.push(await runSchedules(stack.deps, clock.now()));
      clock.advance(121 * SECOND);
    }

    // Assess
    expect(reports.map((r) => (r === 'no store' ? r : [r.errors, r.failed]))).toEqual([
      [1, 0],
      [1, 0],
      [1, 0],
      [0, 1],
    ]);
    const [run] = await stack.deps.schedules.listRuns(reminder.id, 10);
    expect(run).toMatchObject({ status: 'failed', begun: 4 });
    expect(run?.error).toContain('3 sweepers began this run and none finished it');
    const after = await stack.deps.schedules.getSchedule(reminder.id);
    expect(after).toMatchObject({ status: 'scheduled', nextRunAt: onTheMinute(reminder.at, DAY) });
    const { body } = await getJson(`${stack.url}/api/tasks?status=open`, API());
    expect(
      (body.tasks as Task[]).filter((t) => t.fingerprint === `schedule-failed:${reminder.id}`),
    ).toHaveLength(1);
  });
});

describe('a webhook that falls due', () => {
  it('POSTs a signed JSON body that the receiver verifies with the shared secret', async () => {
    // Prepare
    const { stack, clock } = await stackOn();
    const hook = await receiver([200]);
    const made = await schedule(stack, {
      title: 'Nightly export',
      action: 'webhook',
      url: hook.url,
      service: undefined,
    });
    clock.advance(5 * SECOND);

    // Act
    await postJson(`${stack.url}/_sandbox/tick`, {});
    await postJson(`${stack.url}/_sandbox/tick`, {});

    // Assess
    expect(hook.calls).toHaveLength(1);
    const [call] = hook.calls;
    expect(call?.url).toBe('/hooks/tms?team=payments');
    expect(call?.headers['content-type']).toBe('application/json');
    expect(call?.headers['x-tms-delivery']).toBe(`${made.id}/${made.at}`);
    const verified = verifyWebhook(
      stack.secrets.TMS_WEBHOOK_SECRET,
      {
        signature: call?.headers['x-tms-signature-256'] as string,
        timestamp: call?.headers['x-tms-timestamp'] as string,
      },
      call?.body ?? '',
      clock.now(),
    );
    expect(verified.ok).toBe(true);
    expect(
      verifyWebhook(
        'another-secret',
        {
          signature: call?.headers['x-tms-signature-256'] as string,
          timestamp: call?.headers['x-tms-timestamp'] as string,
        },
        call?.body ?? '',
        clock.now(),
      ).ok,
    ).toBe(false);
    expect(JSON.parse(call?.body ?? '{}')).toMatchObject({
      deliveryId: `${made.id}/${made.at}`,
      schedule: { id: made.id, title: 'Nightly export', every: null, timezone: 'Europe/Berlin' },
      scheduledFor: made.at,
      late: false,
    });
    expect(await stack.deps.schedules.listRuns(made.id, 10)).toEqual([
      expect.objectContaining({ status: 'completed', attempts: 1 }),
    ]);
  });

  it('to a receiver that keeps failing is retried with backoff, then fails the run and opens a task about it', async () => {
    // Prepare
    const { stack, clock } = await stackOn();
    const hook = await receiver([503]);
    const made = await schedule(stack, {
      title: 'Warm the caches',
      action: 'webhook',
      url: hook.url,
      every: 'day',
    });
    clock.advance(5 * SECOND);

    // Act
    await postJson(`${stack.url}/_sandbox/tick`, {});

    // Assess
    expect(hook.calls).toHaveLength(3);
    expect(new Set(hook.calls.map((c) => c.headers['x-tms-delivery']))).toEqual(
      new Set([`${made.id}/${made.at}`]),
    );
    const [run] = await stack.deps.schedules.listRuns(made.id, 10);
    expect(run).toMatchObject({ status: 'failed', attempts: 3 });
    expect(run?.error).toContain('answered 503');
    expect(run?.error).toContain('receiver is down for maintenance');
    const { body } = await getJson(`${stack.url}/api/tasks?status=open`, API());
    const about = (body.tasks as Task[]).filter((t) => t.fingerprint === `schedule-failed:${made.id}`);
    expect(about).toHaveLength(1);
    expect(about[0]).toMatchObject({ id: run?.taskId, source: 'tms', service: 'checkout' });
    expect(about[0]?.title).toContain('Warm the caches');
    expect(about[0]?.description).toContain('answered 503');
    // The schedule goes on: tomorrow's run is due, and it says the last one failed.
    expect(await stack.deps.schedules.getSchedule(made.id)).toMatchObject({
      status: 'scheduled',
      lastRun: { status: 'failed', taskId: run?.taskId },
      nextRunAt: onTheMinute(made.at, DAY),
    });
  });

  it('to an address inside the network is refused unless webhooks.allowHosts names the host', async () => {
    // Prepare: the default config allows no host, and the receiver listens on loopback
    const { stack, clock } = await stackOn({});
    const hook = await receiver([200]);
    const made = await schedule(stack, {
      title: 'Poke the metadata',
      action: 'webhook',
      url: hook.url,
      service: undefined,
    });
    clock.advance(5 * SECOND);

    // Act
    await postJson(`${stack.url}/_sandbox/tick`, {});

    // Assess
    expect(hook.calls).toEqual([]);
    const [run] = await stack.deps.schedules.listRuns(made.id, 10);
    expect(run?.status).toBe('failed');
    expect(run?.error).toContain('loopback');
    expect(run?.error).toContain('webhooks.allowHosts');
  });
});

describe("the config's schedules", () => {
  it('are in the store after a tick, from their next occurrence, and leave it when the config drops them', async () => {
    // Prepare
    const { stack, clock } = await stackOn();

    // Act
    await stack.tick();
    const listed = (await stack.deps.schedules.listSchedules()).filter((s) => s.origin === 'config');
    const dropped = await syncConfigSchedules(
      { ...stack.deps, config: { ...stack.deps.config, schedules: [] } },
      clock.now(),
    );

    // Assess
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      title: 'Rotate TLS certificates',
      every: 'month',
      timezone: 'Europe/Berlin',
      origin: 'config',
    });
    expect(Date.parse(listed[0]?.nextRunAt ?? '')).toBeGreaterThan(clock.now().getTime());
    // Monthly from the 31st of January: on the last day of shorter months, at 09:00 in Berlin.
    expect(
      new Date(listed[0]?.nextRunAt ?? '').toLocaleString('en-GB', {
        timeZone: 'Europe/Berlin',
        hour: '2-digit',
        minute: '2-digit',
      }),
    ).toBe('09:00');
    expect(dropped).toEqual({ added: 0, removed: 1 });
    expect((await stack.deps.schedules.listSchedules()).filter((s) => s.origin === 'config')).toEqual([]);
  });
});
