import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcileCards, syncCard } from '../../src/jobs/card-sync.js';
import { ONCE_LEASE_MS } from '../../src/jobs/once.js';
import { warnSla } from '../../src/jobs/sla-warnings.js';
import { ShiftedClock } from '../helpers/clock.js';
import { API, getJson, inProcessStack, type TestStack } from '../helpers/local-stack.js';
import { ANA, BEN, GENERAL, settle, slackOf } from '../helpers/slack.js';

let stack: TestStack;
/** The stack's waits (card pacing, Retry-After) pass on this clock instead of taking real time. */
const clock = new ShiftedClock();
let slack: ReturnType<typeof slackOf>;
beforeAll(async () => {
  stack = await inProcessStack({}, { clock, sleep: clock.sleep });
  slack = slackOf(stack);
});
afterAll(() => stack.close());

const task = async (id: string) => (await getJson(`${stack.url}/api/tasks/${id}`, API())).body.task;
async function open(text: string, user = ANA): Promise<string> {
  const answer = await slack.client.command(`new ${text}`, { user, channel: GENERAL });
  await settle(stack);
  return /\*(TMS-\d+)\*/.exec(answer.body.text)?.[1] as string;
}
const later = (iso: string, minutes: number) => new Date(Date.parse(iso) + minutes * 60_000);
const warnings = (id: string) =>
  stack.slack
    .messages(GENERAL)
    .filter(
      (m) => m.thread_ts === null && m.text.includes(`|${id}>`) && /:warning:|:rotating_light:/.test(m.text),
    );

describe('P1 notifications', () => {
  it('announces a P1 on the notification topic once, with its card link', async () => {
    const id = await open('Checkout down p1');
    await open('Minor thing p4');
    const p1 = stack.sns.messages().filter((m) => m.message.includes(id));
    expect(p1).toHaveLength(1);
    expect(p1[0]?.subject).toBe(`P1 ${id} opened: Checkout down`);
    expect(p1[0]?.message).toContain(`Card: ${stack.url}/_sandbox/slack/archives/${GENERAL}/p`);
    expect(stack.sns.messages().filter((m) => m.message.includes('Minor thing'))).toEqual([]);
  });
});

describe('a task raised to P1', () => {
  it('is announced as raised, by whom and from what, not as opened', async () => {
    // Arrange
    const id = await open('Queue slowly filling p3');
    expect(stack.sns.messages().filter((m) => m.message.includes(id))).toEqual([]);
    // Act
    await slack.client.command(`priority ${id} p1`, { user: ANA, channel: GENERAL });
    await settle(stack);
    // Assert
    const sent = stack.sns.messages().filter((m) => m.message.includes(id));
    expect(sent).toHaveLength(1);
    expect(sent[0]?.subject).toBe(`${id} raised to P1: Queue slowly filling`);
    expect(sent[0]?.message).toMatch(
      new RegExp(`^${id} \\(general\\) was raised from P3 to P1 by ana at \\S+; it opened \\S+\\.\n`),
    );
    expect(sent[0]?.subject).not.toContain('opened');
  });
});

describe('a card writer that dies halfway', () => {
  it('leaves the P1 announcement to the next writer once its lease is over, and sends it once', async () => {
    // Arrange: a P1 whose card is posted while the topic is away, so it has not been announced yet.
    const deps = stack.deps;
    const { notifier } = deps;
    Object.assign(deps, { notifier: undefined });
    const id = await open('Announced after a crash p1');
    Object.assign(deps, { notifier });
    const announced = () =>
      stack.sns.messages().filter((m) => m.subject === `P1 ${id} opened: Announced after a crash`);
    // The writer's publish never returns, as in a process killed (or a Lambda timed out) halfway through it.
    let reached: () => void = () => {};
    const killed = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const hanging = {
      publish: () => {
        reached();
        return new Promise<void>(() => {});
      },
    };
    void syncCard({ ...deps, notifier: hanging }, id);
    await killed;
    // Act: another writer while the first still holds the card, then the sweeper's once its lease is over.
    const meanwhile = await syncCard(deps, id);
    const past = { now: () => new Date(clock.now().getTime() + 31_000) };
    const after = await reconcileCards({ ...deps, clock: past }, past.now());
    const again = await syncCard({ ...deps, clock: past }, id);
    await settle(stack);
    // Assert
    expect(meanwhile).toBe('busy');
    expect(after.due).toBeGreaterThanOrEqual(1);
    expect(again).toBe('synced');
    expect(announced()).toHaveLength(1);
  });
});

