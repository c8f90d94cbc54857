import * as z from 'zod';
import { blockErrors, SLACK_LIMITS, viewErrors } from '../adapters/slack/limits.js';
import type { Config } from '../core/config.js';
import { isSlackUserId } from '../core/task.js';
import type { SlackChange, SlackJournal, SlackState } from './slack-journal.js';

/** One entry per message `ts`, as `GET /_sandbox/slack/messages` shows it. */
export interface SandboxMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  text: string;
  blocks?: unknown[];
  /** How often it was changed: chat.update and replace_original calls. */
  edits: number;
  /** Set for an ephemeral message: the only user who saw it. */
  ephemeral_user?: string;
  /** Set for a message posted through a response_url. */
  response_url?: string;
}

/** A message as `GET /_sandbox/slack/messages` answers it. */
export type SandboxEntry = Omit<SandboxMessage, 'thread_ts' | 'blocks'> & {
  thread_ts: string | null;
  blocks: unknown[];
};

export interface SandboxView {
  id: string;
  type: 'modal' | 'home';
  user: string | null;
  view: Record<string, unknown>;
  /** How often it was updated after it was opened or first published. */
  updates: number;
}

/** What an inbound Slack request said about where its response_url answers: set by the local gateway. */
export interface ResponseTarget {
  readonly channel?: string;
  readonly user?: string;
  /** The message the interaction came from, which `replace_original` edits. */
  readonly messageTs?: string;
}

export const FAULT_ERRORS = [
  'ratelimited',
  'not_in_channel',
  'channel_not_found',
  'is_archived',
  'invalid_auth',
  'message_not_found',
  'internal_error',
] as const;

export const Fault = z.strictObject({
  method: z.string().regex(/^[a-z]+(\.[a-zA-Z]+)+$/, 'a Web API method such as chat.update'),
  error: z.enum(FAULT_ERRORS),
  retryAfter: z.number().int().min(0).max(600).default(1),
  count: z.number().int().min(1).max(1000).default(1),
});
export type Fault = z.infer<typeof Fault>;

export interface EmulatorAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export const BOT = { userId: 'U0TMSBOT', botId: 'B0TMSBOT', teamId: 'T0LOCAL' } as const;

const CHANNEL = /^[CGD][A-Z0-9]{2,}$/;

type Params = Record<string, unknown>;
type Handler = (params: Params) => EmulatorAnswer;

/**
 * The Slack Web API, played locally: enough of Slack's behaviour that the bot meets what it would meet for
 * real (message timestamps, `message_not_found` for an unknown ts, rate limits with Retry-After, the
 * errors of a channel the bot cannot post to), and a record of everything the bot said and showed.
 * It refuses what Slack refuses: blocks over Block Kit's limits (`invalid_blocks`, or `invalid_arguments` for
 * a view, with Slack's `response_metadata.messages`), text over 40,000 characters (`msg_too_long`), and a call
 * made before the Retry-After of a rate limit it answered has passed (429 again, with the time still left).
 */
export class SlackEmulator {
  readonly #messages: SandboxMessage[] = [];
  readonly #byTs = new Map<string, SandboxMessage>();
  readonly #views = new Map<string, SandboxView>();
  readonly #homes = new Map<string, string>();
  readonly #faults = new Map<string, Fault[]>();
  readonly #responseTargets = new Map<string, ResponseTarget>();
  /** Until when each method is rate-limited (epoch ms): set by a 429, as Slack holds a method per app. */
  readonly #limitedUntil = new Map<string, number>();
  readonly #methods: Record<string, Handler>;
  /** Web API calls received, by method: what a run cost in Slack's rate limits. */
  readonly calls = new Map<string, number>();
  #sequence = 0;
  #viewSequence = 0;
  #version = 0;
  /**
   * The version each message (by ts), removal and view last changed at, oldest change first (a change moves
   * its key to the end): what changed since a version a page has is read without comparing whole messages.
   */
  readonly #changedAt = new Map<string, number>();
  /** User groups whose members `usergroups.users.update` set, over the config's sandbox (in memory only). */
  readonly #usergroups = new Map<string, string[]>();
  #unreadable = 0;

