import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalExecution } from '../../src/local/escalations.js';
import { ShiftedClock } from '../helpers/clock.js';
import { API, getJson, inProcessStack, postJson, type TestStack } from '../helpers/local-stack.js';
import { ANA, BEN, CAL, settle, slackOf, typeOn, VIC } from '../helpers/slack.js';

// test/fixtures/config/escalation.config.yaml: checkout escalates P1/P2 under `fast` (1 s waits, every kind of
// notify step, one repeat); search under `slow` (10 minute waits). payments' weekly rotation [ana, ben] hands
// over Mondays 09:00 in Berlin from 2026-01-05: on Tuesday 2027-01-12 ben is on call, ana next.
const TUESDAY = Date.parse('2027-01-12T12:00:00.000Z');
const DEE = 'U01DDD'; // the S0LEADS user group's one member
const PAYMENTS = 'C0PAYMENTS';
const FIXTURE = JSON.parse(readFileSync('test/fixtures/generic/pagerduty-trigger.json', 'utf8'));

let stack: TestStack;
let clock: ShiftedClock;
beforeAll(async () => {
  clock = new ShiftedClock();
  clock.advance(TUESDAY - Date.now());
  stack = await inProcessStack(
    { TMS_CONFIG: 'test/fixtures/config/escalation.config.yaml' },
    // A snoozed task's escalation looks again every 100 ms here, not every five minutes.
    { clock, escalationWaits: { Paused: 100 } },
  );
});
afterAll(async () => {
  await stack.close();
});

/** The PagerDuty example event (critical: P1) for `service`, under its own dedup key: the task it opened. */
async function p1(service: string, dedupKey: string): Promise<string> {
  const event = {
    ...FIXTURE,
    routing_key: stack.secrets.INGEST_TOKEN,
    dedup_key: dedupKey,
    payload: { ...FIXTURE.payload, component: service },
  };
  expect((await postJson(`${stack.url}/ingest/generic`, event)).status).toBe(202);
  await settle(stack);
  const { body } = await getJson(`${stack.url}/api/tasks?status=all&limit=100`, API());
  const task = body.tasks.find((t: { fingerprint: string }) => t.fingerprint === `generic:${dedupKey}`);
  expect(task).toMatchObject({ priority: 'P1', service });
  return task.id as string;
}

/** Polls until `found` says yes (the executions wait real seconds): bounded, and says what it waited for. */
async function until<T>(what: string, found: () => Promise<T | undefined> | T | undefined): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const value = await found();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

const execution = async (name: string): Promise<LocalExecution | undefined> =>
  ((await getJson(`${stack.url}/_sandbox/escalations`)).body.executions as LocalExecution[]).find(
    (e) => e.name === name,
  );
const finished = (name: string) =>
  until(`${name} to finish`, async () => {
    const found = await execution(name);
    return found && found.status !== 'RUNNING' ? found : undefined;
  });

/** The messages of a channel (or a person's DMs) that are about `taskId`. */
async function about(taskId: string, channel: string): Promise<string[]> {
  const { body } = await getJson(`${stack.url}/_sandbox/slack/messages?channel=${channel}`);
  return (body.messages as { text: string }[]).map((m) => m.text).filter((t) => t.includes(`*${taskId}*`));
}
const dm = (user: string) => `D${user.slice(1)}`;
const snsAbout = async (taskId: string): Promise<{ subject: string }[]> =>
  ((await getJson(`${stack.url}/_sandbox/sns/messages`)).body.messages as { subject: string }[]).filter((m) =>
    m.subject.startsWith(`${taskId} `),
  );

