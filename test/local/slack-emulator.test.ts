import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleepAtLeast } from '../../src/core/use-cases/deps.js';
import { SlackEmulator } from '../../src/local/slack-emulator.js';
import { config } from '../helpers/factories.js';
import type { TestStack } from '../helpers/local-stack.js';
import { getJson, inProcessStack, postJson } from '../helpers/local-stack.js';

let tms: TestStack;
let slack: WebClient;
beforeAll(async () => {
  tms = await inProcessStack();
  // The client the bot uses, pointed at the emulator; rate limits surface instead of being waited out.
  slack = new WebClient('xoxb-tms-local-bot-token', {
    slackApiUrl: `${tms.url}/slack/api/`,
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
  });
});
afterAll(async () => {
  await tms.close();
});

const messages = async (channel?: string) =>
  (await getJson(`${tms.url}/_sandbox/slack/messages${channel ? `?channel=${channel}` : ''}`)).body.messages;

describe('the Slack Web API emulator, through the real WebClient', () => {
  it('posts, threads and updates messages with Slack-like timestamps, counting edits', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*TMS-1* Disk full' } }];
    const card = await slack.chat.postMessage({ channel: 'C0CARDS', text: 'TMS-1 Disk full', blocks });
    expect(card).toMatchObject({
      ok: true,
      channel: 'C0CARDS',
      ts: expect.stringMatching(/^\d{10}\.\d{6}$/),
    });
    const reply = await slack.chat.postMessage({
      channel: 'C0CARDS',
      thread_ts: card.ts,
      text: 'acknowledged by <@U01AAA>',
    });
    await slack.chat.update({
      channel: 'C0CARDS',
      ts: card.ts as string,
      text: 'TMS-1 Disk full (acknowledged)',
      blocks,
    });
    await slack.chat.update({
      channel: 'C0CARDS',
      ts: card.ts as string,
      text: 'TMS-1 Disk full (resolved)',
      blocks,
    });

    expect(await messages('C0CARDS')).toEqual([
      {
        channel: 'C0CARDS',
        ts: card.ts,
        thread_ts: null,
        text: 'TMS-1 Disk full (resolved)',
        blocks,
        edits: 2,
      },
      {
        channel: 'C0CARDS',
        ts: reply.ts,
        thread_ts: card.ts,
        text: 'acknowledged by <@U01AAA>',
        blocks: [],
        edits: 0,
      },
    ]);
    expect(Number(reply.ts)).toBeGreaterThan(Number(card.ts));
    expect(tms.lines.some((l) => l.includes('slack updated → C0CARDS') && l.includes('edit 2'))).toBe(true);
    expect(tms.lines.some((l) => l.includes('│ *TMS-1* Disk full'))).toBe(true);
  });

  it('fails chat.update of an unknown ts with message_not_found, as Slack does', async () => {
    await expect(
      slack.chat.update({ channel: 'C0CARDS', ts: '1234567890.000001', text: 'x' }),
    ).rejects.toMatchObject({
      data: { ok: false, error: 'message_not_found' },
    });
  });

  it('keeps ephemeral messages apart, with the one user who saw them', async () => {
    const { message_ts } = await slack.chat.postEphemeral({
      channel: 'C0CARDS',
      user: 'U01BBB',
      text: 'Only you can see this',
    });
    expect(await messages('C0CARDS')).toContainEqual({
      channel: 'C0CARDS',
      ts: message_ts,
      thread_ts: null,
      text: 'Only you can see this',
      blocks: [],
      edits: 0,
      ephemeral_user: 'U01BBB',
    });
  });

  it('answers users, user groups, channels, permalinks and auth from the sandbox', async () => {
    expect((await slack.users.info({ user: 'U01AAA' })).user).toMatchObject({
      id: 'U01AAA',
      name: 'ana',
      tz: 'Europe/Berlin',
    });
    expect((await slack.users.info({ user: 'U0NOBODY' })).user).toMatchObject({ tz: 'UTC', tz_offset: 0 });
    expect((await slack.usergroups.users.list({ usergroup: 'S0READONLY' })).users).toEqual(['U09VIEW']);
    await expect(slack.usergroups.users.list({ usergroup: 'S0NONE' })).rejects.toMatchObject({
      data: { error: 'no_such_subteam' },
    });
    expect((await slack.conversations.info({ channel: 'C0CARDS' })).channel).toMatchObject({
      id: 'C0CARDS',
      is_archived: false,
    });
    expect(await slack.auth.test()).toMatchObject({ ok: true, user_id: 'U0TMSBOT', bot_id: 'B0TMSBOT' });
    const [card] = await messages('C0CARDS');
    const link = await slack.chat.getPermalink({ channel: 'C0CARDS', message_ts: card.ts });
    expect(link.permalink).toBe(`${tms.url}/_sandbox/slack/archives/C0CARDS/p${card.ts.replace('.', '')}`);
  });

  it('opens, updates and publishes views, and lists them with their user and type', async () => {
    const modal = {
      type: 'modal',
      callback_id: 'resolve',
      title: { type: 'plain_text', text: 'Resolve TMS-1' },
      blocks: [],
    };
    const opened = await slack.views.open({ trigger_id: '12345.U01AAA.abcdef', view: modal as never });
    await slack.views.update({
      view_id: opened.view?.id as string,
      view: { ...modal, title: { type: 'plain_text', text: 'Resolve TMS-1 (2)' } } as never,
    });
    await slack.views.publish({ user_id: 'U01BBB', view: { type: 'home', blocks: [] } as never });
    await slack.views.publish({
      user_id: 'U01BBB',
      view: { type: 'home', blocks: [{ type: 'divider' }] } as never,
    });
    const { views } = (await getJson(`${tms.url}/_sandbox/slack/views`)).body;
    expect(views).toEqual([
      expect.objectContaining({
        id: opened.view?.id,
        type: 'modal',
        user: 'U01AAA',
        updates: 1,
        view: expect.objectContaining({ title: { type: 'plain_text', text: 'Resolve TMS-1 (2)' } }),
      }),
      expect.objectContaining({
        type: 'home',
        user: 'U01BBB',
        updates: 1,
        view: { type: 'home', blocks: [{ type: 'divider' }] },
      }),
    ]);
  });

  it('refuses a wrong token and calls without one', async () => {
    const stranger = new WebClient('xoxb-wrong', {
      slackApiUrl: `${tms.url}/slack/api/`,
      retryConfig: { retries: 0 },
    });
    await expect(stranger.auth.test()).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
    expect((await postJson(`${tms.url}/slack/api/auth.test`, {})).body).toEqual({
      ok: false,
      error: 'not_authed',
    });
  });
});

