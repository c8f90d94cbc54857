import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WebhookSender } from '../../src/core/ports.js';
import type { Schedule } from '../../src/core/schedule.js';
import { wallTime } from '../../src/core/schedule-time.js';
import { type BotHandler, makeBotHandler } from '../../src/handlers/bot.js';
import { invoke, type LocalHandlers } from '../../src/local/gateway.js';
import { slackSignature } from '../../src/local/slack-client.js';
import { ROUTES } from '../../src/routes.js';
import type { SlackHouseDeps } from '../../src/runtime/slack-deps.js';
import { MemoryScheduleStore } from '../fakes/memory-schedule-store.js';
import { inProcessStack, type TestStack } from '../helpers/local-stack.js';
import { ANA, BEN, CAL, CHECKOUT, GENERAL, slackOf, VIC } from '../helpers/slack.js';

/**
 * `/tms schedule`, `/tms schedules`, `/tms unschedule` and the schedule form, through the bot's own Lambda
 * handler and Bolt app with signed requests, over the local stack's Slack emulator (whose directory gives ana
 * Europe/Berlin, ben America/New_York and cal no time zone). The schedules are kept in memory: the stack's
 * deps with a MemoryScheduleStore added.
 */

let stack: TestStack;
let slack: ReturnType<typeof slackOf>;
let store: MemoryScheduleStore;
/** The bot with schedules and webhooks; without webhooks; without schedules at all. */
let bot: BotHandler;
let noWebhooks: BotHandler;
let noSchedules: BotHandler;

const sender: WebhookSender = {
  send: async () => ({ ok: true, status: 200, attempts: 1, address: '203.0.113.7' }),
};
const route = ROUTES.find((r) => r.path === '/slack/events' && r.method === 'POST');

beforeAll(async () => {
  stack = await inProcessStack();
  slack = slackOf(stack);
});
afterAll(() => stack.close());
beforeEach(() => {
  store = new MemoryScheduleStore();
  const deps: SlackHouseDeps = { ...stack.deps, schedules: store };
  bot = makeBotHandler({ ...deps, webhooks: sender, webhooksEnabled: true });
  noWebhooks = makeBotHandler({ ...deps, webhooks: undefined, webhooksEnabled: false });
  // The bot's own deps leave schedules out where a deployment keeps none (BotDeps.schedules is optional).
  noSchedules = makeBotHandler({ ...stack.deps, schedules: undefined } as unknown as SlackHouseDeps);
});

/** A body signed as Slack signs it, handed to `handler` as API Gateway would; its status and JSON body. */
// biome-ignore lint/suspicious/noExplicitAny: the answer is examined field by field by each test
async function send(handler: BotHandler, body: string): Promise<{ status: number; body: any }> {
  if (!route) throw new Error('no /slack/events route');
  const timestamp = Math.floor(Date.now() / 1000);
  const url = new URL(`${stack.url}/slack/events`);
  const answer = await invoke(
    { bot: handler } as unknown as LocalHandlers,
    route,
    {},
    {
      method: 'POST',
      url,
      headers: {
        host: url.host,
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': slackSignature(stack.secrets.SLACK_SIGNING_SECRET, timestamp, body),
      },
      body: Buffer.from(body, 'utf8'),
      sourceIp: '127.0.0.1',
    },
  );
  const text = answer.body.toString('utf8');
  return { status: answer.status, body: text ? JSON.parse(text) : '' };
}

/** Types `/tms <text>` and returns what only the person saw in the answer. */
async function tms(text: string, user = ANA, handler = bot, channel = GENERAL): Promise<string> {
  const answer = await send(handler, slack.client.commandBody(text, { user, channel }));
  expect(answer.status).toBe(200);
  return answer.body?.text ?? '';
}

const only = (): Schedule => {
  const all = [...store.schedules.values()];
  expect(all).toHaveLength(1);
  return all[0] as Schedule;
};
const idIn = (reply: string) => /\*(SCH-[0-9a-z]{8})\*/.exec(reply)?.[1] as string;
const DATE = /<!date\^\d+\^\{date_short_pretty\} \{time\}\|[^>]+>/g;

