import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SlackAnswer, slackSignature } from '../../src/local/slack-client.js';
import { API, getJson, inProcessStack, type TestStack } from '../helpers/local-stack.js';
import { ANA, BEN, GENERAL, settle, slackOf } from '../helpers/slack.js';

let stack: TestStack;
let slack: ReturnType<typeof slackOf>;

beforeAll(async () => {
  stack = await inProcessStack();
  slack = slackOf(stack);
});
afterAll(() => stack.close());

const now = () => Math.floor(Date.now() / 1000);
const sign = (ts: number, body: string) => slackSignature(stack.secrets.SLACK_SIGNING_SECRET, ts, body);
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const titled = async (title: string) =>
  (await getJson(`${stack.url}/api/tasks?limit=100`, API())).body.tasks.filter(
    (t: { title: string }) => t.title === title,
  ).length;

/** Sent signed, as Slack would: the answer is never a 5xx, and any refusal has TMS's JSON error shape. */
async function signed(body: string, contentType = 'application/x-www-form-urlencoded'): Promise<SlackAnswer> {
  const answer = await slack.client.send(body, { contentType });
  expect(answer.status, answer.text).toBeLessThan(500);
  expect(answer.text).not.toMatch(/\n\s+at /); // no stack trace
  if (answer.status >= 400) {
    expect(answer.body.error).toEqual({ code: expect.any(String), message: expect.any(String) });
  }
  return answer;
}

describe('replayed requests', () => {
  it('refuses a signed command replayed with text appended to its signature, and opens one task', async () => {
    // Arrange: Bolt's own check splits the header on `=` and ignores what follows a second one.
    const body = slack.client.commandBody('new Replayed with =1 p4', { user: ANA, channel: GENERAL });
    const ts = now();
    const signature = sign(ts, body);
    // Act
    const first = await slack.client.send(body, { timestamp: ts, signature });
    const replays = await Promise.all(
      [`${signature}=1`, `${signature}=`, `${signature}==x`].map((dressed) =>
        slack.client.send(body, { timestamp: ts, signature: dressed }),
      ),
    );
    const plain = await slack.client.send(body, { timestamp: ts, signature });
    await settle(stack);
    // Assert
    expect(first.status).toBe(200);
    for (const refused of [...replays, plain]) {
      expect(refused.status).toBe(401);
      expect(refused.body.error.code).toBe('UNAUTHENTICATED');
    }
    expect(await titled('Replayed with =1')).toBe(1);
  });

  it('refuses a slash command that carries a retry header: Slack retries only events', async () => {
    const body = slack.client.commandBody('new Replayed as a retry p4', { user: ANA, channel: GENERAL });
    const ts = now();
    const signature = sign(ts, body);
    const first = await slack.client.send(body, { timestamp: ts, signature });
    const retried = await Promise.all(
      ['1', '2'].map((n) =>
        slack.client.send(body, {
          timestamp: ts,
          signature,
          headers: { 'x-slack-retry-num': n, 'x-slack-retry-reason': 'http_timeout' },
        }),
      ),
    );
    // Never seen before, but a retry header on a command is not something Slack sends.
    const fresh = await slack.client.send(
      slack.client.commandBody('new Replayed fresh with a header p4', { user: ANA, channel: GENERAL }),
      { headers: { 'x-slack-retry-num': '1' } },
    );
    await settle(stack);
    expect(first.status).toBe(200);
    for (const refused of [...retried, fresh]) {
      expect(refused.status).toBe(401);
      expect(refused.body.error.code).toBe('UNAUTHENTICATED');
    }
    expect(await titled('Replayed as a retry')).toBe(1);
    expect(await titled('Replayed fresh with a header')).toBe(0);
  });

  it('takes only a signature header of Slack’s exact form', async () => {
    const body = slack.client.commandBody('list', { user: ANA, channel: GENERAL });
    const ts = now();
    const good = sign(ts, body);
    for (const dressed of [
      good.toUpperCase().replace('V0=', 'v0='),
      `v1=${good.slice(3)}`,
      `${good}0`,
      `${good}=junk`,
    ]) {
      const answer = await slack.client.send(body, { timestamp: ts, signature: dressed });
      expect(answer.status).toBe(401);
    }
    expect((await slack.client.send(body, { timestamp: ts, signature: good })).status).toBe(200);
  });

  it('refuses an event replayed without a retry header, and applies a retried one once', async () => {
    const body = JSON.stringify({
      type: 'event_callback',
      team_id: 'T0LOCAL',
      api_app_id: 'A0TMSLOCAL',
      event_id: 'Ev0REPLAYED',
      event_time: now(),
      event: { type: 'app_home_opened', user: BEN, channel: 'D01BBB', tab: 'home' },
    });
    const ts = now();
    const signature = sign(ts, body);
    const options = { timestamp: ts, signature, contentType: 'application/json' };
    const home = () => stack.slack.views().filter((v) => v.type === 'home' && v.user === BEN);
    // Published once from here: a view of its own (updates 0), or one more update of the view there was.
    const published = home().map((h) => h.updates + 1);
    const first = await slack.client.send(body, options);
    await settle(stack);
    const replayed = await slack.client.send(body, options);
    const retry = await slack.client.send(body, { ...options, headers: { 'x-slack-retry-num': '1' } });
    await settle(stack);
    expect([first.status, replayed.status, retry.status]).toEqual([200, 401, 200]);
    expect(home().map((h) => h.updates)).toEqual(published.length > 0 ? published : [0]);
  });
});

