import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slackDate } from '../../src/bot/text.js';
import type { Rotation } from '../../src/core/oncall.js';
import { ManualClock } from '../../src/core/time.js';
import { lastChange } from '../../src/jobs/oncall-handoffs.js';
import { inProcessStack, type TestStack } from '../helpers/local-stack.js';
import { ANA, BEN, CAL, settle, typeOn } from '../helpers/slack.js';

let stack: TestStack;
// Friday 2026-12-04, 14:00 UTC. test/fixtures/config/oncall-handoffs.config.yaml: payments hands over on Mondays
// at 09:00 in Berlin (08:00 UTC), ana first from 5 January, so ben holds the shift from 30 November, ana from 7
// December; its channel is C0PAYMENTS and its user group S0PAYONCALL (ana in it at start).
const FRIDAY = '2026-12-04T14:00:00.000Z';
const PAYMENTS = 'C0PAYMENTS';
const GROUP = 'S0PAYONCALL';
const clock = new ManualClock(FRIDAY);

beforeAll(async () => {
  stack = await inProcessStack({ TMS_CONFIG: 'test/fixtures/config/oncall-handoffs.config.yaml' }, { clock });
}, 60_000);
afterAll(() => stack?.close(), 60_000);

const tms = (text: string, user = ANA) => typeOn(stack, clock, text, user);
/** One sweep of the stack's schedule, at the clock's time. */
async function sweepAt(iso: string): Promise<void> {
  clock.set(iso);
  await stack.tick();
  await settle(stack);
}
const announcements = () => stack.slack.messages(PAYMENTS).filter((m) => m.text.startsWith('On call for'));
const members = async () => (await stack.deps.slack.usergroups.users.list({ usergroup: GROUP })).users;
const date = (iso: string) => slackDate(new Date(iso).toISOString());

describe('on-call handoffs', () => {
  it('announces the person on call once, however many sweeps see the change, with the open tasks handed over', async () => {
    // Prepare: the first sweep finds ben's handoff of Monday 30 November (TMS was not running), an open task.
    await sweepAt(FRIDAY);
    await sweepAt('2026-12-04T14:01:00Z');
    const stale = announcements();
    await tms('new Refunds &amp; retries &lt;stuck&gt; p2 checkout');
    // Act: ana's shift starts Monday 7 December at 08:00 UTC; two sweeps after it, and a third much later.
    await sweepAt('2026-12-07T08:00:20Z');
    await sweepAt('2026-12-07T08:00:50Z');
    await sweepAt('2026-12-07T09:30:00Z');
    // Assess
    expect(stale.map((m) => m.text.split('\n')[0])).toEqual([
      `On call for *payments*: <@${BEN}> until ${date('2026-12-07T08:00:00Z')}, taking over from <@${ANA}>.`,
    ]);
    const handoffs = announcements().slice(1);
    expect(handoffs).toHaveLength(1);
    const [first, ...tasks] = handoffs[0]?.text.split('\n') ?? [];
    expect(first).toBe(
      `On call for *payments*: <@${ANA}> until ${date('2026-12-14T08:00:00Z')}, taking over from <@${BEN}>.`,
    );
    expect(tasks).toEqual(['Open tasks handed over:', '• *TMS-1* P2 Refunds &amp; retries &lt;stuck&gt;']);
    expect(await members()).toEqual([ANA]);
  });

  it("announces an override's start and its end, and keeps the team's user group in step", async () => {
    // Prepare
    clock.set('2026-12-08T10:00:00Z');
    const made = await tms(`oncall override <@${CAL}|cal> 2h payments`);
    // Act
    await sweepAt('2026-12-08T10:00:30Z');
    const during = await members();
    await sweepAt('2026-12-08T10:01:30Z');
    await sweepAt('2026-12-08T12:00:30Z');
    const after = await members();
    // Assess
    expect(made).toContain(`<@${CAL}> on call for *payments*`);
    const lines = announcements()
      .slice(-2)
      .map((m) => m.text.split('\n')[0]);
    expect(lines).toEqual([
      `On call for *payments*: <@${CAL}> until ${date('2026-12-08T12:00:00Z')}, taking over from <@${ANA}>.`,
      `On call for *payments*: <@${ANA}> until ${date('2026-12-14T08:00:00Z')}, taking over from <@${CAL}>.`,
    ]);
    expect(announcements()).toHaveLength(4);
    expect(during).toEqual([CAL]);
    expect(after).toEqual([ANA]);
  });
});