  constructor(
    private readonly options: {
      token: string;
      sandbox: Config['sandbox'];
      baseUrl: () => string;
      now?: () => number;
      /** Where messages and views are kept across restarts (TMS_DATA_DIR); in memory only without one. */
      journal?: SlackJournal;
      onChange?: (
        kind: 'posted' | 'updated' | 'ephemeral' | 'responded' | 'view',
        entry: SandboxMessage | SandboxView,
      ) => void;
    },
  ) {
    this.#methods = {
      'api.test': (p) => ok({ args: p }),
      'auth.test': () =>
        ok({
          url: 'https://tms-local.slack.com/',
          team: 'TMS local',
          user: 'tms',
          team_id: BOT.teamId,
          user_id: BOT.userId,
          bot_id: BOT.botId,
        }),
      'chat.postMessage': (p) => this.#post(p),
      'chat.update': (p) => this.#update(p),
      'chat.postEphemeral': (p) => this.#ephemeral(p),
      'chat.getPermalink': (p) => this.#permalink(p),
      'chat.delete': (p) => this.#delete(p),
      'views.open': (p) => this.#openView(p),
      // A modal on top of the one open: the offline Slack page shows the newest, and the one under it once closed.
      'views.push': (p) => this.#openView(p),
      'views.update': (p) => this.#updateView(p),
      'views.publish': (p) => this.#publish(p),
      'users.info': (p) => this.#userInfo(p),
      'usergroups.users.list': (p) => {
        const users = this.#membersOf(String(p.usergroup ?? ''));
        return users ? ok({ users }) : error('no_such_subteam');
      },
      // As Slack: the whole list is replaced; an unknown group, no list or one with a non-user id is refused.
      'usergroups.users.update': (p) => {
        const usergroup = String(p.usergroup ?? '');
        if (!this.#membersOf(usergroup)) return error('no_such_subteam');
        if (p.users === undefined || p.users === '') return error('no_users_provided');
        const users = (Array.isArray(p.users) ? p.users.map(String) : String(p.users).split(',')).map((u) =>
          u.trim(),
        );
        if (users.length === 0 || !users.every((u) => isSlackUserId(u))) return error('invalid_users');
        const members = [...new Set(users)];
        this.#usergroups.set(usergroup, members);
        return ok({ usergroup: { id: usergroup, users: members, user_count: members.length } });
      },
      'conversations.info': (p) => {
        const channel = String(p.channel ?? '');
        if (!CHANNEL.test(channel)) return error('channel_not_found');
        return ok({
          channel: {
            id: channel,
            name: channel.toLowerCase(),
            is_channel: channel.startsWith('C'),
            is_im: channel.startsWith('D'),
            is_archived: false,
            is_member: true,
          },
        });
      },
      'conversations.join': (p) => {
        const channel = String(p.channel ?? '');
        if (!/^C[A-Z0-9]{2,}$/.test(channel)) return error('channel_not_found');
        return ok({
          channel: { id: channel, name: channel.toLowerCase(), is_channel: true, is_member: true },
        });
      },
      'conversations.open': (p) => {
        const users = String(p.users ?? '')
          .split(',')
          .filter(Boolean);
        if (users.length !== 1 || !isSlackUserId(users[0] ?? '')) return error('user_not_found');
        return ok({ channel: { id: `D${users[0]?.slice(1)}` } });
      },
    };
    if (options.journal) {
      const { state, skipped } = options.journal.load();
      this.#restore(state);
      this.#unreadable = skipped;
      this.flush();
    }
  }

