import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_ID } from '../../src/bot/ids.js';
import { ManualClock } from '../../src/core/time.js';
import type { TimelineEntry } from '../../src/core/timeline.js';
import { progressedSince, remindAcknowledged } from '../../src/jobs/ack-reminders.js';
import { API, getJson, inProcessStack, postJson, type TestStack } from '../helpers/local-stack.js';
import { ANA, BEN, settle, slackOf, typeOn } from '../helpers/slack.js';

let stack: TestStack;
// The default config: remindAfter 1h. Tasks typed in land in `general`, which has no team, no rotation and no
// escalation, so the only DMs that say :hourglass: are the reminders.
const clock = new ManualClock('2026-12-04T10:00:00.000Z');
const MINUTE = 60_000;
const FIXTURE = JSON.parse(readFileSync('test/fixtures/generic/pagerduty-trigger.json', 'utf8'));

beforeAll(async () => {
  stack = await inProcessStack({}, { clock });
}, 60_000);
afterAll(() => stack?.close(), 60_000);

const tms = (text: string, user = ANA) => typeOn(stack, clock, text, user);
const later = (minutes: number) =>
  clock.set(new Date(clock.now().getTime() + minutes * MINUTE).toISOString());
/** One sweep of the stack's schedule, `minutes` after the clock's time. */
async function sweepIn(minutes: number): Promise<void> {
  later(minutes);
  await stack.tick();
  await settle(stack);
}
/** The reminders about `taskId` in `user`'s DMs. */
const reminders = (user: string, taskId: string) =>
  slackOf(stack)
    .dms(user)
    .filter((m) => m.text.startsWith(':hourglass:') && m.text.includes(`|${taskId}>`));
/** A new task typed by ana, its id. */
async function newTask(words: string): Promise<string> {
  const reply = await tms(`new ${words}`);
  const id = /TMS-\d+/.exec(reply)?.[0];
  if (!id) throw new Error(`no task id in "${reply}"`);
  return id;
}

/** The PagerDuty example alert (a warning: P3, in `general`) fired now: its task as the API shows it. */
async function fire(dedupKey: string): Promise<{ id: string; occurrences: number }> {
  const event = {
    ...FIXTURE,
    routing_key: stack.secrets.INGEST_TOKEN,
    dedup_key: dedupKey,
    payload: { ...FIXTURE.payload, severity: 'warning', timestamp: clock.now().toISOString() },
  };
  expect((await postJson(`${stack.url}/ingest/generic`, event)).status).toBe(202);
  await settle(stack);
  const { body } = await getJson(`${stack.url}/api/tasks?status=all&limit=100`, API());
  const task = body.tasks.find((t: { fingerprint: string }) => t.fingerprint === `generic:${dedupKey}`);
  return { id: task.id, occurrences: task.occurrences };
}