describe('escalation on the local stack', () => {
  it('climbs every step of a P1 nobody acknowledges, rounds and all, then ends', async () => {
    // Act
    const id = await p1('checkout', 'escalation/climb');
    const run = await finished(`${id}-1`);
    await settle(stack);

    // Assess: the execution of the synthesized definition ran to its end through every state kind.
    expect(run.status).toBe('SUCCEEDED');
    const states = new Set(run.states.map((s) => s.name));
    for (const state of ['Check', 'IsOpen', 'TakeStep', 'AfterStep', 'Waiting', 'Done'])
      expect(states).toContain(state);
    // Each notify step reached its people, once per round: the on-call (ben), the next one (ana), a named
    // user (cal), the user group's member (dee), the team channel with @here, and the topic.
    for (const user of [BEN, ANA, CAL, DEE]) {
      const pages = (await about(id, dm(user))).filter((t) => t.includes('needs someone'));
      expect(pages, user).toHaveLength(2);
    }
    expect((await about(id, dm(BEN)))[0]).toContain('as the on-call for payments');
    expect((await about(id, dm(ANA)))[0]).toContain('as the next on-call for payments');
    const here = (await about(id, PAYMENTS)).filter((t) => t.startsWith('<!here>'));
    expect(here).toHaveLength(2);
    expect((await snsAbout(id)).filter((m) => m.subject.includes('escalated'))).toHaveLength(2);
    // The thread and the timeline say each step, and the end.
    const thread = slackOf(stack)
      .thread(id)
      .map((m) => m.text)
      .join('\n');
    expect(thread).toContain('Escalation (fast step 2 of 10): notified ben (on call)');
    expect(thread).toContain('round 2');
    expect(thread).toContain('took every step and nobody acknowledged');
    const { body } = await getJson(`${stack.url}/api/tasks/${id}`, API());
    expect(body.task.escalation).toMatchObject({ state: 'ended', run: 1, taken: 12 });
    expect(slackOf(stack).cardText(id)).toContain('escalation (fast) took every step');
  });

  it('stops the moment the task is acknowledged, and tells everyone it had notified, once', async () => {
    // Prepare: the run reaches the topic (step 6), then waits ten minutes before cal.
    const id = await p1('billing', 'escalation/ack');
    await until('the topic to be paged', async () => (await snsAbout(id)).length > 0);

    // Act: ben, on call, acknowledges from Slack.
    const reply = await typeOn(stack, clock, `ack ${id}`, BEN);
    const run = await finished(`${id}-1`);
    await settle(stack);

    // Assess
    expect(reply).toContain('You acknowledged');
    expect(run.status).toBe('ABORTED');
    expect(await about(id, dm(CAL))).toEqual([]);
    const told = (user: string) =>
      about(id, dm(user)).then((ts) => ts.filter((t) => t.includes('was acknowledged')));
    expect(await told(ANA)).toHaveLength(1);
    expect((await told(ANA))[0]).toContain(`by <@${BEN}>`);
    // Who acknowledged is not told what they did.
    expect(await told(BEN)).toEqual([]);
    expect((await about(id, PAYMENTS)).filter((t) => t.includes('was acknowledged'))).toHaveLength(1);
    expect((await snsAbout(id)).map((m) => m.subject)).toEqual([
      expect.stringContaining('escalated'),
      expect.stringContaining('acknowledged'),
    ]);

    // Act: resolving it later tells nobody again.
    await typeOn(stack, clock, `resolve ${id} disk cleaned`, BEN);
    await settle(stack);

    // Assess
    expect(await told(ANA)).toHaveLength(1);
    const { body } = await getJson(`${stack.url}/api/tasks/${id}`, API());
    const steps = body.timeline.filter((e: { type: string }) => e.type === 'escalated');
    expect(steps.map((e: { step: number }) => e.step)).toEqual([2, 4, 5, 6]);
  });

  it('pauses while the task is snoozed and goes on when the snooze ends', async () => {
    // Prepare: snoozed within the policy's three seconds of grace, before anyone is paged.
    const id = await p1('batch', 'escalation/snooze');
    await typeOn(stack, clock, `snooze ${id} 1h`, BEN);
    await until('the run to pause', async () =>
      (await execution(`${id}-1`))?.states.some((s) => s.name === 'Paused'),
    );

    // Assess: paused, nobody paged
    expect(await about(id, dm(BEN))).toEqual([]);

    // Act
    await typeOn(stack, clock, `unsnooze ${id}`, BEN);
    const paged = await until('ben to be paged', async () =>
      (await about(id, dm(BEN))).find((t) => t.includes('needs someone')),
    );

    // Assess: the page came after the snooze ended, never during it.
    expect(paged).toContain('as the on-call for payments');
    const { body } = await getJson(`${stack.url}/api/tasks/${id}`, API());
    const order = body.timeline
      .map((e: { type: string }) => e.type)
      .filter((t: string) => ['snoozed', 'unsnoozed', 'escalated'].includes(t));
    expect(order).toEqual(['snoozed', 'unsnoozed', 'escalated']);
    expect((await finished(`${id}-1`)).status).toBe('SUCCEEDED');
  });

  it('jumps to the next step when a person escalates, and says who was paged', async () => {
    // Prepare: search waits ten minutes before its first page.
    const id = await p1('search', 'escalation/by-hand');

    // Act
    const first = await typeOn(stack, clock, `escalate ${id}`, CAL);
    await settle(stack);

    // Assess: ben paged now, the reply saying so; the escalation goes on from the step after.
    expect(first).toContain(`You escalated *${id}* (slow): paging <@${BEN}> (on call)`);
    const pages = (await about(id, dm(BEN))).filter((t) => t.includes('needs someone'));
    expect(pages).toHaveLength(1);
    expect(pages[0]).toContain(`<@${CAL}> escalated *${id}*`);
    expect((await execution(`${id}-1`))?.status).toBe('RUNNING');
    expect(slackOf(stack).cardText(id)).toContain(`escalating (slow), paged <@${BEN}>`);

    // Act: the next jump pages the channel; the one after has nothing left.
    const second = await typeOn(stack, clock, `escalate ${id}`, CAL);
    await settle(stack);
    const third = await typeOn(stack, clock, `escalate ${id}`, CAL);

    // Assess
    expect(second).toContain(`paging <#${PAYMENTS}> (with @here)`);
    expect((await about(id, PAYMENTS)).filter((t) => t.startsWith('<!here>'))).toHaveLength(1);
    expect(third).toContain('has now been through every step');
    // Its execution, waiting out a step a person already took, is stopped rather than left to wake.
    expect((await finished(`${id}-1`)).status).toBe('ABORTED');
  });

  it('refuses to escalate for a viewer, and for a task that is not escalating, saying why', async () => {
    // Prepare
    const id = await p1('search', 'escalation/refusals');

    // Act
    const viewer = await typeOn(stack, clock, `escalate ${id}`, VIC);
    await typeOn(stack, clock, `ack ${id}`, BEN);
    const acknowledged = await typeOn(stack, clock, `escalate ${id}`, CAL);
    const nothing = await typeOn(stack, clock, 'escalate TMS-9999', CAL);
    const api = await postJson(`${stack.url}/api/tasks/${id}/actions`, { action: 'escalate' }, API());

    // Assess
    expect(viewer).toContain('read-only access');
    expect(acknowledged).toContain(`was acknowledged by <@${BEN}>, so its escalation has stopped`);
    expect(nothing).toContain('There is no task TMS-9999');
    expect(api.status).toBe(409);
    expect(api.body.error.code).toBe('TASK_ALREADY_ACKNOWLEDGED');
  });
});