  /** A user group's members: as `usergroups.users.update` last set them, else the config's sandbox. */
  #membersOf(usergroup: string): string[] | undefined {
    const sandbox = this.options.sandbox.usergroups;
    return (
      this.#usergroups.get(usergroup) ?? (Object.hasOwn(sandbox, usergroup) ? sandbox[usergroup] : undefined)
    );
  }

  /** How many lines of the kept state could not be read at start (a write a kill cut short). */
  get unreadableOnStart(): number {
    return this.#unreadable;
  }

  /** Whether a message with this ts is in this channel, as a card's record says it was posted. */
  has(channel: string, ts: string): boolean {
    const entry = this.#byTs.get(ts);
    return entry !== undefined && entry.channel === channel && !entry.ephemeral_user;
  }

  /** Folds what changed into one snapshot (a restart reads it fast); nothing is lost without it. */
  flush(): void {
    this.options.journal?.compact(this.#state());
  }

  #restore(state: SlackState): void {
    for (const message of state.messages) this.#messages.push(structuredClone(message));
    for (const message of this.#messages) {
      this.#byTs.set(message.ts, message);
      this.#sequence = Math.max(this.#sequence, sequenceOf(message.ts));
    }
    for (const view of state.views) {
      const entry = structuredClone(view);
      this.#views.set(entry.id, entry);
      if (entry.type === 'home' && entry.user) this.#homes.set(entry.user, entry.id);
      this.#viewSequence = Math.max(this.#viewSequence, Number(entry.id.slice(1)) || 0);
    }
  }

  #state(): SlackState {
    return { messages: this.#messages, views: [...this.#views.values()] };
  }

  /** Goes up with every change to the messages or views: a reader polling them learns cheaply that nothing did. */
  get version(): number {
    return this.#version;
  }

  /** A change kept before the call is answered: the bot is never told of one a restart would lose. */
  #keep(change: SlackChange): void {
    this.#version++;
    const key =
      'message' in change
        ? `m${change.message.ts}`
        : 'removed' in change
          ? `r${change.removed}`
          : `v${change.view.id}`;
    this.#changedAt.delete(key);
    this.#changedAt.set(key, this.#version);
    if ('message' in change) this.#changedAt.delete(`r${change.message.ts}`);
    if ('removed' in change) this.#changedAt.delete(`m${change.removed}`);
    this.options.journal?.record(change, () => this.#state());
  }

  /** `POST /slack/api/{method}`: form-encoded or JSON, the bot token as a Bearer header or a `token` field. */
  call(method: string, params: Params, authorization: string | undefined): EmulatorAnswer {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
    const handler = this.#methods[method];
    if (!handler) return error('unknown_method');
    const token =
      /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1] ??
      (typeof params.token === 'string' ? params.token : undefined);
    if (!token) return error('not_authed');
    const now = this.#now();
    const until = this.#limitedUntil.get(method) ?? 0;
    // Called again before the Retry-After it was given: Slack answers 429 again with the time still left.
    if (now < until) return rateLimited(Math.ceil((until - now) / 1000));
    const fault = this.#takeFault(method);
    if (fault) {
      if (fault.error !== 'ratelimited') return error(fault.error);
      this.#limitedUntil.set(method, now + fault.retryAfter * 1000);
      return rateLimited(fault.retryAfter);
    }
    if (token !== this.options.token) return error('invalid_auth');
    return handler(params);
  }

  /** Make the next `count` calls of a method fail with `error`. */
  addFault(fault: Fault): void {
    this.#faults.set(fault.method, [...(this.#faults.get(fault.method) ?? []), { ...fault }]);
  }

  /** The local gateway saw an inbound command or interaction carrying this response_url. */
  registerResponseUrl(url: string, target: ResponseTarget): void {
    this.#responseTargets.set(responseKey(url), target);
  }

  /** A POST to a response_url (hooks.slack.com ones included, redirected here). */
  respond(url: string, body: Params): EmulatorAnswer {
    const target = this.#responseTargets.get(responseKey(url)) ?? {};
    const refused = refusal(body);
    // A response_url answers 200 or an HTTP error with Slack's reason in the body, not `ok: false`.
    if (refused) return { ...refused, status: 400 };
    if (body.delete_original === true && target.messageTs) {
      this.#remove(target.messageTs);
      return { status: 200, headers: {}, body: { ok: true } };
    }
    const text = String(body.text ?? '');
    const blocks = Array.isArray(body.blocks) ? body.blocks : undefined;
    const original =
      body.replace_original === true
        ? target.messageTs
          ? this.#byTs.get(target.messageTs)
          : this.#lastResponse(url)
        : undefined;
    if (original) {
      original.text = text;
      if (blocks) original.blocks = blocks;
      else delete original.blocks;
      original.edits++;
      this.#keep({ message: original });
      this.options.onChange?.('updated', original);
      return { status: 200, headers: {}, body: { ok: true } };
    }
    const inChannel = body.response_type === 'in_channel';
    const entry: SandboxMessage = {
      channel: target.channel ?? '',
      ts: this.#nextTs(),
      text,
      ...(blocks ? { blocks } : {}),
      edits: 0,
      ...(!inChannel && target.user ? { ephemeral_user: target.user } : {}),
      response_url: url,
      ...(typeof body.thread_ts === 'string' ? { thread_ts: body.thread_ts } : {}),
    };
    this.#add(entry);
    this.options.onChange?.('responded', entry);
    return { status: 200, headers: {}, body: { ok: true } };
  }

  /** Every field always present (`thread_ts` null for a top-level message, `blocks` empty for text only). */
  messages(channel?: string): SandboxEntry[] {
    return this.#entries(this.#messages.filter((m) => !channel || m.channel === channel));
  }

  #entries(messages: SandboxMessage[]): SandboxEntry[] {
    return messages.map(({ channel: c, ts, thread_ts, text, blocks, edits, ephemeral_user, response_url }) =>
      structuredClone({
        channel: c,
        ts,
        thread_ts: thread_ts ?? null,
        text,
        blocks: blocks ?? [],
        edits,
        ...(ephemeral_user ? { ephemeral_user } : {}),
        ...(response_url ? { response_url } : {}),
      }),
    );
  }

  /**
   * What changed after `version` (one this emulator answered): messages posted or edited since, as
   * `messages()` shows them, the ts of those removed, and views opened or updated. Undefined for a version
   * it never had (a later one, or a reader that was talking to an earlier run).
   */
  changesSince(
    version: number,
  ): { messages: SandboxEntry[]; removed: string[]; views: SandboxView[] } | undefined {
    if (!Number.isInteger(version) || version < 0 || version > this.#version) return undefined;
    const changed = new Set<string>();
    const removed: string[] = [];
    const views: SandboxView[] = [];
    // Newest last: read back to the first key as old as `version`; no message is compared or copied but those.
    for (const [key, at] of [...this.#changedAt].reverse()) {
      if (at <= version) break;
      const id = key.slice(1);
      if (key[0] === 'm') changed.add(id);
      else if (key[0] === 'r') removed.push(id);
      else {
        const view = this.#views.get(id);
        if (view) views.push(structuredClone(view));
      }
    }
    const messages = this.#entries(this.#messages.filter((m) => changed.has(m.ts)));
    return { messages, removed, views };
  }

  views(): SandboxView[] {
    return [...this.#views.values()].map((v) => structuredClone(v));
  }

  #post(p: Params): EmulatorAnswer {
    const posted = this.#newMessage(p, {});
    if ('error' in posted) return posted.error;
    this.options.onChange?.('posted', posted.entry);
    return ok({ channel: posted.entry.channel, ts: posted.entry.ts, message: this.#asMessage(posted.entry) });
  }

  /** A new message in a channel (or a thread of it), checked as Slack checks it. */
  #newMessage(
    p: Params,
    extra: Partial<SandboxMessage>,
  ): { entry: SandboxMessage } | { error: EmulatorAnswer } {
    const channel = this.#channel(p.channel);
    if (!channel) return { error: error('channel_not_found') };
    const refused = refusal(p);
    if (refused) return { error: refused };
    const content = messageContent(p);
    if (!content) return { error: error('no_text') };
    const entry: SandboxMessage = {
      channel,
      ts: this.#nextTs(),
      ...(typeof p.thread_ts === 'string' && p.thread_ts ? { thread_ts: p.thread_ts } : {}),
      ...content,
      edits: 0,
      ...extra,
    };
    this.#add(entry);
    return { entry };
  }

  #update(p: Params): EmulatorAnswer {
    const channel = this.#channel(p.channel);
    if (!channel) return error('channel_not_found');
    const entry = this.#byTs.get(String(p.ts ?? ''));
    if (!entry || entry.channel !== channel || entry.response_url) return error('message_not_found');
    if (entry.ephemeral_user) return error('cant_update_message');
    const refused = refusal(p);
    if (refused) return refused;
    const content = messageContent(p);
    if (!content) return error('no_text');
    entry.text = content.text;
    if (content.blocks) entry.blocks = content.blocks;
    entry.edits++;
    this.#keep({ message: entry });
    this.options.onChange?.('updated', entry);
    return ok({ channel, ts: entry.ts, text: entry.text, message: this.#asMessage(entry) });
  }

  #ephemeral(p: Params): EmulatorAnswer {
    const user = String(p.user ?? '');
    if (this.#channel(p.channel) && !isSlackUserId(user)) return error('user_not_found');
    const posted = this.#newMessage(p, { ephemeral_user: user });
    if ('error' in posted) return posted.error;
    this.options.onChange?.('ephemeral', posted.entry);
    return ok({ message_ts: posted.entry.ts });
  }

  #permalink(p: Params): EmulatorAnswer {
    const entry = this.#byTs.get(String(p.message_ts ?? ''));
    if (!entry || entry.channel !== p.channel) return error('message_not_found');
    const path = `${entry.channel}/p${entry.ts.replace('.', '')}`;
    return ok({
      channel: entry.channel,
      permalink: `${this.options.baseUrl()}/_sandbox/slack/archives/${path}`,
    });
  }

  #delete(p: Params): EmulatorAnswer {
    const entry = this.#byTs.get(String(p.ts ?? ''));
    if (!entry || entry.channel !== p.channel) return error('message_not_found');
    this.#remove(entry.ts);
    return ok({ channel: entry.channel, ts: entry.ts });
  }

  #openView(p: Params): EmulatorAnswer {
    const view = objectParam(p.view);
    if (view?.type !== 'modal') return error('invalid_arguments');
    const refused = viewRefusal(view);
    if (refused) return refused;
    if (typeof p.trigger_id !== 'string' || !p.trigger_id) return error('invalid_trigger_id');
    const user = p.trigger_id.split('.').find((part) => isSlackUserId(part)) ?? null;
    const id = `V${String(++this.#viewSequence).padStart(8, '0')}`;
    const entry: SandboxView = { id, type: 'modal', user, view, updates: 0 };
    this.#views.set(id, entry);
    this.#keep({ view: entry });
    this.options.onChange?.('view', entry);
    return ok({ view: { id, ...view } });
  }

  #updateView(p: Params): EmulatorAnswer {
    const view = objectParam(p.view);
    const entry =
      (typeof p.view_id === 'string' && this.#views.get(p.view_id)) ||
      [...this.#views.values()].find((v) => p.external_id && v.view.external_id === p.external_id);
    if (!entry) return error('not_found');
    if (!view) return error('invalid_arguments');
    const refused = viewRefusal(view);
    if (refused) return refused;
    entry.view = view;
    entry.updates++;
    this.#keep({ view: entry });
    this.options.onChange?.('view', entry);
    return ok({ view: { id: entry.id, ...view } });
  }

  #publish(p: Params): EmulatorAnswer {
    const user = String(p.user_id ?? '');
    if (!isSlackUserId(user)) return error('user_not_found');
    const view = objectParam(p.view);
    if (view?.type !== 'home') return error('invalid_arguments');
    const refused = viewRefusal(view);
    if (refused) return refused;
    const known = this.#homes.get(user);
    const existing = known ? this.#views.get(known) : undefined;
    if (existing) {
      existing.view = view;
      existing.updates++;
      this.#keep({ view: existing });
      this.options.onChange?.('view', existing);
      return ok({ view: { id: existing.id, ...view } });
    }
    const id = `V${String(++this.#viewSequence).padStart(8, '0')}`;
    const entry: SandboxView = { id, type: 'home', user, view, updates: 0 };
    this.#views.set(id, entry);
    this.#homes.set(user, id);
    this.#keep({ view: entry });
    this.options.onChange?.('view', entry);
    return ok({ view: { id, ...view } });
  }

  #userInfo(p: Params): EmulatorAnswer {
    const id = String(p.user ?? '');
    const known = this.options.sandbox.users[id];
    if (!known && !isSlackUserId(id)) return error('user_not_found');
    const name = known?.name ?? id.toLowerCase();
    const tz = known?.tz ?? 'UTC';
    return ok({
      user: {
        id,
        team_id: BOT.teamId,
        name,
        real_name: known?.real_name ?? name,
        tz,
        tz_offset: tzOffsetSeconds(tz, this.options.now?.() ?? Date.now()),
        is_bot: false,
        deleted: false,
        profile: { display_name: name, real_name: known?.real_name ?? name },
      },
    });
  }

  #channel(value: unknown): string | undefined {
    const channel = String(value ?? '');
    if (isSlackUserId(channel)) return `D${channel.slice(1)}`; // a user id posts to the DM with them
    return CHANNEL.test(channel) ? channel : undefined;
  }

  #now(): number {
    return this.options.now?.() ?? Date.now();
  }

  #nextTs(): string {
    const seconds = Math.floor(this.#now() / 1000);
    return `${seconds}.${String(++this.#sequence).padStart(6, '0')}`;
  }

  #add(entry: SandboxMessage): void {
    this.#messages.push(entry);
    this.#byTs.set(entry.ts, entry);
    this.#keep({ message: entry });
  }

  #remove(ts: string): void {
    const index = this.#messages.findIndex((m) => m.ts === ts);
    if (index >= 0) this.#messages.splice(index, 1);
    this.#byTs.delete(ts);
    this.#keep({ removed: ts });
  }

  #lastResponse(url: string): SandboxMessage | undefined {
    return this.#messages.findLast((m) => m.response_url === url);
  }

  #takeFault(method: string): Fault | undefined {
    const queue = this.#faults.get(method);
    const fault = queue?.[0];
    if (!fault) return undefined;
    fault.count--;
    if (fault.count <= 0) queue.shift();
    return fault;
  }

  #asMessage(entry: SandboxMessage) {
    return {
      type: 'message',
      user: BOT.userId,
      bot_id: BOT.botId,
      ts: entry.ts,
      text: entry.text,
      ...(entry.blocks ? { blocks: entry.blocks } : {}),
      ...(entry.thread_ts ? { thread_ts: entry.thread_ts } : {}),
    };
  }
}