describe('/tms schedule', () => {
  it('makes the schedule and says how it read it, with its next three runs', async () => {
    // Act
    const reply = await tms(
      `schedule "Rotate the keys" p2 checkout <@${BEN}|ben> at tomorrow 09:00 every week`,
    );
    // Assess
    const schedule = only();
    expect(schedule).toMatchObject({
      title: 'Rotate the keys',
      priority: 'P2',
      service: 'checkout',
      assignee: BEN,
      every: 'week',
      timezone: 'Europe/Berlin',
      action: 'task',
      createdBy: ANA,
      origin: 'slack',
      status: 'scheduled',
    });
    expect(wallTime(new Date(schedule.at), 'Europe/Berlin')).toMatchObject({ hour: 9, minute: 0 });
    const lines = reply.split('\n');
    expect(lines[0]).toBe(
      `Scheduled *${schedule.id}* “Rotate the keys”: opens a task in checkout’s channel <#${CHECKOUT}>, at P2, ` +
        `assigned to <@${BEN}>; every week, times read in Europe/Berlin.`,
    );
    expect(lines[1]).toMatch(/^Next runs: /);
    expect(lines[1]?.match(DATE)).toHaveLength(3);
    expect(lines[1]).toContain(`<!date^${Date.parse(schedule.at) / 1000}^`);
    expect(lines[2]).toBe(
      `\`/tms unschedule ${schedule.id}\` removes it; \`/tms schedules\` lists them all.`,
    );
  });

  it('reads the same "tomorrow 09:00" in each person’s own Slack time zone (UTC where Slack knows none)', async () => {
    // Act
    const ana = idIn(await tms('schedule "Stand-up" at tomorrow 09:00', ANA));
    const ben = idIn(await tms('schedule "Stand-up" at tomorrow 09:00', BEN));
    const calReply = await tms('schedule "Stand-up" at tomorrow 09:00', CAL);
    // Assess
    const [berlin, newYork, utc] = [ana, ben, idIn(calReply)].map(
      (id) => store.schedules.get(id) as Schedule,
    );
    expect(berlin?.timezone).toBe('Europe/Berlin');
    expect(newYork?.timezone).toBe('America/New_York');
    expect(utc?.timezone).toBe('UTC');
    expect(wallTime(new Date(berlin?.at as string), 'Europe/Berlin').hour).toBe(9);
    expect(wallTime(new Date(newYork?.at as string), 'America/New_York').hour).toBe(9);
    expect(wallTime(new Date(utc?.at as string), 'UTC').hour).toBe(9);
    expect(berlin?.at).not.toBe(newYork?.at);
    expect(calReply).toContain('once, times read in UTC.');
    expect(calReply).toMatch(/\nRuns: <!date\^\d+\^/);
  });

  it('reminds a channel Slack linked, or this one, and calls a webhook whose link Slack wrapped', async () => {
    // Act
    const there = await tms('schedule "Timesheets" at fri 4pm every weekday remind <#C0FINANCE|finance>');
    const here = await tms('schedule Timesheets remind at in 2h');
    const hook = await tms(
      'schedule "Nightly export" at 17:30 every "0 2 * * *" webhook <https://jobs.example.com/export|jobs.example.com/export>',
    );
    // Assess
    expect(there).toContain(
      '“Timesheets”: reminds <#C0FINANCE>; every weekday, times read in Europe/Berlin.',
    );
    expect(here).toContain(`“Timesheets”: reminds <#${GENERAL}>; once`);
    expect(hook).toContain(
      '“Nightly export”: calls a webhook on jobs.example.com (a signed POST); on cron `0 2 * * *`',
    );
    expect(store.schedules.get(idIn(hook))).toMatchObject({
      action: 'webhook',
      url: 'https://jobs.example.com/export',
      every: '0 2 * * *',
    });
    expect(store.schedules.get(idIn(there))).toMatchObject({ action: 'message', channel: 'C0FINANCE' });
  });

  it('refuses a webhook where webhooks cannot be signed, and says schedules are missing where they are', async () => {
    expect(await tms('schedule "x" at in 2h webhook <https://jobs.example.com/x>', ANA, noWebhooks)).toMatch(
      /^Webhooks are not set up here: TMS_WEBHOOK_SECRET/i,
    );
    expect(await tms('schedules', ANA, noSchedules)).toBe('Schedules are not available here.');
    expect(store.schedules.size).toBe(0);
  });

  it('answers each mistake with what is wrong and the usage, and makes nothing', async () => {
    // Act
    const unknown = await tms('schedule "Backups" at 17:30 soonish');
    const unclosed = await tms('schedule "Backups at 17:30');
    const noTime = await tms('schedule "Backups" p1');
    const escaped = await tms('schedule "x" at 17:30 <!channel>');
    // Assess
    expect(unknown).toMatch(/^"soonish" is not something `\/tms schedule` reads here; /);
    expect(unknown).toContain('\nUsage: `/tms schedule "<title>"');
    expect(unclosed).toMatch(/^The title's quote is not closed/);
    expect(noTime).toMatch(/^Say when it first runs/);
    expect(escaped).toContain('"&lt;!channel&gt;" is not something');
    expect(store.schedules.size).toBe(0);
  });

  it('refuses a viewer, by the command and by the form', async () => {
    // Act
    const typed = await tms('schedule "Backups" at 17:30', VIC);
    const views = stack.slack.views().length;
    const bare = await tms('schedule', VIC);
    // Assess
    expect(typed).toMatch(
      /^You have read-only access to TMS, so you cannot .+ Ask an admin for the developer role\.$/,
    );
    expect(bare).toBe(typed);
    expect(stack.slack.views()).toHaveLength(views);
    expect(store.schedules.size).toBe(0);
  });
});

describe('/tms schedules', () => {
  it('says how to make one when there are none', async () => {
    expect(await tms('schedules', VIC)).toBe(
      'No schedules yet. `/tms schedule "Rotate the keys" p3 at mon 9am every week` makes one; `/tms schedule` alone opens a form.',
    );
  });

  it('lists each with what it does, how often, its next run and how its last one went, escaped', async () => {
    // Prepare
    const first = idIn(await tms('schedule "Clean <!channel> tmp" at in 1h every day'));
    const second = idIn(
      await tms('schedule "Ping the receiver" at in 2h webhook <https://jobs.example.com/p>'),
    );
    const a = store.schedules.get(first) as Schedule;
    store.schedules.set(first, {
      ...a,
      lastRun: {
        scheduledFor: '2026-12-03T09:00:00.000Z',
        status: 'completed',
        finishedAt: '2026-12-03T09:00:02.000Z',
        taskId: 'TMS-42',
      },
    });
    const b = store.schedules.get(second) as Schedule;
    store.schedules.set(second, {
      ...b,
      lastRun: {
        scheduledFor: '2026-12-03T10:00:00.000Z',
        status: 'failed',
        error: `connect ECONNREFUSED <@${ANA}> ${'x'.repeat(500)}`,
      },
    });
    // Act
    const answer = await send(bot, slack.client.commandBody('schedules', { user: VIC, channel: GENERAL }));
    // Assess
    const { text, blocks } = answer.body;
    const lines = String(text).split('\n');
    expect(lines[0]).toBe('*Schedules* · 2, soonest first');
    expect(lines[1]).toMatch(
      new RegExp(
        `^• \\*${first}\\* “Clean &lt;!channel&gt; tmp” — opens a task in <#${GENERAL}>, every day · next <!date\\^\\d+\\^[^>]+> · last <!date\\^${Date.parse('2026-12-03T09:00:02Z') / 1000}\\^[^>]+> ✓ \\*TMS-42\\*$`,
      ),
    );
    expect(lines[2]).toContain(`*${second}* “Ping the receiver” — calls a webhook on jobs.example.com`);
    expect(lines[2]).toContain('once · next <!date^');
    expect(lines[2]).toContain(`✗ connect ECONNREFUSED &lt;@${ANA}&gt; xxx`);
    expect(lines[2]?.length).toBeLessThan(600);
    expect(lines.at(-1)).toContain('/tms unschedule <id>');
    expect(blocks[0]).toMatchObject({ type: 'section', text: { type: 'mrkdwn' } });
  });

  it('bounds a long list within what Slack takes', async () => {
    // Prepare
    for (let i = 0; i < 60; i++)
      await tms(`schedule "${'Long title '.repeat(25)}${i}" at in ${i + 1}h every day`);
    // Act
    const answer = await send(bot, slack.client.commandBody('schedules', { user: ANA, channel: GENERAL }));
    // Assess
    const { text, blocks } = answer.body;
    expect(text).toContain('…and 20 more, due later.');
    expect(String(text).length).toBeLessThan(40_000);
    expect(blocks.length).toBeLessThanOrEqual(50);
    for (const block of blocks) expect(block.text.text.length).toBeLessThanOrEqual(3_000);
  });
});

describe('/tms unschedule', () => {
  it('lets its maker or an admin remove a schedule, and no other developer', async () => {
    // Prepare
    const bens = idIn(await tms('schedule "Ben’s chore" at in 2h', BEN));
    const cals = idIn(await tms('schedule "Cal’s chore" at in 2h', CAL));
    // Act
    const refused = await tms(`unschedule ${bens}`, CAL);
    const byMaker = await tms(`unschedule ${bens}`, BEN);
    const byAdmin = await tms(`unschedule ${cals.toUpperCase()}`, ANA);
    const gone = await tms(`unschedule ${cals}`, ANA);
    // Assess
    expect(refused).toBe(`Only its maker or an admin can remove ${bens}.`);
    expect(byMaker).toBe(
      `Removed *${bens}* “Ben’s chore”: it runs no more; its past runs stay in its history.`,
    );
    expect(byAdmin).toContain(`Removed *${cals}* “Cal’s chore”`);
    expect(gone).toBe(`There is no schedule ${cals}.`);
    expect(store.schedules.size).toBe(0);
  });
});

describe('the schedule form', () => {
  /** Submits the form as Slack would, each value of the element kind the form has there. */
  function submit(
    view: { id: string; view: Record<string, unknown> },
    user: string,
    values: Record<string, { value?: string; option?: string; conversation?: string }>,
    handler = bot,
  ) {
    const state: Record<string, Record<string, unknown>> = {};
    for (const [block, input] of Object.entries(values)) {
      state[block] = {
        [block]:
          input.option !== undefined
            ? { type: 'static_select', selected_option: { value: input.option } }
            : input.conversation !== undefined
              ? { type: 'conversations_select', selected_conversation: input.conversation }
              : { type: 'plain_text_input', value: input.value ?? null },
      };
    }
    const payload = {
      type: 'view_submission',
      team: { id: 'T0LOCAL', domain: 'tms-local' },
      user: { id: user, username: user.toLowerCase(), team_id: 'T0LOCAL' },
      api_app_id: 'A0TMSLOCAL',
      trigger_id: `${Date.now()}.${user}.${randomUUID().slice(0, 8)}`,
      view: { ...view.view, id: view.id, state: { values: state } },
    };
    return send(handler, new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
  }

  const openForm = async (user: string, channel = GENERAL) => {
    expect(await tms('schedule', user, bot, channel)).toBe('');
    const modal = stack.slack.views().findLast((v) => v.type === 'modal' && v.user === user);
    expect(modal?.view.callback_id).toBe('tms_schedule');
    return modal as unknown as { id: string; view: Record<string, unknown> };
  };

  it('opens on a bare /tms schedule, in the person’s time zone, and makes the schedule it is sent', async () => {
    // Prepare
    const modal = await openForm(BEN, CHECKOUT);
    expect(JSON.stringify(modal.view)).toContain('In your time zone (America/New_York)');
    // Act
    const sent = await submit(modal, BEN, {
      schedule_title: { value: 'Renew the certificates' },
      schedule_when: { value: 'tomorrow 09:00' },
      schedule_repeat: { option: 'month' },
      schedule_action: { option: 'task' },
      schedule_channel: { conversation: CHECKOUT },
      schedule_priority: { option: 'P2' },
    });
    // Assess
    expect(sent).toEqual({ status: 200, body: '' });
    const schedule = only();
    expect(schedule).toMatchObject({
      title: 'Renew the certificates',
      every: 'month',
      timezone: 'America/New_York',
      action: 'task',
      channel: CHECKOUT,
      priority: 'P2',
      createdBy: BEN,
    });
    expect(wallTime(new Date(schedule.at), 'America/New_York')).toMatchObject({ hour: 9, minute: 0 });
    const told = slack.privately(BEN).at(-1);
    expect(told?.channel).toBe(CHECKOUT);
    expect(told?.text).toContain(
      `Scheduled *${schedule.id}* “Renew the certificates”: opens a task in this channel`,
    );
  });

  it('puts each mistake beside its field, and makes nothing', async () => {
    // Prepare
    const modal = await openForm(ANA);
    // Act
    const wrong = await submit(modal, ANA, {
      schedule_title: { value: '  ' },
      schedule_when: { value: 'someday' },
      schedule_repeat: { option: 'cron' },
      schedule_cron: { value: '0 99 * * *' },
      schedule_action: { option: 'message' },
    });
    const noUrl = await submit(modal, ANA, {
      schedule_title: { value: 'Export' },
      schedule_when: { value: 'in 2h' },
      schedule_action: { option: 'webhook' },
      schedule_url: { value: 'ftp://jobs.example.com/x' },
    });
    // Assess
    expect(wrong.body.response_action).toBe('errors');
    expect(wrong.body.errors).toEqual({
      schedule_title: 'A schedule needs a title',
      schedule_when: expect.stringContaining('"someday" is not a time TMS reads'),
      schedule_cron: expect.stringContaining('not a cron pattern'),
      schedule_channel: 'Pick the channel the reminder goes to',
    });
    expect(noUrl.body.errors).toEqual({ schedule_url: 'a webhook URL is http:// or https://' });
    // What only the use case knows comes back on the field it is about.
    const unsigned = await submit(
      modal,
      ANA,
      {
        schedule_title: { value: 'Export' },
        schedule_when: { value: 'in 2h' },
        schedule_action: { option: 'webhook' },
        schedule_url: { value: 'https://jobs.example.com/x' },
      },
      noWebhooks,
    );
    const passed = await submit(modal, ANA, {
      schedule_title: { value: 'Export' },
      schedule_when: { value: '2020-01-01T09:00' },
    });
    expect(unsigned.body.errors).toEqual({
      schedule_url: expect.stringMatching(/^webhooks are not set up here: TMS_WEBHOOK_SECRET/),
    });
    expect(passed.body.errors).toEqual({ schedule_when: expect.stringContaining('has passed') });
    expect(store.schedules.size).toBe(0);
  });

  it('makes a reminder to the channel picked, and a webhook, from the form', async () => {
    // Prepare
    const modal = await openForm(ANA);
    // Act
    const reminder = await submit(modal, ANA, {
      schedule_title: { value: 'Timesheets' },
      schedule_when: { value: 'fri 4pm' },
      schedule_repeat: { option: 'week' },
      schedule_action: { option: 'message' },
      schedule_channel: { conversation: 'C0FINANCE' },
    });
    const hook = await submit(modal, ANA, {
      schedule_title: { value: 'Export' },
      schedule_when: { value: 'in 2h' },
      schedule_action: { option: 'webhook' },
      schedule_url: { value: 'https://jobs.example.com/export' },
    });
    // Assess
    expect(reminder.body).toBe('');
    expect(hook.body).toBe('');
    const made = [...store.schedules.values()];
    expect(made.map((s) => [s.action, s.channel, s.url])).toEqual(
      expect.arrayContaining([
        ['message', 'C0FINANCE', undefined],
        ['webhook', undefined, 'https://jobs.example.com/export'],
      ]),
    );
  });
});
