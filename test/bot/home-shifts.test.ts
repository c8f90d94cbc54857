import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  homeShifts,
  type TeamOncall,
  type ViewerShift,
  type ViewerShifts,
  viewerShifts,
} from '../../src/bot/home-shifts.js';
import { slackDate } from '../../src/bot/text.js';
import { homeView } from '../../src/bot/views.js';
import { parseConfig } from '../../src/core/config.js';
import type { Override, Rotation } from '../../src/core/oncall.js';
import type { OncallStore, OverrideRecord } from '../../src/core/ports.js';
import { ManualClock } from '../../src/core/time.js';
import { MemoryOncallStore } from '../fakes/memory-oncall-store.js';
import { inProcessStack, type TestStack } from '../helpers/local-stack.js';
import { captureLogs } from '../helpers/logs.js';
import { ANA, BEN, CAL, settle, slackOf, typeOn, VIC } from '../helpers/slack.js';

const DAY = 86_400_000;
// Weekly on Mondays at 09:00, from 5 January 2026 (shift 0): payments in Berlin (ana, ben), search in New York
// (ben, cal). On Wednesday 17 March 2027 New York is on summer time since the 14th (09:00 is 13:00 UTC), Berlin
// not until the 28th (09:00 is 08:00 UTC, from 29 March 07:00 UTC). Shift 62 runs from 15 March: ana's in
// payments, ben's in search.
const PAYMENTS: Rotation = {
  participants: [ANA, BEN],
  everyMs: 7 * DAY,
  handoff: '2026-01-05T09:00:00',
  timezone: 'Europe/Berlin',
};
const SEARCH: Rotation = {
  participants: [BEN, CAL],
  everyMs: 7 * DAY,
  handoff: '2026-01-05T09:00:00',
  timezone: 'America/New_York',
};
const NOW = new Date('2027-03-17T12:00:00Z');

const override = (user: string, start: string, end: string, id = `OV-${user}`): Override => ({
  id,
  user,
  start: new Date(start).toISOString(),
  end: new Date(end).toISOString(),
  createdAt: NOW.toISOString(),
});
const teams = (payments: Override[] = [], search: Override[] = []): TeamOncall[] => [
  { team: 'payments', rotation: PAYMENTS, overrides: payments },
  { team: 'search', rotation: SEARCH, overrides: search },
];
/** A shift as the tests write it. */
const shift = (team: string, start: string, end: string): ViewerShift => ({
  team,
  start: new Date(start),
  end: new Date(end),
});

