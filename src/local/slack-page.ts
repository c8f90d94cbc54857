import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import type { Config } from '../core/config.js';
import { roleOf } from '../core/rbac.js';
import { buildWebAssets, type WebAssets } from '../web/build.js';
import type { WireRequest, WireResponse } from './gateway.js';
import { SandboxSlack, type SlackAnswer } from './slack-client.js';
import { BOT, type SandboxView, type SlackEmulator } from './slack-emulator.js';

/**
 * The offline Slack as a web page (`/_sandbox/slack/`): the page draws what the emulator holds, and what a
 * person does on it (a click, a choice, `/tms …` typed, a modal submitted or closed) comes back to
 * `POST /_sandbox/slack/send`, which builds the request Slack would send, signs it with the signing secret and
 * POSTs it to this stack's own `/slack/events` over HTTP, so the bot meets exactly what it meets from Slack.
 */

export const PAGE_PATH = '/_sandbox/slack';
const APP_PATH = `${PAGE_PATH}/app`;

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** Slack's ids as they appear in payloads: bounded and plain, so none becomes a key such as `__proto__`. */
const UserId = z.string().regex(/^[UW][A-Z0-9]{2,20}$/, 'a user id such as U01AAA');
const ChannelId = z.string().regex(/^[CGD][A-Z0-9]{2,20}$/, 'a channel id such as C0GENERAL');
const Ts = z.string().regex(/^\d{1,12}\.\d{1,8}$/, 'a message ts such as 1733286000.000001');
const ViewId = z.string().regex(/^V[A-Z0-9]{1,20}$/, 'a view id such as V00000001');
const Id = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\w.:@#=-]+$/, 'an id of letters, digits and . : @ # = _ -')
  .refine((id) => !['__proto__', 'constructor', 'prototype'].includes(id), 'not a usable id');

/** A value typed or chosen in an input, as the page sends it; shaped into Slack's state here. */
const Input = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('plain_text_input'), value: z.string().max(3000).nullable() }),
  z.strictObject({ type: z.literal('static_select'), value: z.string().max(150).nullable() }),
  z.strictObject({ type: z.literal('users_select'), user: UserId.nullable() }),
  z.strictObject({ type: z.literal('conversations_select'), conversation: ChannelId.nullable() }),
  z.strictObject({
    type: z.literal('datepicker'),
    date: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/)
      .nullable(),
  }),
  z.strictObject({
    type: z.literal('timepicker'),
    time: z
      .string()
      .regex(/^\d{2}:\d{2}$/)
      .nullable(),
  }),
]);
type Input = z.infer<typeof Input>;

export const SendRequest = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('command'),
    user: UserId,
    channel: ChannelId,
    text: z.string().min(1).max(4000),
  }),
  z.strictObject({
    kind: z.literal('block_actions'),
    user: UserId,
    container: z.discriminatedUnion('type', [
      z.strictObject({ type: z.literal('message'), channel: ChannelId, ts: Ts }),
      z.strictObject({ type: z.literal('view'), view_id: ViewId }),
    ]),
    block_id: Id.optional(),
    action_id: Id,
    /** The chosen option's value, for a static select or an overflow menu. */
    value: z.string().max(150).optional(),
    selected_user: UserId.optional(),
    selected_conversation: ChannelId.optional(),
    selected_date: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/)
      .optional(),
    selected_time: z
      .string()
      .regex(/^\d{2}:\d{2}$/)
      .optional(),
  }),
  z.strictObject({
    kind: z.literal('view_submission'),
    user: UserId,
    view_id: ViewId,
    values: z.record(Id, z.record(Id, Input)),
  }),
  z.strictObject({ kind: z.literal('view_closed'), user: UserId, view_id: ViewId }),
  z.strictObject({ kind: z.literal('app_home_opened'), user: UserId }),
]);
export type SendRequest = z.infer<typeof SendRequest>;