describe('faults injected through the sandbox', () => {
  it('rate-limits the next call with 429 and Retry-After, refuses another before it has passed, then recovers', async () => {
    await postJson(`${tms.url}/_sandbox/slack/faults`, {
      method: 'chat.postMessage',
      error: 'ratelimited',
      retryAfter: 1,
      count: 1,
    });
    for (let i = 0; i < 2; i++) {
      await expect(slack.chat.postMessage({ channel: 'C0CARDS', text: 'x' })).rejects.toMatchObject({
        code: 'slack_webapi_rate_limited_error',
        retryAfter: 1,
      });
    }
    await sleepAtLeast(1_000);
    expect((await slack.chat.postMessage({ channel: 'C0CARDS', text: 'after the storm' })).ok).toBe(true);
  });

  it('fails with the channel errors the bot must reconcile', async () => {
    for (const error of ['not_in_channel', 'channel_not_found', 'is_archived', 'invalid_auth'] as const) {
      await postJson(`${tms.url}/_sandbox/slack/faults`, { method: 'chat.update', error });
      await expect(slack.chat.update({ channel: 'C0CARDS', ts: '1.1', text: 'x' })).rejects.toMatchObject({
        data: { error },
      });
    }
  });

  it('refuses a fault it cannot play, saying why', async () => {
    const answer = await postJson(`${tms.url}/_sandbox/slack/faults`, {
      method: 'chat.update',
      error: 'on_fire',
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toContain('error');
    expect((await postJson(`${tms.url}/_sandbox/slack/faults`, 'nope')).status).toBe(400);
  });
});

describe('response_url', () => {
  it('answers posts to response URLs, hooks.slack.com ones redirected here included', async () => {
    tms.slack.registerResponseUrl('https://hooks.slack.com/commands/T0LOCAL/1/abc', {
      channel: 'C0CMD',
      user: 'U01AAA',
    });
    const url = `${tms.url}/slack/hooks/commands/T0LOCAL/1/abc`;
    expect((await postJson(url, { text: 'Usage: /tms claim <id>' })).body).toEqual({ ok: true });
    expect((await postJson(url, { text: 'Claimed TMS-1', replace_original: true })).body).toEqual({
      ok: true,
    });
    expect(await messages('C0CMD')).toEqual([
      expect.objectContaining({
        text: 'Claimed TMS-1',
        edits: 1,
        ephemeral_user: 'U01AAA',
        response_url: url,
      }),
    ]);
  });
});

describe('the Web API client the handlers use', () => {
  it('talks to the emulator offline, with the development bot token', async () => {
    const { createSlackClient } = await import('../../src/adapters/slack/client.js');
    const posted = await createSlackClient(
      tms.secrets.SLACK_BOT_TOKEN,
      tms.deps.slackSettings.apiUrl,
    ).chat.postMessage({
      channel: 'C0CLIENT',
      text: 'from the handlers’ client',
    });
    expect(posted.ok).toBe(true);
    expect(await messages('C0CLIENT')).toEqual([
      expect.objectContaining({ ts: posted.ts, text: 'from the handlers’ client' }),
    ]);
  });

  it('goes to Slack itself when a real token is given', async () => {
    const { createSlackClient } = await import('../../src/adapters/slack/client.js');
    const client = createSlackClient('xoxb-real');
    expect(client.slackApiUrl).toBe('https://slack.com/api/');
  });
});

describe('what the emulator refuses, as Slack refuses it', () => {
  // Prepare: the emulator alone, on a clock the test moves.
  let now = Date.parse('2026-03-02T09:00:00.000Z');
  const emulator = new SlackEmulator({
    token: 'xoxb-t',
    sandbox: config.sandbox,
    baseUrl: () => 'http://127.0.0.1:1',
    now: () => now,
  });
  const call = (method: string, params: Record<string, unknown>) =>
    emulator.call(method, params, 'Bearer xoxb-t');
  const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

  it('answers invalid_blocks with Slack’s messages for a section, a field or a header over its limit', () => {
    const answer = call('chat.postMessage', {
      channel: 'C0CARDS',
      text: 'x',
      blocks: [
        section('a'.repeat(3_001)),
        { type: 'section', fields: [{ type: 'mrkdwn', text: 'b'.repeat(2_001) }] },
        { type: 'header', text: { type: 'plain_text', text: 'c'.repeat(151) } },
      ],
    });
    expect(answer.body).toEqual({
      ok: false,
      error: 'invalid_blocks',
      errors: [
        'must be less than 3001 characters [json-pointer:/blocks/0/text/text]',
        'must be less than 2001 characters [json-pointer:/blocks/1/fields/0/text]',
        'must be less than 151 characters [json-pointer:/blocks/2/text/text]',
      ],
      response_metadata: {
        messages: [
          '[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]',
          '[ERROR] must be less than 2001 characters [json-pointer:/blocks/1/fields/0/text]',
          '[ERROR] must be less than 151 characters [json-pointer:/blocks/2/text/text]',
        ],
      },
    });
    expect(emulator.messages('C0CARDS')).toEqual([]);
  });

  it('takes blocks exactly at the limits', () => {
    const answer = call('chat.postMessage', {
      channel: 'C0CARDS',
      text: 't'.repeat(40_000),
      blocks: [section('a'.repeat(3_000)), ...Array.from({ length: 49 }, () => ({ type: 'divider' }))],
    });
    expect(answer.body).toMatchObject({ ok: true });
  });

  it('refuses more than 50 blocks, a block of no known shape, 11 fields and text over 40,000 characters', () => {
    const many = call('chat.update', {
      channel: 'C0CARDS',
      ts: emulator.messages('C0CARDS')[0]?.ts,
      text: 'x',
      blocks: Array.from({ length: 51 }, () => section('a')),
    });
    expect(many.body).toMatchObject({
      error: 'invalid_blocks',
      response_metadata: { messages: ['[ERROR] no more than 50 items allowed [json-pointer:/blocks]'] },
    });
    const shapes = call('chat.postEphemeral', {
      channel: 'C0CARDS',
      user: 'U01AAA',
      text: 'x',
      blocks: [
        { type: 'sectoin', text: { type: 'mrkdwn', text: 'a' } },
        { type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) },
        { type: 'section', text: 'not a text object' },
      ],
    });
    expect(shapes.body).toMatchObject({
      error: 'invalid_blocks',
      response_metadata: {
        messages: [
          '[ERROR] must be a valid enum value [json-pointer:/blocks/0/type]',
          '[ERROR] no more than 10 items allowed [json-pointer:/blocks/1/fields]',
          '[ERROR] must be a text object [json-pointer:/blocks/2/text]',
        ],
      },
    });
    expect(call('chat.postMessage', { channel: 'C0CARDS', text: 'x'.repeat(40_001) }).body).toMatchObject({
      ok: false,
      error: 'msg_too_long',
    });
  });

  it('refuses a view whose title, button or blocks are over Slack’s limits, in views.open, views.update and views.publish', () => {
    const modal = {
      type: 'modal',
      title: { type: 'plain_text', text: 'Resolve TMS-123456789012345' },
      blocks: [section('a')],
    };
    const opened = call('views.open', { trigger_id: '1.U01AAA.x', view: JSON.stringify(modal) });
    expect(opened.body).toEqual({
      ok: false,
      error: 'invalid_arguments',
      response_metadata: {
        messages: ['[ERROR] must be less than 25 characters [json-pointer:/view/title/text]'],
      },
    });
    const fine = call('views.open', {
      trigger_id: '1.U01AAA.x',
      view: { ...modal, title: { type: 'plain_text', text: 'Resolve TMS-1' } },
    });
    const id = (fine.body as { view: { id: string } }).view.id;
    expect(
      call('views.update', { view_id: id, view: { ...modal, blocks: [section('a'.repeat(3_001))] } }).body,
    ).toMatchObject({ error: 'invalid_arguments' });
    const home = { type: 'home', blocks: Array.from({ length: 101 }, () => ({ type: 'divider' })) };
    expect(call('views.publish', { user_id: 'U01AAA', view: home }).body).toMatchObject({
      error: 'invalid_arguments',
      response_metadata: { messages: ['[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]'] },
    });
    expect(emulator.views()).toHaveLength(1);
  });

  it('refuses a response_url reply Slack would refuse', () => {
    const answer = emulator.respond('http://127.0.0.1:1/slack/hooks/T/1/x', {
      text: 'x',
      blocks: [section('&amp;'.repeat(601))],
    });
    expect(answer).toMatchObject({ status: 400, body: { error: 'invalid_blocks' } });
  });

  it('answers a call made before the Retry-After it gave with 429 again and the time still left', () => {
    emulator.addFault({ method: 'chat.update', error: 'ratelimited', retryAfter: 3, count: 1 });
    const update = { channel: 'C0CARDS', ts: '1.1', text: 'x' };
    expect(call('chat.update', update)).toMatchObject({ status: 429, headers: { 'retry-after': '3' } });
    now += 1_500;
    expect(call('chat.update', update)).toMatchObject({ status: 429, headers: { 'retry-after': '2' } });
    now += 1_499;
    expect(call('chat.update', update)).toMatchObject({ status: 429, headers: { 'retry-after': '1' } });
    // Other methods are not held; and once the time is up the call is answered.
    expect(call('chat.postMessage', { channel: 'C0CARDS', text: 'y' }).status).toBe(200);
    now += 1;
    expect(call('chat.update', update)).toMatchObject({ status: 200, body: { error: 'message_not_found' } });
  });
});

describe('what changed since a version, as the offline Slack page polls it', () => {
  const emulator = new SlackEmulator({
    token: 'xoxb-t',
    sandbox: config.sandbox,
    baseUrl: () => 'http://127.0.0.1:1',
  });
  const call = (method: string, params: Record<string, unknown>) =>
    emulator.call(method, params, 'Bearer xoxb-t').body as { ts: string; view: { id: string } };

  it('answers only the messages posted, edited or removed after it, and the views changed', () => {
    const first = call('chat.postMessage', { channel: 'C0CARDS', text: 'one' });
    const second = call('chat.postMessage', { channel: 'C0CARDS', text: 'two' });
    const home = call('views.publish', { user_id: 'U01AAA', view: { type: 'home', blocks: [] } });
    const seen = emulator.version;
    expect(emulator.changesSince(seen)).toEqual({ messages: [], removed: [], views: [] });

    call('chat.update', { channel: 'C0CARDS', ts: first.ts, text: 'one, edited' });
    const third = call('chat.postMessage', { channel: 'C0CARDS', text: 'three' });
    call('chat.delete', { channel: 'C0CARDS', ts: second.ts });
    const changes = emulator.changesSince(seen);
    expect(changes?.messages.map((m) => [m.ts, m.text, m.edits])).toEqual([
      [first.ts, 'one, edited', 1],
      [third.ts, 'three', 0],
    ]);
    expect(changes?.removed).toEqual([second.ts]);
    expect(changes?.views).toEqual([]);

    call('views.publish', { user_id: 'U01AAA', view: { type: 'home', blocks: [{ type: 'divider' }] } });
    expect(emulator.changesSince(seen)?.views).toEqual([
      expect.objectContaining({ id: home.view.id, updates: 1 }),
    ]);
    // From the start: everything there is; a version it never had (an earlier run's, a later one): nothing to diff.
    expect(emulator.changesSince(0)?.messages.map((m) => m.text)).toEqual(['one, edited', 'three']);
    expect(emulator.changesSince(emulator.version + 1)).toBeUndefined();
    expect(emulator.changesSince(Number.NaN)).toBeUndefined();
  });
});