/** The counter part of a message ts (`<seconds>.<counter>`), so a restart never hands out one again. */
function sequenceOf(ts: string): number {
  const counter = Number(ts.split('.')[1]);
  return Number.isInteger(counter) ? counter : 0;
}

const ok = (body: Record<string, unknown>): EmulatorAnswer => ({
  status: 200,
  headers: {},
  body: { ok: true, ...body },
});
const error = (code: string): EmulatorAnswer => ({
  status: 200,
  headers: {},
  body: { ok: false, error: code },
});

const rateLimited = (retryAfter: number): EmulatorAnswer => ({
  status: 429,
  headers: { 'retry-after': String(retryAfter) },
  body: { ok: false, error: 'ratelimited' },
});

/** Slack's refusal, with the reasons it gives in `response_metadata.messages` (and `errors`, for blocks). */
const invalid = (code: string, messages: string[]): EmulatorAnswer => ({
  status: 200,
  headers: {},
  body: {
    ok: false,
    error: code,
    ...(code === 'invalid_blocks' ? { errors: messages.map((m) => m.replace(/^\[ERROR\] /, '')) } : {}),
    response_metadata: { messages },
  },
});

/** What chat.postMessage, chat.update, chat.postEphemeral and a response_url refuse in a message. */
function refusal(p: Params): EmulatorAnswer | undefined {
  if (typeof p.text === 'string' && p.text.length > SLACK_LIMITS.messageText)
    return invalid('msg_too_long', [
      `[ERROR] must be less than ${SLACK_LIMITS.messageText + 1} characters [json-pointer:/text]`,
    ]);
  if (p.blocks === undefined) return undefined;
  let blocks: unknown = p.blocks;
  if (typeof blocks === 'string') {
    try {
      blocks = JSON.parse(blocks);
    } catch {
      return invalid('invalid_blocks_format', ['[ERROR] must be a JSON array [json-pointer:/blocks]']);
    }
  }
  if (!Array.isArray(blocks))
    return invalid('invalid_blocks_format', ['[ERROR] must be a JSON array [json-pointer:/blocks]']);
  const messages = blockErrors(blocks, 'message');
  return messages.length > 0 ? invalid('invalid_blocks', messages) : undefined;
}