/** What the page is told of a request it sent: whether Slack would show it as failed, and why. */
export interface SendAnswer {
  readonly ok: boolean;
  /** The status `/slack/events` answered. */
  readonly status: number;
  /** Slack's note for a request the app did not answer well (`dispatch_failed` and its kin). */
  readonly error?: string;
  /** A modal's `response_action: errors`, by block id: shown under the fields, the modal stays open. */
  readonly errors?: Record<string, string>;
  /** Whether the modal is closed now. */
  readonly closed?: boolean;
}

type Block = {
  type?: string;
  block_id?: string;
  elements?: Element[];
  accessory?: Element;
  element?: Element;
  optional?: boolean;
};
type Option = { text: { type: string; text: string }; value: string };
type Element = {
  type?: string;
  action_id?: string;
  value?: string;
  text?: unknown;
  style?: string;
  options?: Option[];
  option_groups?: { options?: Option[] }[];
  initial_option?: Option;
  initial_conversation?: string;
};

class Refused extends Error {}

export interface SlackPage {
  /** The page's answer to a request of its own, or undefined for any other request. */
  route(request: WireRequest): Promise<WireResponse | undefined>;
}

export function slackPage(options: {
  slack: SlackEmulator;
  config: Config;
  baseUrl: () => string;
  signingSecret: string;
  print: (line: string) => void;
  /** The built page; built from web/slack at start by default. */
  assets?: Promise<WebAssets>;
}): SlackPage {
  const { slack, config } = options;
  const assets =
    options.assets ??
    buildWebAssets({ slack: fileURLToPath(new URL('../../web/slack/main.ts', import.meta.url)) }, APP_PATH);
  assets.catch((error: Error) => options.print(`slack page: the build failed: ${error.message}`));
  // Modals a previous run left open are closed, as a person's Slack client closes them on a reload.
  const closed = new Set(
    slack
      .views()
      .filter((v) => v.type === 'modal')
      .map((v) => v.id),
  );
  let closings = 0;
  /** When (by `closings`) each modal the page closed was closed: a page told of it only once. */
  const closedAt = new Map<string, number>();
  // This run's mark in the version: a page that read an earlier run's state (whose counters restart) gets all.
  const run = randomUUID().slice(0, 8);
  const version = () => `${run}.${slack.version}.${closings}`;
  const client = () => new SandboxSlack(options.baseUrl(), options.signingSecret);
  const directory = directoryOf(config);

  async function send(input: SendRequest): Promise<SendAnswer> {
    const sandbox = client();
    switch (input.kind) {
      case 'command': {
        const text = input.text.trim();
        const after = text.charAt(4);
        if (!text.startsWith('/tms') || (after !== '' && after.trim() !== ''))
          throw new Refused(
            'TMS listens to its slash command only: type /tms followed by what to do (the bot does not read plain messages)',
          );
        return answer(
          await sandbox.command(asSlackSends(text.slice(4).trim(), directory.users), input),
          'command',
        );
      }
      case 'block_actions':
        return answer(await sandbox.send(form(blockActions(sandbox, input))), 'action');
      case 'view_submission': {
        const view = openModal(input.view_id, input.user);
        const payload = {
          type: 'view_submission',
          ...sandbox.interaction(input.user),
          view: viewPayload(view, stateOf(view, input.values)),
          response_urls: [],
        };
        const sent = await sandbox.send(form(payload));
        const body = typeof sent.body === 'object' && sent.body ? sent.body : {};
        if (sent.status === 200 && body.response_action === 'errors' && body.errors)
          return { ok: true, status: sent.status, errors: plainStrings(body.errors), closed: false };
        const shown = answer(sent, 'view');
        if (!shown.ok) return shown;
        close(input.user, body.response_action === 'clear' ? undefined : view.id);
        return { ...shown, closed: true };
      }
      case 'view_closed': {
        const view = openModal(input.view_id, input.user);
        close(input.user, view.id);
        if (view.view.notify_on_close !== true) return { ok: true, status: 200, closed: true };
        const payload = {
          type: 'view_closed',
          ...sandbox.interaction(input.user),
          view: viewPayload(view, {}),
          is_cleared: false,
        };
        return { ...answer(await sandbox.send(form(payload)), 'view'), closed: true };
      }
      case 'app_home_opened':
        return answer(
          await sandbox.event({
            type: 'app_home_opened',
            user: input.user,
            channel: `D${input.user.slice(1)}`,
            tab: 'home',
            event_ts: String(Date.now() / 1000),
          }),
          'event',
        );
    }
  }

  function close(user: string, id: string | undefined): void {
    for (const view of slack.views())
      if (view.type === 'modal' && view.user === user && (id === undefined || view.id === id)) {
        closed.add(view.id);
        closedAt.set(view.id, closings + 1);
      }
    closings++;
  }

  function openModal(id: string, user: string): SandboxView {
    const view = slack.views().find((v) => v.id === id);
    if (view?.type !== 'modal' || view.user !== user || closed.has(id))
      throw new Refused(`${user} has no open modal ${id}`);
    return view;
  }

  function blockActions(sandbox: SandboxSlack, input: Extract<SendRequest, { kind: 'block_actions' }>) {
    const { container } = input;
    let blocks: Block[];
    let where: Record<string, unknown>;
    if (container.type === 'message') {
      const message = slack.messages(container.channel).find((m) => m.ts === container.ts);
      if (!message || (message.ephemeral_user && message.ephemeral_user !== input.user))
        throw new Refused(`No message ${container.ts} in ${container.channel}`);
      blocks = message.blocks as Block[];
      const ephemeral = message.ephemeral_user !== undefined;
      where = {
        container: {
          type: 'message',
          message_ts: message.ts,
          channel_id: message.channel,
          is_ephemeral: ephemeral,
        },
        channel: { id: message.channel, name: directory.channelName(message.channel) },
        // Slack does not send an ephemeral message back: only where it is.
        ...(ephemeral
          ? {}
          : {
              message: {
                type: 'message',
                user: BOT.userId,
                bot_id: BOT.botId,
                ts: message.ts,
                text: message.text,
                blocks: message.blocks,
                ...(message.thread_ts ? { thread_ts: message.thread_ts } : {}),
              },
            }),
        response_url: `https://hooks.slack.com/actions/${sandbox.team}/${Date.now()}/${randomUUID()}`,
      };
    } else {
      const view = slack.views().find((v) => v.id === container.view_id);
      if (!view || view.user !== input.user || (view.type === 'modal' && closed.has(view.id)))
        throw new Refused(`${input.user} has no view ${container.view_id}`);
      blocks = (Array.isArray(view.view.blocks) ? view.view.blocks : []) as Block[];
      where = { container: { type: 'view', view_id: view.id }, view: viewPayload(view, {}) };
    }
    const found = findElement(blocks, input.action_id, input.block_id);
    if (!found) throw new Refused(`No element ${input.action_id} there`);
    const { element, blockId } = found;
    const action: Record<string, unknown> = {
      type: element.type,
      action_id: input.action_id,
      block_id: blockId,
      action_ts: String(Date.now() / 1000),
    };
    switch (element.type) {
      case 'button':
        action.text = element.text;
        if (element.value !== undefined) action.value = element.value;
        if (element.style) action.style = element.style;
        break;
      case 'static_select':
      case 'overflow': {
        const option = optionsOf(element).find((o) => o.value === input.value);
        if (!option) throw new Refused(`${input.action_id} has no option ${input.value}`);
        action.selected_option = option;
        break;
      }
      case 'users_select':
        if (!input.selected_user) throw new Refused('A users_select needs selected_user');
        action.selected_user = input.selected_user;
        break;
      case 'conversations_select':
        if (!input.selected_conversation)
          throw new Refused('A conversations_select needs selected_conversation');
        action.selected_conversation = input.selected_conversation;
        break;
      case 'datepicker':
        if (!input.selected_date) throw new Refused('A datepicker needs selected_date');
        action.selected_date = input.selected_date;
        break;
      case 'timepicker':
        if (!input.selected_time) throw new Refused('A timepicker needs selected_time');
        action.selected_time = input.selected_time;
        break;
      default:
        throw new Refused(`The page does not send ${element.type} elements`);
    }
    const state = Object.create(null) as Record<string, Record<string, unknown>>;
    if (element.type !== 'button' && element.type !== 'overflow')
      state[blockId] = { [input.action_id]: stateValue(action) };
    return {
      type: 'block_actions',
      ...sandbox.interaction(input.user),
      token: 'deprecated-verification-token',
      is_enterprise_install: false,
      enterprise: null,
      ...where,
      state: { values: state },
      actions: [action],
    };
  }

  /** A modal's `state.values` as Slack shapes them: every input block, chosen or not. */
  function stateOf(view: SandboxView, values: Record<string, Record<string, Input>>) {
    const blocks = (Array.isArray(view.view.blocks) ? view.view.blocks : []) as Block[];
    const inputs = new Map<string, Element>();
    for (const block of blocks)
      if (block.type === 'input' && block.block_id && block.element?.action_id)
        inputs.set(block.block_id, block.element);
    for (const blockId of Object.keys(values))
      if (!inputs.has(blockId)) throw new Refused(`The modal has no input ${blockId}`);
    const state = Object.create(null) as Record<string, Record<string, unknown>>;
    for (const [blockId, element] of inputs) {
      const actionId = element.action_id as string;
      const block = Object.hasOwn(values, blockId) ? values[blockId] : undefined;
      const given = block && Object.hasOwn(block, actionId) ? block[actionId] : undefined;
      if (given && given.type !== element.type)
        throw new Refused(`${blockId} is a ${element.type}, not a ${given.type}`);
      state[blockId] = { [actionId]: shaped(element, given) };
    }
    return state;
  }

  function shaped(element: Element, given: Input | undefined): Record<string, unknown> {
    switch (element.type) {
      case 'plain_text_input':
        return { type: element.type, value: given?.type === element.type ? given.value : null };
      case 'static_select': {
        const chosen = given?.type === 'static_select' ? given.value : undefined;
        if (chosen === undefined)
          return { type: element.type, selected_option: element.initial_option ?? null };
        if (chosen === null) return { type: element.type, selected_option: null };
        const option = optionsOf(element).find((o) => o.value === chosen);
        if (!option) throw new Refused(`${element.action_id} has no option ${chosen}`);
        return { type: element.type, selected_option: option };
      }
      case 'users_select':
        return { type: element.type, selected_user: given?.type === element.type ? given.user : null };
      case 'conversations_select': {
        // As a static select's initial_option: what the modal opened with, unless the page sent a choice.
        const initial = element.initial_conversation;
        const chosen =
          given?.type === element.type
            ? given.conversation
            : typeof initial === 'string' && ChannelId.safeParse(initial).success
              ? initial
              : null;
        return { type: element.type, selected_conversation: chosen };
      }
      case 'datepicker':
        return { type: element.type, selected_date: given?.type === element.type ? given.date : null };
      case 'timepicker':
        return { type: element.type, selected_time: given?.type === element.type ? given.time : null };
      default:
        throw new Refused(`The page does not send ${element.type} inputs`);
    }
  }

  async function route(request: WireRequest): Promise<WireResponse | undefined> {
    const { method, url } = request;
    const path = url.pathname;
    if (path !== PAGE_PATH && !path.startsWith(`${PAGE_PATH}/`)) return undefined;
    if (path === PAGE_PATH && method === 'GET') return redirect(`${PAGE_PATH}/`);
    if (method === 'GET' && (path === `${PAGE_PATH}/` || PERMALINK.test(path)))
      return page(html(`${APP_PATH}/slack.js`, `${APP_PATH}/slack.css`));
    if (method === 'GET' && path.startsWith(`${APP_PATH}/`)) {
      let built: WebAssets;
      try {
        built = await assets;
      } catch (error) {
        return json(500, { error: { code: 'BUILD_FAILED', message: (error as Error).message } });
      }
      const asset = built.get(path);
      if (!asset) return undefined;
      return {
        status: 200,
        headers: { ...SECURITY_HEADERS, 'content-type': asset.contentType },
        body: asset.body,
      };
    }
    if (path === `${PAGE_PATH}/state` && method === 'GET') {
      const now = version();
      const since = url.searchParams.get('since');
      // Asked every second by every open page: one number compared when nothing changed.
      if (since === now) return { status: 204, headers: { ...SECURITY_HEADERS }, body: Buffer.alloc(0) };
      const shown = (views: SandboxView[]) =>
        views
          .filter((v) => v.type === 'home' || !closed.has(v.id))
          .map(({ id, type, user, view, updates }) => ({ id, type, user, view, updates }));
      const people = {
        users: directory.users,
        channels: directory.channels,
        bot: { id: BOT.userId, name: 'TMS' },
      };
      // What changed since the version the page has, when it has one of this run: a channel of 2,000 cards
      // is megabytes, resent whole after every change it would keep a page busy parsing and drawing.
      const [sinceRun, sinceVersion, sinceClosings] = (since ?? '').split('.');
      const changes =
        sinceRun === run &&
        sinceVersion &&
        sinceClosings &&
        /^\d+$/.test(sinceVersion) &&
        /^\d+$/.test(sinceClosings)
          ? slack.changesSince(Number(sinceVersion))
          : undefined;
      if (changes && Number(sinceClosings) <= closings)
        return json(200, {
          version: now,
          since,
          messages: changes.messages,
          removed: changes.removed,
          views: shown(changes.views),
          closed: [...closedAt].filter(([, at]) => at > Number(sinceClosings)).map(([id]) => id),
          ...people,
        });
      return json(200, { version: now, messages: slack.messages(), views: shown(slack.views()), ...people });
    }
    if (path === `${PAGE_PATH}/send`) {
      if (method !== 'POST')
        return json(405, { error: { code: 'METHOD_NOT_ALLOWED', message: 'POST a JSON body' } });
      // The stack refuses a foreign Origin already; a fetch from another site says so here too.
      const site = header(request, 'sec-fetch-site');
      if (site && site !== 'same-origin' && site !== 'none')
        return json(403, {
          error: { code: 'FORBIDDEN', message: 'Only the offline Slack page itself may send' },
        });
      // JSON only: a form another site posts cannot be one without a CORS preflight, which is never allowed.
      // The media type itself, not a parameter that names JSON (`text/plain; a=application/json`).
      const media = (header(request, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase();
      if (media !== 'application/json')
        return json(415, { error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Send application/json' } });
      let body: unknown;
      try {
        body = JSON.parse(request.body.toString('utf8'));
      } catch {
        return json(400, { error: { code: 'INVALID_INPUT', message: 'The body is not JSON' } });
      }
      const parsed = SendRequest.safeParse(body);
      if (!parsed.success) {
        const message = parsed.error.issues
          .map((i) => `${i.path.join('.') || 'body'}: ${i.message}`)
          .join('; ');
        return json(400, { error: { code: 'INVALID_INPUT', message } });
      }
      try {
        return json(200, await send(parsed.data));
      } catch (error) {
        if (error instanceof Refused)
          return json(400, { error: { code: 'INVALID_INPUT', message: error.message } });
        throw error;
      }
    }
    return undefined;
  }

  return { route };
}

const PERMALINK = /^\/_sandbox\/slack\/archives\/[CGD][A-Z0-9]{2,20}\/p\d{7,20}$/;

/**
 * What Slack shows the person for a request the app answered badly: `dispatch_failed` for an error, as Slack
 * says for a slash command; a click's failure is the same words under the message.
 */
function answer(sent: SlackAnswer, what: 'command' | 'action' | 'view' | 'event'): SendAnswer {
  if (sent.status >= 200 && sent.status < 300) return { ok: true, status: sent.status };
  const error = sent.status === 404 ? 'dispatch_unknown_error' : 'dispatch_failed';
  return { ok: false, status: sent.status, error: `${what === 'command' ? '/tms' : 'TMS'} failed: ${error}` };
}

/**
 * A command's text as Slack sends it: `&`, `<` and `>` escaped, and an `@name` of someone it knows turned into
 * the mention `<@U…|name>` (as picking them from Slack's list does, with the manifest's escaping on).
 */
function asSlackSends(text: string, users: readonly { id: string; name: string }[]): string {
  const byName = new Map(users.map((u) => [u.name, u.id]));
  return text
    .split(' ')
    .map((word) => {
      const id = word.startsWith('@') ? byName.get(word.slice(1)) : undefined;
      if (id) return `<@${id}|${word.slice(1)}>`;
      let out = '';
      for (const c of word) out += c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c;
      return out;
    })
    .join(' ');
}

function findElement(
  blocks: Block[],
  actionId: string,
  blockId: string | undefined,
): { element: Element; blockId: string } | undefined {
  for (const [index, block] of blocks.entries()) {
    // Slack gives a block without a block_id one of its own; the page names it the same way.
    const id = block.block_id ?? `b${index}`;
    if (blockId !== undefined && id !== blockId) continue;
    const elements = [
      ...(block.elements ?? []),
      ...(block.accessory ? [block.accessory] : []),
      ...(block.element ? [block.element] : []),
    ];
    const element = elements.find((e) => e.action_id === actionId);
    if (element) return { element, blockId: id };
  }
  return undefined;
}

function optionsOf(element: Element): Option[] {
  return [...(element.options ?? []), ...(element.option_groups ?? []).flatMap((g) => g.options ?? [])];
}

function stateValue(action: Record<string, unknown>): Record<string, unknown> {
  const { type, selected_option, selected_user, selected_conversation, selected_date, selected_time } =
    action;
  return {
    type,
    ...(selected_option ? { selected_option } : {}),
    ...(selected_user ? { selected_user } : {}),
    ...(selected_conversation ? { selected_conversation } : {}),
    ...(selected_date ? { selected_date } : {}),
    ...(selected_time ? { selected_time } : {}),
  };
}

function viewPayload(view: SandboxView, values: Record<string, unknown>) {
  return {
    ...view.view,
    id: view.id,
    team_id: BOT.teamId,
    app_id: 'A0TMSLOCAL',
    bot_id: BOT.botId,
    hash: `${view.id}.${view.updates}`,
    root_view_id: view.id,
    previous_view_id: null,
    state: { values },
  };
}

function plainStrings(value: unknown): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  if (value && typeof value === 'object')
    for (const [key, text] of Object.entries(value)) if (typeof text === 'string') out[key] = text;
  return out;
}

function form(payload: unknown): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** Who the page can be (the sandbox's people with their roles) and the channels it lists without messages. */
function directoryOf(config: Config) {
  const groupsOf = (user: string) =>
    Object.entries(config.sandbox.usergroups)
      .filter(([, members]) => members.includes(user))
      .map(([group]) => group);
  const ids = new Set([
    ...Object.keys(config.sandbox.users),
    ...[...config.rbac.admins, ...config.rbac.viewers].filter((id) => /^[UW]/.test(id)),
  ]);
  const users = [...ids].map((id) => ({
    id,
    name: config.sandbox.users[id]?.name ?? id.toLowerCase(),
    role: roleOf(id, groupsOf(id), config.rbac),
  }));
  const names = new Map<string, string>();
  names.set(config.defaults.channel, config.defaults.service);
  for (const [team, settings] of Object.entries(config.teams))
    if (settings.channel && !names.has(settings.channel)) names.set(settings.channel, team);
  for (const [service, settings] of Object.entries(config.services))
    if (settings.channel) names.set(settings.channel, service);
  for (const digest of config.digests)
    if (!names.has(digest.channel)) names.set(digest.channel, digest.channel.toLowerCase());
  const channels = [...names].map(([id, name]) => ({ id, name }));
  return {
    users,
    channels,
    channelName: (id: string) => names.get(id) ?? id.toLowerCase(),
  };
}

function html(script: string, style: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>TMS · offline Slack</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${style}">
<script type="module" src="${script}"></script>
</head>
<body>
<noscript>The offline Slack page needs JavaScript; the same messages are at ${PAGE_PATH}/messages as JSON.</noscript>
</body>
</html>
`;
}

function header(request: WireRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function page(body: string): WireResponse {
  return {
    status: 200,
    headers: { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8' },
    body: Buffer.from(body),
  };
}

function redirect(location: string): WireResponse {
  return { status: 302, headers: { location }, body: Buffer.alloc(0) };
}

function json(status: number, body: unknown): WireResponse {
  return {
    status,
    headers: { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8' },
    body: Buffer.from(JSON.stringify(body)),
  };
}