describe('the offline Slack: usergroups.users.update', () => {
  it('replaces what usergroups.users.list answers, and refuses an unknown group or bad users as Slack does', async () => {
    // Act
    const updated = await stack.deps.slack.usergroups.users.update({
      usergroup: 'S0READONLY',
      users: `${BEN},${CAL}`,
    });
    const listed = await stack.deps.slack.usergroups.users.list({ usergroup: 'S0READONLY' });
    const unknown = await stack.deps.slack.usergroups.users
      .update({ usergroup: 'S0NOSUCH', users: BEN })
      .catch((e: { data?: { error?: string } }) => e.data?.error);
    const invalid = await stack.deps.slack.usergroups.users
      .update({ usergroup: 'S0READONLY', users: 'not-a-user' })
      .catch((e: { data?: { error?: string } }) => e.data?.error);
    const empty = await stack.deps.slack.usergroups.users
      .update({ usergroup: 'S0READONLY', users: '' })
      .catch((e: { data?: { error?: string } }) => e.data?.error);
    // Assess
    expect(updated.usergroup?.users).toEqual([BEN, CAL]);
    expect(listed.users).toEqual([BEN, CAL]);
    expect(unknown).toBe('no_such_subteam');
    expect(invalid).toBe('invalid_users');
    expect(empty).toBe('no_users_provided');
  });
});

describe('lastChange', () => {
  const rotation: Rotation = {
    participants: ['U1', 'U2'],
    everyMs: 86_400_000,
    handoff: '2026-01-01T00:00:00',
    timezone: 'UTC',
  };
  const since = new Date('2026-01-01T00:00:00Z');

  it('finds the last handoff to someone else, and none in a rotation of one', () => {
    // Act
    const change = lastChange(rotation, [], new Date('2026-01-03T05:00:00Z'), since);
    const alone = lastChange(
      { ...rotation, participants: ['U1'] },
      [],
      new Date('2026-01-03T05:00:00Z'),
      since,
    );
    // Assess
    expect(change).toMatchObject({
      at: new Date('2026-01-03T00:00:00Z'),
      previous: 'U2',
      current: { user: 'U1' },
    });
    expect(alone).toBeUndefined();
  });

  it('skips an override of the person on call anyway, and finds the end of one that put someone else on', () => {
    // Prepare: U2's shift is 2 January; U2 is overridden onto 2 January 10–12 (no change), U1 onto 12–14.
    const overrides = [
      {
        id: 'a',
        user: 'U2',
        start: '2026-01-02T10:00:00.000Z',
        end: '2026-01-02T12:00:00.000Z',
        createdAt: '1',
      },
      {
        id: 'b',
        user: 'U1',
        start: '2026-01-02T12:00:00.000Z',
        end: '2026-01-02T14:00:00.000Z',
        createdAt: '2',
      },
    ];
    // Act
    const at11 = lastChange(rotation, overrides, new Date('2026-01-02T11:00:00Z'), since);
    const at15 = lastChange(rotation, overrides, new Date('2026-01-02T15:00:00Z'), since);
    // Assess
    expect(at11?.at).toEqual(new Date('2026-01-02T00:00:00Z'));
    expect(at15).toMatchObject({
      at: new Date('2026-01-02T14:00:00Z'),
      previous: 'U1',
      current: { user: 'U2' },
    });
  });
});