describe("the viewer's on-call shifts", () => {
  it('says until when the viewer is on call now, then their next three shifts, soonest first', () => {
    // Act
    const shifts = viewerShifts(teams(), ANA, NOW);
    // Assess
    expect(shifts).toEqual({
      now: [shift('payments', NOW.toISOString(), '2027-03-22T08:00:00Z')],
      next: [
        shift('payments', '2027-03-29T07:00:00Z', '2027-04-05T07:00:00Z'),
        shift('payments', '2027-04-12T07:00:00Z', '2027-04-19T07:00:00Z'),
        shift('payments', '2027-04-26T07:00:00Z', '2027-05-03T07:00:00Z'),
      ],
      unread: [],
    });
  });

  it('keeps the handoff at 09:00 in Berlin across the change to summer time (that shift is an hour shorter)', () => {
    // Act
    const shifts = viewerShifts(teams().slice(0, 1), BEN, NOW);
    // Assess
    const first = shifts?.next[0];
    expect(first).toEqual(shift('payments', '2027-03-22T08:00:00Z', '2027-03-29T07:00:00Z'));
    expect(((first?.end.getTime() ?? 0) - (first?.start.getTime() ?? 0)) / 3_600_000).toBe(7 * 24 - 1);
    expect(shifts?.now).toEqual([]);
  });

  it('merges two teams, an override giving the viewer a day and one taking their shift away', () => {
    // Prepare: cal takes ben's next search shift; ben covers a day of ana's payments shift.
    const take = override(CAL, '2027-03-29T13:00:00Z', '2027-04-05T13:00:00Z');
    const give = override(BEN, '2027-03-30T07:00:00Z', '2027-03-31T07:00:00Z');
    // Act
    const before = viewerShifts(teams(), BEN, NOW);
    const after = viewerShifts(teams([give], [take]), BEN, NOW);
    // Assess
    expect(before?.now).toEqual([shift('search', NOW.toISOString(), '2027-03-22T13:00:00Z')]);
    expect(before?.next).toEqual([
      shift('payments', '2027-03-22T08:00:00Z', '2027-03-29T07:00:00Z'),
      shift('search', '2027-03-29T13:00:00Z', '2027-04-05T13:00:00Z'),
      shift('payments', '2027-04-05T07:00:00Z', '2027-04-12T07:00:00Z'),
    ]);
    expect(after?.now).toEqual(before?.now);
    expect(after?.next).toEqual([
      shift('payments', '2027-03-22T08:00:00Z', '2027-03-29T07:00:00Z'),
      shift('payments', '2027-03-30T07:00:00Z', '2027-03-31T07:00:00Z'),
      shift('payments', '2027-04-05T07:00:00Z', '2027-04-12T07:00:00Z'),
    ]);
  });

  it('reads the shifts an override joins end to end as one (cal takes the week between two of theirs)', () => {
    // Prepare
    const take = override(CAL, '2027-03-29T13:00:00Z', '2027-04-05T13:00:00Z');
    // Act
    const shifts = viewerShifts(teams([], [take]), CAL, NOW);
    // Assess
    expect(shifts?.next).toEqual([
      shift('search', '2027-03-22T13:00:00Z', '2027-04-12T13:00:00Z'),
      shift('search', '2027-04-19T13:00:00Z', '2027-04-26T13:00:00Z'),
      shift('search', '2027-05-03T13:00:00Z', '2027-05-10T13:00:00Z'),
    ]);
  });

  it('gives someone in no rotation the shifts overrides give them, and no section when none does', () => {
    // Prepare
    const cover = override(VIC, '2027-04-01T10:00:00Z', '2027-04-01T12:00:00Z');
    // Act
    const covering = viewerShifts(teams([cover]), VIC, NOW);
    const none = viewerShifts(teams(), VIC, NOW);
    // Assess
    expect(covering).toEqual({
      now: [],
      next: [shift('payments', '2027-04-01T10:00:00Z', '2027-04-01T12:00:00Z')],
      unread: [],
    });
    expect(none).toBeUndefined();
  });

  it('writes each time as a Slack date, so every reader sees it in their own zone, after my own tasks', () => {
    // Prepare
    const shifts = viewerShifts(teams(), BEN, NOW);
    // Act
    const home = homeOf(shifts);
    const without = homeOf(undefined);
    // Assess
    expect(home.blocks.map((b) => b.type)).toEqual(['header', 'section', 'header', 'section', 'context']);
    expect(home.blocks[2]?.text?.text).toBe('Your on-call shifts');
    expect(home.blocks[3]?.text?.text).toBe(
      [
        `:pager: On call now for *search* until ${slackDate('2027-03-22T13:00:00.000Z')}`,
        '*Next*',
        `• payments: from ${slackDate('2027-03-22T08:00:00.000Z')} to ${slackDate('2027-03-29T07:00:00.000Z')}`,
        `• search: from ${slackDate('2027-03-29T13:00:00.000Z')} to ${slackDate('2027-04-05T13:00:00.000Z')}`,
        `• payments: from ${slackDate('2027-04-05T07:00:00.000Z')} to ${slackDate('2027-04-12T07:00:00.000Z')}`,
      ].join('\n'),
    );
    expect(JSON.stringify(without)).not.toContain('Your on-call shifts');
  });
});

/** The App Home view for ben with nothing open, and these shifts. */
function homeOf(oncall: ViewerShifts | undefined) {
  const content = { mine: [], teams: [], permalinks: new Map(), ...(oncall ? { oncall } : {}) };
  return homeView(content, { id: BEN, role: 'developer' }, NOW) as unknown as {
    blocks: { type: string; text?: { text: string }; elements?: { text: string }[] }[];
  };
}