/** What views.open, views.update and views.publish refuse: Slack says `invalid_arguments` for a bad view. */
function viewRefusal(view: Record<string, unknown>): EmulatorAnswer | undefined {
  const messages = viewErrors(view);
  return messages.length > 0 ? invalid('invalid_arguments', messages) : undefined;
}

/** Slack's clients send nested values (blocks, view) as JSON strings inside form fields. */
function objectParam(value: unknown): Record<string, unknown> | undefined {
  if (typeof value === 'string') {
    try {
      return objectParam(JSON.parse(value));
    } catch {
      return undefined;
    }
  }
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function messageContent(p: Params): { text: string; blocks?: unknown[] } | undefined {
  let blocks: unknown = p.blocks;
  if (typeof blocks === 'string') {
    try {
      blocks = JSON.parse(blocks);
    } catch {
      blocks = undefined;
    }
  }
  const text = typeof p.text === 'string' ? p.text : '';
  const list = Array.isArray(blocks) && blocks.length > 0 ? blocks : undefined;
  if (!text && !list) return undefined;
  return { text, ...(list ? { blocks: list } : {}) };
}

function tzOffsetSeconds(timeZone: string, at: number): number {
  try {
    const parts = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(
      at,
    );
    const offset = parts.find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
    const match = /GMT([+-])(\d{2}):(\d{2})/.exec(offset);
    return match ? (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 3600 + Number(match[3]) * 60) : 0;
  } catch {
    return 0;
  }
}

/** Response URLs are matched by path, so a hooks.slack.com URL and its local redirect are the same target. */
function responseKey(url: string): string {
  try {
    return new URL(url).pathname.replace(/^\/slack\/hooks/, '');
  } catch {
    return url;
  }
}
