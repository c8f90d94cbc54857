import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SandboxSlack, slackSignature } from '../../src/local/slack-client.js';
import type { SandboxEntry, SandboxView } from '../../src/local/slack-emulator.js';
import { DEV_SECRETS } from '../../src/local/stack.js';
import { getJson, inProcessStack, postJson, type TestStack } from '../helpers/local-stack.js';

/** The offline Slack page's own routes: what it serves, and the requests it has the stack send as Slack. */
describe("the offline Slack page's routes", () => {
  let stack: TestStack;
  // Not the development default: the page must sign with the secret this stack checks, whatever it is.
  const SECRET = 'a-signing-secret-only-this-test-knows';

  beforeAll(async () => {
    stack = await inProcessStack({ SLACK_SIGNING_SECRET: SECRET });
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
  }, 60_000);

  const send = (body: unknown, headers: Record<string, string> = {}) =>
    postJson(`${stack.url}/_sandbox/slack/send`, body, headers);

  async function messages(channel = 'C0GENERAL'): Promise<SandboxEntry[]> {
    return (await getJson(`${stack.url}/_sandbox/slack/messages?channel=${channel}`)).body.messages;
  }

  async function openViews(): Promise<SandboxView[]> {
    return (await getJson(`${stack.url}/_sandbox/slack/state`)).body.views;
  }

  /** `/tms new <title>` sent through the page, and the card it posted. */
  async function card(title: string, user = 'U01BBB'): Promise<SandboxEntry> {
    const answer = await send({ kind: 'command', user, channel: 'C0GENERAL', text: `/tms new ${title} p2` });
    expect(answer).toMatchObject({ status: 200, body: { ok: true, status: 200 } });
    await stack.idle();
    const posted = (await messages()).find(
      (m) => !m.ephemeral_user && m.text.includes(title) && JSON.stringify(m.blocks).includes('tms_ack'),
    );
    expect(posted, `a card for ${title}`).toBeDefined();
    return posted as SandboxEntry;
  }

  it('sends a slash command signed with the stack’s secret, which the bot answers as Slack shows it', async () => {
    const posted = await card('Disk full on db-2');
    // The reply to the person who typed it, shown to them only.
    const reply = (await messages()).find((m) => m.ephemeral_user === 'U01BBB' && m.text.includes('db-2'));
    expect(reply).toBeDefined();
    expect(posted.channel).toBe('C0GENERAL');
    // The same command signed with the development default is refused: the signature is what let it in.
    const forged = new SandboxSlack(stack.url, DEV_SECRETS.SLACK_SIGNING_SECRET);
    const refused = await forged.command('new Forged p2', { user: 'U01BBB', channel: 'C0GENERAL' });
    expect(refused.status).toBe(401);
  }, 60_000);

  it('presses a button and picks an option as Slack sends them: the card is edited in place', async () => {
    const posted = await card('Latency on search-1');
    const pressed = await send({
      kind: 'block_actions',
      user: 'U01BBB',
      container: { type: 'message', channel: 'C0GENERAL', ts: posted.ts },
      action_id: 'tms_ack',
    });
    expect(pressed).toMatchObject({ status: 200, body: { ok: true } });
    await stack.idle();
    const acked = (await messages()).find((m) => m.ts === posted.ts);
    expect(acked?.edits).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(acked?.blocks)).not.toContain('"tms_ack"');
    expect(acked?.text).toContain('acknowledged');

    // The priority select: an option of the element, chosen by its value (the page offers no other).
    const select = JSON.stringify(acked?.blocks).match(/"action_id":"tms_priority"/);
    expect(select).not.toBeNull();
    const option = findOption(acked?.blocks ?? [], 'tms_priority', 'P1');
    const picked = await send({
      kind: 'block_actions',
      user: 'U01BBB',
      container: { type: 'message', channel: 'C0GENERAL', ts: posted.ts },
      action_id: 'tms_priority',
      value: option,
    });
    expect(picked).toMatchObject({ status: 200, body: { ok: true } });
    await stack.idle();
    const changed = (await messages()).find((m) => m.ts === posted.ts);
    expect(changed?.edits).toBeGreaterThan(acked?.edits ?? 0);
    expect(changed?.text).toContain('P1');
  }, 60_000);

  it("opens a modal through the click's trigger_id, shows its errors, and closes it once submitted", async () => {
    const opened = await send({ kind: 'command', user: 'U01AAA', channel: 'C0GENERAL', text: '/tms new' });
    expect(opened.status).toBe(200);
    await stack.idle();
    const modal = (await openViews()).find((v) => v.type === 'modal' && v.user === 'U01AAA');
    expect(modal?.view.callback_id).toBe('tms_new');
    const id = modal?.id as string;

    const blank = await send({
      kind: 'view_submission',
      user: 'U01AAA',
      view_id: id,
      // A sender's `__proto__` key is a key like any other to JSON.parse: it must not reach a prototype.
      values: JSON.parse(
        '{"title":{"title":{"type":"plain_text_input","value":"   "}},"__proto__":{"polluted":{"type":"plain_text_input","value":"x"}}}',
      ),
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(blank).toMatchObject({ status: 200, body: { ok: true, closed: false } });
    expect(blank.body.errors.title).toContain('title');
    expect((await openViews()).some((v) => v.id === id)).toBe(true);

    const submitted = await send({
      kind: 'view_submission',
      user: 'U01AAA',
      view_id: id,
      values: {
        title: { title: { type: 'plain_text_input', value: 'Backups failing on nas-1' } },
        priority: { priority: { type: 'static_select', value: 'P2' } },
        assignee: { assignee: { type: 'users_select', user: 'U01BBB' } },
      },
    });
    expect(submitted).toMatchObject({ status: 200, body: { ok: true, closed: true } });
    await stack.idle();
    expect((await openViews()).some((v) => v.id === id)).toBe(false);
    const posted = (await messages()).find((m) => !m.ephemeral_user && m.text.includes('Backups failing'));
    expect(posted?.text).toContain('P2');
    expect(JSON.stringify(posted?.blocks)).toContain('U01BBB');

    // A modal closed is not submitted again, as Slack has nothing to submit.
    const again = await send({ kind: 'view_submission', user: 'U01AAA', view_id: id, values: {} });
    expect(again.status).toBe(400);
    expect(again.body.error.message).toContain(id);
  }, 60_000);

  it("submits /tms schedule's form with its channel as Slack sends a conversations_select, and the schedule is made", async () => {
    // Prepare: the bare command opens the form, its channel picked as the one it was typed in.
    const opened = await send({
      kind: 'command',
      user: 'U01AAA',
      channel: 'C0GENERAL',
      text: '/tms schedule',
    });
    expect(opened.status).toBe(200);
    await stack.idle();
    const modal = (await openViews()).findLast((v) => v.type === 'modal' && v.user === 'U01AAA');
    expect(modal?.view.callback_id).toBe('tms_schedule');
    const id = modal?.id as string;
    const fetched = vi.spyOn(globalThis, 'fetch');
    const sentState = () => {
      const call = fetched.mock.calls.findLast(([url]) => String(url).endsWith('/slack/events'));
      const payload = JSON.parse(new URLSearchParams(String(call?.[1]?.body)).get('payload') as string);
      return payload.view.state.values;
    };
    try {
      // Act: no channel sent, a reminder with no title; then a channel of the config's chosen.
      const blank = await send({
        kind: 'view_submission',
        user: 'U01AAA',
        view_id: id,
        values: {
          schedule_when: { schedule_when: { type: 'plain_text_input', value: 'tomorrow 09:00' } },
          schedule_action: { schedule_action: { type: 'static_select', value: 'message' } },
        },
      });
      const initial = sentState();
      const submitted = await send({
        kind: 'view_submission',
        user: 'U01AAA',
        view_id: id,
        values: {
          schedule_title: { schedule_title: { type: 'plain_text_input', value: 'Check the payment queues' } },
          schedule_when: { schedule_when: { type: 'plain_text_input', value: 'tomorrow 09:00' } },
          schedule_repeat: { schedule_repeat: { type: 'static_select', value: 'weekday' } },
          schedule_action: { schedule_action: { type: 'static_select', value: 'message' } },
          schedule_channel: {
            schedule_channel: { type: 'conversations_select', conversation: 'C0PAYMENTS' },
          },
        },
      });
      const chosen = sentState();

      // Assess: the channel the form opened with is sent until another is chosen, shaped as Slack shapes it.
      expect(blank).toMatchObject({ status: 200, body: { ok: true, closed: false } });
      expect(blank.body.errors.schedule_title).toContain('title');
      expect(initial.schedule_channel.schedule_channel).toEqual({
        type: 'conversations_select',
        selected_conversation: 'C0GENERAL',
      });
      expect(submitted).toMatchObject({ status: 200, body: { ok: true, closed: true } });
      expect(chosen.schedule_channel.schedule_channel).toEqual({
        type: 'conversations_select',
        selected_conversation: 'C0PAYMENTS',
      });
    } finally {
      fetched.mockRestore();
    }
    await stack.idle();
    const told = (await messages()).find(
      (m) => m.ephemeral_user === 'U01AAA' && m.text.includes('Check the payment queues'),
    );
    expect(told?.text).toContain('reminds <#C0PAYMENTS>');
    await send({ kind: 'command', user: 'U01AAA', channel: 'C0GENERAL', text: '/tms schedules' });
    await stack.idle();
    const listed = (await messages()).findLast(
      (m) => m.ephemeral_user === 'U01AAA' && m.text.startsWith('*Schedules*'),
    );
    expect(listed?.text).toContain('Check the payment queues');
    expect(listed?.text).toContain('C0PAYMENTS');

    // A channel that is not a channel id is refused by the page before anything is sent.
    const again = await send({
      kind: 'command',
      user: 'U01AAA',
      channel: 'C0GENERAL',
      text: '/tms schedule',
    });
    expect(again.status).toBe(200);
    await stack.idle();
    const next = (await openViews()).findLast((v) => v.type === 'modal' && v.user === 'U01AAA');
    const bad = await send({
      kind: 'view_submission',
      user: 'U01AAA',
      view_id: next?.id,
      values: {
        schedule_channel: { schedule_channel: { type: 'conversations_select', conversation: '#general' } },
      },
    });
    expect(bad.status).toBe(400);
  }, 60_000);

  it('closes a modal on Cancel', async () => {
    const posted = await card('Memory leak in billing', 'U01AAA');
    await send({
      kind: 'block_actions',
      user: 'U01AAA',
      container: { type: 'message', channel: 'C0GENERAL', ts: posted.ts },
      action_id: 'tms_resolve',
    });
    await stack.idle();
    const modal = (await openViews()).find((v) => v.type === 'modal' && v.view.callback_id === 'tms_resolve');
    expect(modal?.user).toBe('U01AAA');
    const closed = await send({ kind: 'view_closed', user: 'U01AAA', view_id: modal?.id });
    expect(closed).toMatchObject({ status: 200, body: { ok: true, closed: true } });
    expect((await openViews()).some((v) => v.id === modal?.id)).toBe(false);
  }, 60_000);

  it("publishes App Home when the page opens the Home tab, as Slack's app_home_opened does", async () => {
    const opened = await send({ kind: 'app_home_opened', user: 'U09VIEW' });
    expect(opened).toMatchObject({ status: 200, body: { ok: true } });
    await stack.idle();
    const home = (await openViews()).find((v) => v.type === 'home' && v.user === 'U09VIEW');
    expect(JSON.stringify(home?.view)).toContain('Your open tasks');
  }, 60_000);

  it('sends what Slack sends for a pick: signed, with the trigger, response_url, container, message and state', async () => {
    const posted = await card('Packet loss on edge-7');
    const option = findOption(posted.blocks, 'tms_priority', 'P1');
    // The stack runs in this process: its own POST to /slack/events goes through this fetch.
    const fetched = vi.spyOn(globalThis, 'fetch');
    try {
      await send({
        kind: 'block_actions',
        user: 'U01BBB',
        container: { type: 'message', channel: 'C0GENERAL', ts: posted.ts },
        action_id: 'tms_priority',
        value: option,
      });
      const call = fetched.mock.calls.find(([url]) => String(url).endsWith('/slack/events'));
      expect(call).toBeDefined();
      const init = call?.[1] as RequestInit & { headers: Record<string, string> };
      const body = String(init.body);
      const timestamp = Number(init.headers['x-slack-request-timestamp']);
      expect(init.headers['x-slack-signature']).toBe(slackSignature(SECRET, timestamp, body));
      const payload = JSON.parse(new URLSearchParams(body).get('payload') as string);
      expect(payload).toMatchObject({
        type: 'block_actions',
        user: { id: 'U01BBB' },
        team: { id: 'T0LOCAL' },
        channel: { id: 'C0GENERAL', name: 'general' },
        container: { type: 'message', message_ts: posted.ts, channel_id: 'C0GENERAL', is_ephemeral: false },
        message: { ts: posted.ts, blocks: posted.blocks },
        actions: [{ type: 'static_select', action_id: 'tms_priority', selected_option: { value: option } }],
      });
      expect(payload.trigger_id).toContain('U01BBB');
      expect(payload.response_url).toMatch(/^https:\/\/hooks\.slack\.com\/actions\//);
      const blockId = payload.actions[0].block_id;
      expect(payload.state.values[blockId].tms_priority.selected_option.value).toBe(option);
    } finally {
      fetched.mockRestore();
    }
    await stack.idle();
  }, 60_000);

  it('presses a button in App Home: the click comes from the view, and the task changes', async () => {
    await send({
      kind: 'command',
      user: 'U01AAA',
      channel: 'C0GENERAL',
      text: '/tms new Refunds stuck in checkout p2 checkout @ben',
    });
    await stack.idle();
    await send({ kind: 'app_home_opened', user: 'U01BBB' });
    await stack.idle();
    const home = (await openViews()).find((v) => v.type === 'home' && v.user === 'U01BBB') as SandboxView;
    expect(JSON.stringify(home.view)).toContain('Refunds stuck in checkout');
    const pressed = await send({
      kind: 'block_actions',
      user: 'U01BBB',
      container: { type: 'view', view_id: home.id },
      action_id: 'tms_ack',
    });
    expect(pressed).toMatchObject({ status: 200, body: { ok: true } });
    await stack.idle();
    const { body } = await getJson(`${stack.url}/api/tasks?limit=100`, {
      authorization: `Bearer ${stack.secrets.TMS_API_TOKEN}`,
    });
    const task = (body.tasks as { title: string; status: string; assignee: string }[]).find(
      (t) => t.title === 'Refunds stuck in checkout',
    );
    expect(task).toMatchObject({ status: 'acknowledged', assignee: 'U01BBB' });
  }, 60_000);

  it.each([
    [
      'an unknown field',
      { kind: 'command', user: 'U01AAA', channel: 'C0GENERAL', text: '/tms', extra: 1 },
      'extra',
    ],
    ['an unknown kind', { kind: 'message', user: 'U01AAA' }, 'kind'],
    ['a user that is no Slack id', { kind: 'app_home_opened', user: '__proto__' }, 'user'],
    [
      'a channel that is no Slack id',
      { kind: 'command', user: 'U01AAA', channel: 'general', text: '/tms' },
      'channel',
    ],
    [
      'plain text for a bot that reads only /tms',
      { kind: 'command', user: 'U01AAA', channel: 'C0GENERAL', text: 'hello' },
      '/tms',
    ],
    [
      'a message that is not there',
      {
        kind: 'block_actions',
        user: 'U01AAA',
        container: { type: 'message', channel: 'C0GENERAL', ts: '1.000001' },
        action_id: 'tms_ack',
      },
      'No message',
    ],
    [
      'a submission of a modal nobody has open',
      {
        kind: 'view_submission',
        user: 'U01AAA',
        view_id: 'V99999999',
        values: { title: { title: { type: 'plain_text_input', value: 'x' } } },
      },
      'no open modal V99999999',
    ],
  ])('refuses %s with 400 and the reason', async (_, body, reason) => {
    const answer = await send(body);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('INVALID_INPUT');
    expect(answer.body.error.message).toContain(reason);
  });

  it('refuses what another web page sends, a body that is not JSON, and a GET', async () => {
    const body = { kind: 'app_home_opened', user: 'U01AAA' };
    expect((await send(body, { origin: 'http://evil.example' })).status).toBe(403);
    expect((await send(body, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    const form = await fetch(`${stack.url}/_sandbox/slack/send`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify(body),
    });
    expect(form.status).toBe(415);
    expect((await send('{not json')).status).toBe(400);
    expect((await fetch(`${stack.url}/_sandbox/slack/send`)).status).toBe(405);
  });

  it('takes a message with a date beyond what a Date holds, and prints it with its fallback', async () => {
    for (const text of ['<!date^-1e308^{date_pretty}|neg>', '<!date^99999999999999^{date}|far>']) {
      const posted = await postJson(
        `${stack.url}/slack/api/chat.postMessage`,
        { channel: 'C0GENERAL', text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] },
        { authorization: 'Bearer xoxb-tms-local-bot-token' },
      );
      expect(posted.status, text).toBe(200);
      expect(posted.body).toMatchObject({ ok: true });
    }
  });

  it('refuses a body whose media type only mentions JSON in a parameter', async () => {
    const answer = await postJson(
      `${stack.url}/_sandbox/slack/send`,
      { kind: 'app_home_opened', user: 'U01AAA' },
      { 'content-type': 'text/plain; a=application/json' },
    );
    expect(answer.status).toBe(415);
    const cased = await postJson(
      `${stack.url}/_sandbox/slack/send`,
      { kind: 'app_home_opened', user: 'U01AAA' },
      { 'content-type': 'Application/JSON; charset=utf-8' },
    );
    expect(cased.status).toBe(200);
  });

  it('answers its state with a version, and 204 while nothing changed', async () => {
    const first = await getJson(`${stack.url}/_sandbox/slack/state`);
    expect(first.body.users).toEqual(
      expect.arrayContaining([
        { id: 'U01AAA', name: 'ana', role: 'admin' },
        { id: 'U01BBB', name: 'ben', role: 'developer' },
        { id: 'U09VIEW', name: 'vic', role: 'viewer' },
      ]),
    );
    expect(first.body.channels).toEqual(
      expect.arrayContaining([
        { id: 'C0GENERAL', name: 'general' },
        { id: 'C0CHECKOUT', name: 'checkout' },
        { id: 'C0PAYMENTS', name: 'payments' },
      ]),
    );
    const version = first.body.version as string;
    const unchanged = await fetch(`${stack.url}/_sandbox/slack/state?since=${version}`);
    expect(unchanged.status).toBe(204);
    await card('Version bump check');
    const changed = await getJson(`${stack.url}/_sandbox/slack/state?since=${version}`);
    expect(changed.status).toBe(200);
    expect(changed.body.version).not.toBe(version);
  }, 60_000);

  it('answers only what changed since the version the page has, and everything to a page of another run', async () => {
    const bot = { authorization: 'Bearer xoxb-tms-local-bot-token' };
    const post = async (text: string) =>
      (await postJson(`${stack.url}/slack/api/chat.postMessage`, { channel: 'C0CHECKOUT', text }, bot)).body
        .ts as string;
    const old = await post('an old message');
    const full = await getJson(`${stack.url}/_sandbox/slack/state`);
    const version = full.body.version as string;
    expect(full.body.since).toBeUndefined();
    expect(full.body.messages.map((m: SandboxEntry) => m.ts)).toContain(old);

    const added = await post('a new message');
    await postJson(
      `${stack.url}/slack/api/chat.update`,
      { channel: 'C0CHECKOUT', ts: old, text: 'an old message, edited' },
      bot,
    );
    const diff = await getJson(`${stack.url}/_sandbox/slack/state?since=${version}`);
    expect(diff.status).toBe(200);
    expect(diff.body).toMatchObject({ since: version, removed: [], closed: [] });
    expect(diff.body.messages.map((m: SandboxEntry) => [m.ts, m.text])).toEqual([
      [old, 'an old message, edited'],
      [added, 'a new message'],
    ]);
    expect(diff.body.users).toEqual(full.body.users);
    const unchanged = await fetch(`${stack.url}/_sandbox/slack/state?since=${diff.body.version}`);
    expect(unchanged.status).toBe(204);

    // A version this run never gave (an earlier run's counters, a made-up one) gets the whole state.
    const [, count, closings] = version.split('.');
    const everything = (await getJson(`${stack.url}/_sandbox/slack/state`)).body.messages;
    for (const since of [`otherrun.${count}.${closings}`, 'x', `${version.split('.')[0]}.99999999.0`]) {
      const whole = await getJson(`${stack.url}/_sandbox/slack/state?since=${since}`);
      expect(whole.body.since, since).toBeUndefined();
      expect(whole.body.messages).toEqual(everything);
    }
  });

  it('serves the page, its permalinks and its built script under a CSP with no inline script', async () => {
    const page = await fetch(`${stack.url}/_sandbox/slack/`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await page.text();
    const scripts = html.match(/<script[^>]*>/g) ?? [];
    expect(scripts.length).toBe(1);
    expect(scripts.every((tag) => tag.includes(' src='))).toBe(true);

    const posted = await card('Permalink target');
    const link = stack.slack.call(
      'chat.getPermalink',
      { channel: 'C0GENERAL', message_ts: posted.ts },
      `Bearer ${stack.secrets.SLACK_BOT_TOKEN}`,
    ).body as { permalink: string };
    const permalink = await fetch(link.permalink);
    expect(permalink.status).toBe(200);
    expect(await permalink.text()).toBe(html);

    const script = await fetch(`${stack.url}/_sandbox/slack/app/slack.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toContain('javascript');
    const style = await fetch(`${stack.url}/_sandbox/slack/app/slack.css`);
    expect(style.headers.get('content-type')).toContain('css');
    const bare = await fetch(`${stack.url}/_sandbox/slack`, { redirect: 'manual' });
    expect(bare.status).toBe(302);
    expect(bare.headers.get('location')).toBe('/_sandbox/slack/');
  }, 60_000);
});

/** The value of the option of `actionId` whose text or value names `wanted`. */
function findOption(blocks: unknown[], actionId: string, wanted: string): string {
  const found: string[] = [];
  JSON.stringify(blocks, (_key, value) => {
    if (value && typeof value === 'object' && value.action_id === actionId && Array.isArray(value.options))
      for (const option of value.options as { value: string; text: { text: string } }[])
        if (option.value.endsWith(wanted) || option.text.text.includes(wanted)) found.push(option.value);
    return value;
  });
  if (!found[0]) throw new Error(`no option ${wanted} in ${actionId}`);
  return found[0];
}