describe('the shifts read for the App Home', () => {
  const config = parseConfig(
    [
      'teams:',
      '  payments:',
      '    oncall: { rotation: [U01AAA, U01BBB], every: 7d, handoff: "2026-01-05T09:00:00", timezone: Europe/Berlin }',
      '  search:',
      '    oncall: { rotation: [U01BBB, U01CCC], every: 7d, handoff: "2026-01-05T09:00:00", timezone: America/New_York }',
      '  design: {}',
    ].join('\n'),
  );
  const record = (o: Override, team: string): OverrideRecord => ({
    ...o,
    team,
    createdBy: ANA,
    reason: 'override',
  });

  it("reads every rotation's overrides, since an override may name anyone", async () => {
    // Prepare
    const store = new MemoryOncallStore();
    await store.createOverride(
      record(override(VIC, '2027-03-20T00:00:00Z', '2027-03-20T06:00:00Z', 'OV-a'), 'search'),
    );
    const asked: string[] = [];
    const counting: OncallStore = {
      createOverride: (o) => store.createOverride(o),
      removeOverride: (team, id) => store.removeOverride(team, id),
      listOverrides: (team, from, to) => {
        asked.push(team);
        return store.listOverrides(team, from, to);
      },
    };
    // Act
    const shifts = await homeShifts({ config, oncall: counting }, VIC, NOW);
    // Assess
    expect(asked.sort()).toEqual(['payments', 'search']);
    expect(shifts?.next).toEqual([shift('search', '2027-03-20T00:00:00Z', '2027-03-20T06:00:00Z')]);
  });

  it('shows a team whose overrides cannot be read from its rotation alone, logs it and says so', async () => {
    // Prepare
    const store = new MemoryOncallStore();
    const failing: OncallStore = {
      createOverride: (o) => store.createOverride(o),
      removeOverride: (team, id) => store.removeOverride(team, id),
      listOverrides: async (team, from, to) => {
        if (team === 'search') throw new Error('ProvisionedThroughputExceededException');
        return store.listOverrides(team, from, to);
      },
    };
    const logs = captureLogs();
    // Act
    let shifts: Awaited<ReturnType<typeof homeShifts>>;
    try {
      shifts = await homeShifts({ config, oncall: failing }, BEN, NOW);
    } finally {
      logs.restore();
    }
    // Assess
    expect(shifts?.now).toEqual([shift('search', NOW.toISOString(), '2027-03-22T13:00:00Z')]);
    expect(shifts?.unread).toEqual(['search']);
    expect(logs.lines).toContainEqual(
      expect.objectContaining({
        level: 'WARN',
        team: 'search',
        error: 'ProvisionedThroughputExceededException',
      }),
    );
    expect(homeOf(shifts).blocks.at(-2)?.elements?.[0]?.text).toBe(
      ':warning: The on-call overrides of search could not be read: shifts there are shown from the rotation alone.',
    );
  });
});

describe('App Home through the bot', () => {
  let stack: TestStack;
  // Friday 2026-12-04, 14:00 UTC, with test/fixtures/config/oncall.config.yaml (see test/bot/oncall-overrides):
  // ben holds this payments shift until Monday 08:00 UTC, cal this search shift until Monday 14:00 UTC.
  const clock = new ManualClock('2026-12-04T14:00:00.000Z');

  beforeAll(async () => {
    stack = await inProcessStack({ TMS_CONFIG: 'test/fixtures/config/oncall.config.yaml' }, { clock });
  }, 60_000);
  afterAll(() => stack?.close(), 60_000);

  /** The Home tab `user` opens, as Slack signs the event, at the stack's clock; the view published for them. */
  async function openHome(user: string): Promise<string> {
    const slack = slackOf(stack);
    const body = JSON.stringify({
      token: 'deprecated-verification-token',
      team_id: 'T0TMSLOCAL',
      api_app_id: 'A0TMSLOCAL',
      event: { type: 'app_home_opened', user, channel: `D${user.slice(1)}`, tab: 'home' },
      type: 'event_callback',
      event_id: `Ev0SHIFTS${user}`,
      event_time: Math.floor(clock.now().getTime() / 1000),
    });
    const answer = await slack.client.send(body, {
      contentType: 'application/json',
      timestamp: Math.floor(clock.now().getTime() / 1000),
    });
    expect(answer.status).toBe(200);
    await settle(stack);
    const home = stack.slack.views().findLast((v) => v.type === 'home' && v.user === user);
    if (!home) throw new Error(`no App Home published for ${user}`);
    return JSON.stringify(home.view);
  }
  const date = (iso: string) => slackDate(new Date(iso).toISOString());

  it("shows each person's shifts, an override from /tms oncall counted, and no section to someone on none", async () => {
    // Prepare: ana puts cal on call for payments for two hours, from ben.
    const made = await typeOn(stack, clock, `oncall override <@${CAL}|cal> 2h`, ANA);
    expect(made).toContain(`<@${CAL}> on call for *payments*`);
    // Act
    const cal = await openHome(CAL);
    const ben = await openHome(BEN);
    const vic = await openHome(VIC);
    // Assess
    expect(cal).toContain('Your on-call shifts');
    expect(cal).toContain(`On call now for *payments* until ${date('2026-12-04T16:00:00Z')}`);
    expect(cal).toContain(`On call now for *search* until ${date('2026-12-07T14:00:00Z')}`);
    expect(cal).toContain(
      `• search: from ${date('2026-12-14T14:00:00Z')} to ${date('2026-12-21T14:00:00Z')}`,
    );
    expect(ben).not.toContain('On call now');
    expect(ben).toContain(
      `*Next*\\n• payments: from ${date('2026-12-04T16:00:00Z')} to ${date('2026-12-07T08:00:00Z')}\\n` +
        `• search: from ${date('2026-12-07T14:00:00Z')} to ${date('2026-12-14T14:00:00Z')}\\n` +
        `• payments: from ${date('2026-12-14T08:00:00Z')} to ${date('2026-12-21T08:00:00Z')}`,
    );
    expect(vic).toContain('Your open tasks');
    expect(vic).not.toContain('Your on-call shifts');
  });
});