describe('SLA warnings (the sweeper)', () => {
  it('warns once per task and stage as a deadline nears and passes, naming the assignee; a P1 breach is published', async () => {
    // Arrange: a P1 assigned to ben, 5 minutes to acknowledge.
    const id = await open(`Payments failing p1 <@${BEN}|ben>`);
    const { createdAt } = await task(id);
    const edits = slack.card(id).edits;
    // Act + Assert: the sweep at 4m30s (90% of the window), again, then past the deadline. Counted on this
    // task's own posts: the sweeps see the other open tasks of this file too.
    await warnSla(stack.deps, later(createdAt, 4.5));
    await warnSla(stack.deps, later(createdAt, 4.6));
    await settle(stack);
    expect(warnings(id)).toHaveLength(1);
    const metrics: { dimensions: Record<string, string>[]; name?: string } = { dimensions: [] };
    const sink = {
      addDimensions: (dimensions: Record<string, string>) => metrics.dimensions.push(dimensions),
      addMetric: (name: string) => {
        metrics.name = name;
      },
      publishStoredMetrics: () => {},
    };
    await warnSla({ ...stack.deps, metrics: sink }, later(createdAt, 6));
    await settle(stack);
    // The breach is counted in the deps' own metrics (CloudWatch's on AWS), per service, priority and stage.
    expect(metrics.name).toBe('SlaBreached');
    expect(metrics.dimensions).toEqual(
      expect.arrayContaining([
        { Priority: 'P1' },
        { Stage: 'ack' },
        expect.objectContaining({ Service: expect.any(String) }),
      ]),
    );
    const posted = warnings(id).map((m) => m.text);
    expect(posted).toHaveLength(2);
    expect(posted[0]).toMatch(/^:warning: <.*\|TMS-\d+> \(P1\) Payments failing: 1 min left to acknowledge/);
    expect(posted[0]).toContain(`<@${BEN}>`);
    expect(posted[1]).toMatch(/^:rotating_light: .*the time to acknowledge ran out/);
    expect(
      stack.sns.messages().filter((m) => (m.subject ?? '').startsWith(`P1 ${id} not acknowledged in time`)),
    ).toHaveLength(1);
    expect(slack.card(id).edits).toBeGreaterThan(edits); // the card's clock is redrawn
  });

  it('leaves acknowledged stages, snoozed and resolved tasks alone, and names the team when nobody holds the task', async () => {
    const acked = await open('Acked one p2');
    await slack.client.command(`ack ${acked}`, { user: BEN, channel: GENERAL });
    const snoozed = await open('Snoozed one p2');
    await slack.client.command(`snooze ${snoozed} 1d`, { user: ANA, channel: GENERAL });
    const team = await open('Team one p2 checkout');
    await settle(stack);
    const { createdAt } = await task(team);
    await warnSla(stack.deps, later(createdAt, 14)); // P2: 15 minutes to acknowledge
    expect(warnings(acked)).toEqual([]);
    expect(warnings(snoozed)).toEqual([]);
    const teamWarning = stack.slack
      .messages('C0CHECKOUT')
      .find((m) => m.text.includes(`|${team}>`) && m.text.startsWith(':warning:'));
    expect(teamWarning?.text).toContain('<!subteam^S0PAYMENTS>');
  });

  it('retries a failed breach publish on the next sweep without posting the warning again', async () => {
    const id = await open('Queue stuck p1');
    const { createdAt } = await task(id);
    const failing = { publish: async () => Promise.reject(new Error('SNS is unavailable right now')) };
    // Act: the breach is warned about while SNS fails, then the next sweep finds SNS back.
    await warnSla({ ...stack.deps, notifier: failing }, later(createdAt, 6));
    await warnSla(stack.deps, later(createdAt, 7));
    await settle(stack);
    // Assess
    expect(warnings(id).filter((m) => m.text.startsWith(':rotating_light:'))).toHaveLength(1);
    expect(
      stack.sns.messages().filter((m) => (m.subject ?? '').startsWith(`P1 ${id} not acknowledged in time`)),
    ).toHaveLength(1);
  });
});

describe('a sweep that dies halfway', () => {
  it('leaves its warning to the next sweep once its invocation is over, and never sends it twice', async () => {
    // Arrange: the sweep's post of this task's warning never returns, as in a Lambda killed by its timeout.
    const id = await open('Sweep killed mid-post p2');
    const { createdAt } = await task(id);
    const deps = stack.deps;
    const post = deps.slack.chat.postMessage;
    let reached: () => void = () => {};
    const killed = new Promise<void>((resolve) => {
      reached = resolve;
    });
    deps.slack.chat.postMessage = ((args: { text?: string }) => {
      if (!args.text?.includes(`|${id}>`)) return post.call(deps.slack.chat, args as never);
      deps.slack.chat.postMessage = post;
      reached();
      return new Promise(() => {});
    }) as typeof post;
    void warnSla(deps, later(createdAt, 14)); // P2: 15 minutes to acknowledge
    await killed;
    // Act + Assess: a sweep while the first still counts as running, then one after its lease, then another.
    // (Counted on this task's own posts: the sweeps see every task of the stack.)
    await warnSla(deps, later(createdAt, 14.1));
    await settle(stack);
    expect(warnings(id)).toEqual([]);
    const shifted = { now: () => new Date(clock.now().getTime() + ONCE_LEASE_MS + 1_000) };
    await warnSla({ ...deps, clock: shifted }, later(createdAt, 14.2));
    await warnSla({ ...deps, clock: shifted }, later(createdAt, 14.3));
    await settle(stack);
    expect(warnings(id).map((m) => m.text)).toEqual([expect.stringMatching(/^:warning: .*1 min left/)]);
  });
});