describe('an escalation step that keeps failing', () => {
  let failing: TestStack;
  beforeAll(async () => {
    const shifted = new ShiftedClock();
    shifted.advance(TUESDAY - Date.now());
    failing = await inProcessStack(
      { TMS_CONFIG: 'test/fixtures/config/escalation.config.yaml' },
      // Its retries come 10 ms apart here, not after 3, 6 and 12 seconds.
      { clock: shifted, escalationRetryMs: 10 },
    );
  });
  afterAll(async () => {
    await failing.close();
  });

  it('is retried, then recorded on the task, and the execution fails (what the alarm watches)', async () => {
    // Prepare: Slack errs on every post for a while, so the first page cannot be sent.
    const event = {
      ...FIXTURE,
      routing_key: failing.secrets.INGEST_TOKEN,
      dedup_key: 'escalation/failing',
      payload: { ...FIXTURE.payload, component: 'checkout' },
    };
    expect(
      (
        await postJson(`${failing.url}/_sandbox/slack/faults`, {
          method: 'chat.postMessage',
          error: 'internal_error',
          count: 1000,
        })
      ).status,
    ).toBe(200);

    // Act
    expect((await postJson(`${failing.url}/ingest/generic`, event)).status).toBe(202);
    const run = await until('the failing run to end', () => {
      const found = failing.escalations.executions().find((e) => e.name === 'TMS-1-1');
      return found && found.status !== 'RUNNING' ? found : undefined;
    });
    await failing.idle();

    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.states.map((s) => s.name)).toContain('RecordFailure');
    const { body } = await getJson(`${failing.url}/api/tasks/TMS-1`, API());
    expect(body.task.escalation).toMatchObject({
      state: 'failed',
      error: expect.stringContaining('internal_error'),
    });
    const ended = body.timeline.filter((e: { type: string }) => e.type === 'escalation_ended');
    expect(ended).toEqual([expect.objectContaining({ reason: 'failed' })]);
  });
});