describe('acknowledgement reminders', () => {
  it('reminds the assignee once, with the card and its buttons, an hour after the acknowledgement', async () => {
    // Prepare: assigned to ben, acknowledged by ana.
    const id = await newTask(`Disk &lt;full&gt; on db-3 &amp; db-4 <@${BEN}|ben>`);
    await tms(`ack ${id}`);
    // Act
    await sweepIn(59);
    const early = reminders(BEN, id).length;
    await sweepIn(2);
    await sweepIn(1);
    await sweepIn(30);
    // Assess
    expect(early).toBe(0);
    const sent = reminders(BEN, id);
    expect(sent).toHaveLength(1);
    // The task named by its card's permalink, the title escaped.
    expect(sent[0]?.text).toMatch(/^:hourglass: <http[^|>]+\|TMS-\d+> /);
    expect(
      sent[0]?.text.endsWith(
        `|${id}> (P3, Disk &lt;full&gt; on db-3 &amp; db-4) was acknowledged 1 hour ago and nothing has happened since: start it, comment, or resolve it.`,
      ),
    ).toBe(true);
    const blocks = JSON.stringify(sent[0]?.blocks);
    expect(blocks).toContain(ACTION_ID.start);
    expect(blocks).toContain(ACTION_ID.resolve);
    expect(reminders(ANA, id)).toHaveLength(0);
  });

  it('reminds whoever acknowledged a task nobody is assigned', async () => {
    // Prepare
    const id = await newTask('Nightly export failed');
    await tms(`ack ${id}`, BEN);
    // Act
    await sweepIn(61);
    // Assess
    expect(reminders(BEN, id)).toHaveLength(1);
    expect(reminders(ANA, id)).toHaveLength(0);
  });

  it('does not remind a task commented on, started or resolved after its acknowledgement', async () => {
    // Prepare
    const commented = await newTask(`Queue backlog <@${BEN}|ben>`);
    const started = await newTask(`Cache misses <@${BEN}|ben>`);
    const resolved = await newTask(`Cert expiring <@${BEN}|ben>`);
    const untouched = await newTask(`Slow search <@${BEN}|ben>`);
    for (const id of [commented, started, resolved, untouched]) await tms(`ack ${id}`);
    later(10);
    await tms(`comment ${commented} looking at the consumer`, BEN);
    await tms(`start ${started}`, BEN);
    await tms(`resolve ${resolved} renewed`, BEN);
    // Act
    await sweepIn(55);
    await sweepIn(1);
    // Assess
    expect(reminders(BEN, commented)).toHaveLength(0);
    expect(reminders(BEN, started)).toHaveLength(0);
    expect(reminders(BEN, resolved)).toHaveLength(0);
    expect(reminders(BEN, untouched)).toHaveLength(1);
  });

  it('reminds an alert task that only fired again after its acknowledgement', async () => {
    // Prepare
    const { id } = await fire('ack-reminders/disk');
    await tms(`ack ${id}`, BEN);
    later(10);
    const { occurrences } = await fire('ack-reminders/disk');
    // Act
    await sweepIn(51);
    // Assess
    expect(occurrences).toBe(2);
    expect(reminders(BEN, id)).toHaveLength(1);
  });

  it('reminds nobody when escalation.remindAfter is false', async () => {
    // Prepare
    const id = await newTask(`Webhook retries <@${BEN}|ben>`);
    await tms(`ack ${id}`);
    later(120);
    const never = {
      ...stack.deps,
      config: {
        ...stack.deps.config,
        escalation: { ...stack.deps.config.escalation, remindAfter: false as const },
      },
    };
    // Act
    const off = await remindAcknowledged(never, clock.now());
    const on = await remindAcknowledged(stack.deps, clock.now());
    // Assess
    expect(off).toEqual({ checked: 0, reminded: 0 });
    expect(on.reminded).toBe(1);
    expect(reminders(BEN, id)).toHaveLength(1);
  });

  it('reminds a reopened task again once it is acknowledged again', async () => {
    // Prepare: reminded once for its first acknowledgement.
    const id = await newTask(`Login errors <@${BEN}|ben>`);
    await tms(`ack ${id}`, BEN);
    await sweepIn(61);
    const first = reminders(BEN, id).length;
    await tms(`resolve ${id} restarted`, BEN);
    later(5);
    await tms(`reopen ${id}`, BEN);
    await tms(`ack ${id}`, BEN);
    // Act
    await sweepIn(30);
    const before = reminders(BEN, id).length;
    await sweepIn(31);
    await sweepIn(1);
    // Assess
    expect(first).toBe(1);
    expect(before).toBe(1);
    expect(reminders(BEN, id)).toHaveLength(2);
  });

  it('goes on past a Slack failure, and sends the reminder on a later sweep', async () => {
    // Prepare: one task Slack fails for now, the next for good; a third is sent in the same sweep.
    const failing = await newTask(`Payments timeout <@${BEN}|ben>`);
    await tms(`ack ${failing}`);
    later(61);
    stack.slack.addFault({ method: 'chat.postMessage', error: 'internal_error', retryAfter: 1, count: 1 });
    // Act
    const during = await remindAcknowledged(stack.deps, clock.now());
    const afterwards = await remindAcknowledged(stack.deps, clock.now());
    const again = await remindAcknowledged(stack.deps, clock.now());
    // Assess
    expect(during.reminded).toBe(0);
    expect(afterwards.reminded).toBe(1);
    expect(again.reminded).toBe(0);
    expect(reminders(BEN, failing)).toHaveLength(1);
  });

  it('gives up a reminder Slack refuses for good, and is not asked again', async () => {
    // Prepare
    const id = await newTask(`Archive job stuck <@${BEN}|ben>`);
    await tms(`ack ${id}`);
    later(61);
    stack.slack.addFault({ method: 'chat.postMessage', error: 'is_archived', retryAfter: 1, count: 1 });
    // Act
    const refused = await remindAcknowledged(stack.deps, clock.now());
    const next = await remindAcknowledged(stack.deps, clock.now());
    // Assess
    expect(refused.reminded).toBe(0);
    expect(next.reminded).toBe(0);
    expect(reminders(BEN, id)).toHaveLength(0);
  });
});

describe('progressedSince', () => {
  const base = { taskId: 'TMS-1', actor: { type: 'user', id: ANA }, via: 'slack', seq: 0 } as const;
  const at = (minute: number) => new Date(Date.UTC(2026, 11, 4, 10, minute)).toISOString();
  const acknowledged: TimelineEntry = { ...base, type: 'acknowledged', version: 2, at: at(0) };
  const opened: TimelineEntry = {
    ...base,
    type: 'opened',
    version: 1,
    at: at(0),
    title: 'x',
    priority: 'P1',
    service: 'checkout',
    assignee: null,
  };
  const occurred: TimelineEntry = { ...base, type: 'occurred', version: 3, at: at(5), occurrences: 2 };
  const escalationEnded: TimelineEntry = {
    ...base,
    type: 'escalation_ended',
    version: 4,
    at: at(6),
    policy: 'default',
    reason: 'exhausted',
  };
  const commented: TimelineEntry = { ...base, type: 'commented', version: 5, at: at(7), text: 'on it' };

  it('counts repeats of the alert and escalation lines as no progress, anything else as progress', () => {
    // Act
    const repeats = progressedSince([opened, acknowledged, occurred, escalationEnded], at(0));
    const comment = progressedSince([opened, acknowledged, occurred, commented], at(0));
    // Assess
    expect(repeats).toBe(false);
    expect(comment).toBe(true);
  });

  it('looks only after the latest acknowledgement, and by time when the history has none', () => {
    // Prepare: a comment of an earlier round, before the task was acknowledged again.
    const again: TimelineEntry = { ...acknowledged, version: 6, at: at(8) };
    // Act
    const latest = progressedSince(
      [opened, acknowledged, commented, again, { ...occurred, version: 7, at: at(9) }],
      at(8),
    );
    const noAck = progressedSince([opened, commented], at(0));
    const noAckBefore = progressedSince([opened, commented], at(9));
    // Assess
    expect(latest).toBe(false);
    expect(noAck).toBe(true);
    expect(noAckBefore).toBe(false);
  });
});