describe('signed but malformed bodies', () => {
  const click = (payload: unknown) => form({ payload: JSON.stringify(payload) });
  const action = {
    type: 'button',
    action_id: 'tms_ack',
    block_id: 'tms_card:TMS-9999@1',
    value: 'TMS-9999@1',
  };
  const cases: [string, string, string?][] = [
    ['a JSON content type with a form body', 'command=%2Ftms&text=list', 'application/json'],
    ['a JSON body of null', 'null', 'application/json'],
    ['a JSON array', '[{"type":"event_callback"}]', 'application/json'],
    ['a JSON body of another type', '{"type":"block_actions"}', 'application/json'],
    ['a payload that is not JSON', form({ payload: '{"type": "block_actions"' })],
    ['a payload of null', form({ payload: 'null' })],
    ['a payload of a number', form({ payload: '7' })],
    ['two payloads', `${form({ payload: '{}' })}&${form({ payload: '{}' })}`],
    ['a payload without a type', click({ user: { id: ANA }, actions: [action] })],
    ['a click without a user', click({ type: 'block_actions', actions: [action] })],
    ['a click by a null user', click({ type: 'block_actions', user: null, actions: [action] })],
    ['a click without actions', click({ type: 'block_actions', user: { id: ANA } })],
    ['a click with null actions', click({ type: 'block_actions', user: { id: ANA }, actions: null })],
    ['a click with a null action', click({ type: 'block_actions', user: { id: ANA }, actions: [null] })],
    [
      'a select without its choice',
      click({
        type: 'block_actions',
        user: { id: ANA },
        actions: [{ ...action, type: 'static_select', action_id: 'tms_priority' }],
      }),
    ],
    ['a submission without a view', click({ type: 'view_submission', user: { id: ANA } })],
    [
      'a submission without its state',
      click({ type: 'view_submission', user: { id: ANA }, view: { callback_id: 'tms_new' } }),
    ],
    [
      'a submission without a user',
      click({ type: 'view_submission', view: { callback_id: 'tms_new', state: { values: {} } } }),
    ],
    ['an empty form', ''],
    ['a command without its user and channel', form({ command: '/tms', text: 'list' })],
    [
      'an event without an event',
      JSON.stringify({ type: 'event_callback', event_id: 'Ev0BAD1' }),
      'application/json',
    ],
    [
      'an event of null',
      JSON.stringify({ type: 'event_callback', event_id: 'Ev0BAD2', event: null }),
      'application/json',
    ],
    [
      'an event without a user',
      JSON.stringify({
        type: 'event_callback',
        event_id: 'Ev0BAD3',
        event: { type: 'app_home_opened', tab: 'home' },
      }),
      'application/json',
    ],
    [
      'an event whose id is a number',
      JSON.stringify({
        type: 'event_callback',
        event_id: 4,
        event: { type: 'app_home_opened', user: BEN, tab: 'home' },
      }),
      'application/json',
    ],
  ];
  it.each(cases)('answers 400 with a reason to %s', async (_name, body, contentType) => {
    const answer = await signed(body, contentType);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('BAD_REQUEST');
  });

  it('acknowledges what Slack expects acknowledged, and says what it does not handle', async () => {
    const challenge = await signed(
      JSON.stringify({ type: 'url_verification', challenge: 'c-1' }),
      'application/json',
    );
    const limited = await signed(
      JSON.stringify({ type: 'app_rate_limited', team_id: 'T0LOCAL', minute_rate_limited: now() }),
      'application/json',
    );
    const shortcut = await signed(click({ type: 'shortcut', callback_id: 'x', user: { id: ANA } }));
    const other = await signed(form({ command: '/other', user_id: ANA, channel_id: GENERAL, text: '' }));
    expect(challenge).toMatchObject({ status: 200, body: { challenge: 'c-1' } });
    expect(limited.status).toBe(200);
    expect([shortcut.status, other.status]).toEqual([404, 404]);
    expect(other.body.error.code).toBe('NOT_HANDLED');
  });

  it('acts on a click carrying only what DESIGN.md says a client needs (no action type)', async () => {
    // Arrange: a task and its card; the Acknowledge button as the card shows it.
    const answer = await slack.client.command('new Minimal click p3', { user: ANA, channel: GENERAL });
    const id = /\*(TMS-\d+)\*/.exec(answer.body.text)?.[1] as string;
    await settle(stack);
    const card = slack.card(id);
    const block = card.blocks.find((b) => (b.elements ?? []).some((e) => e.action_id === 'tms_ack'));
    const button = block?.elements?.find((e) => e.action_id === 'tms_ack');
    const payload = {
      type: 'block_actions',
      user: { id: BEN },
      channel: { id: GENERAL },
      message: { ts: card.ts },
      trigger_id: '1.2.3',
      response_url: `${stack.url}/_sandbox/slack/response/minimal`,
      actions: [{ action_id: 'tms_ack', block_id: block?.block_id, value: button?.value }],
    };
    // Act
    const clicked = await signed(form({ payload: JSON.stringify(payload) }));
    await settle(stack);
    // Assess
    expect(clicked.status).toBe(200);
    const { body } = await getJson(`${stack.url}/api/tasks/${id}`, API());
    expect(body.task).toMatchObject({ status: 'acknowledged' });
  });

  it('opens a task from a form whose service or channel is not one TMS knows in its defaults', async () => {
    // Arrange: the new-task form as TMS opened it, submitted with what the sender chose.
    await slack.client.command('new', { user: BEN, channel: GENERAL });
    const modal = stack.slack.views().findLast((v) => v.type === 'modal' && v.user === BEN);
    const submit = (title: string, service: string, metadata?: string) =>
      slack.client.submit(
        metadata === undefined
          ? (modal as never)
          : ({ ...modal, view: { ...modal?.view, private_metadata: metadata } } as never),
        BEN,
        { title: { value: title }, service: { option: service } },
      );
    // Act
    const answers = [
      await submit('Form naming constructor', 'constructor'),
      await submit('Form naming __proto__', '__proto__'),
      await submit('Form with a channel that is not a string', 'checkout', '{"channel":{"id":"C0X"}}'),
    ];
    await settle(stack);
    // Assert
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    const { tasks } = (await getJson(`${stack.url}/api/tasks?limit=100`, API())).body;
    const byTitle = (title: string) => tasks.find((t: { title: string }) => t.title === title);
    expect(byTitle('Form naming constructor')).toMatchObject({ service: 'general', channel: GENERAL });
    expect(byTitle('Form naming __proto__')).toMatchObject({ service: 'general' });
    expect(byTitle('Form with a channel that is not a string')).toMatchObject({
      service: 'checkout',
      channel: 'C0CHECKOUT',
    });
  });

  it('never answers 5xx to any mutation of a command, a click, a submission or an event', async () => {
    // Real shapes, then one to three fields deleted or replaced by any JSON value (fast-check's).
    const id = /\*(TMS-\d+)\*/.exec(
      (await slack.client.command('new Fuzzed p4', { user: ANA, channel: GENERAL })).body.text,
    )?.[1] as string;
    await settle(stack);
    const clickBody = JSON.parse(
      new URLSearchParams(slack.client.actionBody(slack.card(id), 'tms_ack', BEN)).get('payload') as string,
    );
    const selectBody = JSON.parse(
      new URLSearchParams(slack.client.actionBody(slack.card(id), 'tms_priority', BEN, { value: 'P2' })).get(
        'payload',
      ) as string,
    );
    const submission = {
      type: 'view_submission',
      user: { id: BEN },
      view: {
        id: 'V0FUZZ',
        callback_id: 'tms_resolve',
        private_metadata: JSON.stringify({ ref: `${id}@1`, channel: GENERAL }),
        state: { values: { note: { note: { type: 'plain_text_input', value: 'fixed' } } } },
      },
    };
    const event = {
      type: 'event_callback',
      team_id: 'T0LOCAL',
      event_id: 'Ev0FUZZ',
      event: { type: 'app_home_opened', user: BEN, channel: 'D01BBB', tab: 'home' },
    };
    const command = Object.fromEntries(
      new URLSearchParams(slack.client.commandBody(`show ${id}`, { user: ANA, channel: GENERAL })),
    );
    const bases: { body: unknown; send: (value: unknown) => Promise<SlackAnswer> }[] = [
      { body: clickBody, send: (v) => signed(form({ payload: JSON.stringify(v) })) },
      { body: selectBody, send: (v) => signed(form({ payload: JSON.stringify(v) })) },
      { body: submission, send: (v) => signed(form({ payload: JSON.stringify(v) })) },
      { body: event, send: (v) => signed(JSON.stringify(v), 'application/json') },
      {
        body: command,
        send: (v) => signed(new URLSearchParams(flatForm(v)).toString()),
      },
    ];
    const mutation = fc.record({
      base: fc.nat(bases.length - 1),
      edits: fc.array(
        fc.record({
          at: fc.nat(),
          value: fc.oneof(
            fc.constant(DELETE),
            fc.constant(null),
            fc.jsonValue({ maxDepth: 2 }),
            fc.constantFrom(
              '',
              'TMS-1@1',
              'static_select',
              'users_select',
              'view',
              '__proto__',
              'constructor',
            ),
          ),
        }),
        { minLength: 1, maxLength: 3 },
      ),
    });
    await fc.assert(
      fc.asyncProperty(mutation, async ({ base, edits }) => {
        const chosen = bases[base] as (typeof bases)[number];
        let body = structuredClone(chosen.body);
        for (const edit of edits) body = edited(body, edit.at, edit.value);
        await chosen.send(body);
      }),
      { numRuns: 150, seed: 13 },
    );
    await settle(stack);
  }, 120_000);
});

const DELETE = Symbol('delete');

/** Every path to a value inside `value`, the root first. */
function paths(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  const here = [at];
  if (value === null || typeof value !== 'object') return here;
  for (const [key, child] of Object.entries(value))
    here.push(...paths(child, [...at, Array.isArray(value) ? Number(key) : key]));
  return here;
}

/** `value` with the `n`th path (modulo their number) deleted or set to `to`. */
function edited(value: unknown, n: number, to: unknown): unknown {
  const all = paths(value).slice(1);
  const path = all[n % Math.max(1, all.length)];
  if (!path || path.length === 0) return to === DELETE ? {} : to;
  const parent = path
    .slice(0, -1)
    .reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], value);
  const key = path.at(-1) as string | number;
  const target = parent as Record<string | number, unknown>;
  if (to === DELETE) {
    if (Array.isArray(target)) target.splice(Number(key), 1);
    else delete target[key];
  } else target[key] = to;
  return value;
}

/** A form's fields as strings, as a form can only carry them. */
function flatForm(value: unknown): Record<string, string> {
  if (value === null || typeof value !== 'object') return { junk: String(value) };
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, typeof v === 'string' ? v : (JSON.stringify(v) ?? '')]),
  );
}
