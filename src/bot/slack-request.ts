import { createHash } from 'node:crypto';
import { parse as parseForm } from 'node:querystring';
import * as z from 'zod';

/**
 * What a signed Slack request may be, parsed at the edge before Bolt sees it. Bolt parses the body itself and
 * reads fields without checking them (`body.channel.id`, `event.user.id`, `view.app_installed_team_id`...),
 * so a body it cannot parse, or one whose fields are of another shape, throws inside it and answers 500.
 * Here each kind TMS handles is parsed into exactly the fields Bolt's routing and our listeners read, each of
 * the type they expect, and Bolt is handed that canonical body (re-encoded, its signature already checked by
 * the handler): what it reads is what was checked, and nothing else reaches it.
 */

const id = z.string().min(1).max(255);
/**
 * A workspace, user or channel id as Slack writes them (`T0…`, `U0…`, `C0…`): never `__proto__` or
 * `constructor`, which Bolt would look up in its plain object of clients per team.
 */
const slackId = z.string().regex(/^[A-Z0-9]{2,40}$/, 'not a Slack id');
const text = z.string().max(4_000);
/** A field Slack may send as null or leave out: either way it is left out. */
const omittable = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? undefined);

const user = z.object({
  id: slackId,
  team_id: slackId.optional(),
  username: z.string().max(255).optional(),
  name: z.string().max(255).optional(),
});
const envelope = {
  team: omittable(
    z.object({ id: slackId, domain: z.string().max(255).optional(), enterprise_id: slackId.optional() }),
  ),
  enterprise: omittable(z.object({ id: slackId })),
  api_app_id: id.optional(),
  is_enterprise_install: z.boolean().optional(),
  trigger_id: text.optional(),
  response_url: text.optional(),
};

const slashCommand = z.object({
  command: id,
  user_id: slackId,
  channel_id: slackId,
  text: text.default(''),
  team_id: slackId.optional(),
  team_domain: z.string().max(255).optional(),
  enterprise_id: slackId.optional(),
  channel_name: z.string().max(255).optional(),
  user_name: z.string().max(255).optional(),
  api_app_id: id.optional(),
  is_enterprise_install: z.string().max(5).optional(),
  trigger_id: text.optional(),
  response_url: text.optional(),
});

const option = z.object({ value: z.string().max(150), text: z.unknown().optional() });

const action = z
  .object({
    // Slack always sends it; a client that sends only what TMS reads (DESIGN.md) need not.
    type: z.string().min(1).max(255).default('button'),
    action_id: id,
    block_id: z.string().max(255).optional(),
    action_ts: z.string().max(255).optional(),
    value: z.string().max(2_000).optional(),
    selected_option: omittable(option),
    selected_user: omittable(slackId),
  })
  // A select's listener reads its choice.
  .refine((a) => a.type !== 'static_select' || a.selected_option !== undefined, {
    message: 'a static_select action carries its selected_option',
  });

const blockActions = z.object({
  type: z.literal('block_actions'),
  user,
  ...envelope,
  container: omittable(
    z.object({
      type: z.string().max(255),
      view_id: z.string().max(255).optional(),
      message_ts: z.string().max(255).optional(),
      channel_id: z.string().max(255).optional(),
      is_ephemeral: z.boolean().optional(),
    }),
  ),
  channel: omittable(z.object({ id: slackId, name: z.string().max(255).optional() })),
  actions: z.array(action).min(1).max(25),
});

const inputValue = z.object({
  type: z.string().max(255).optional(),
  value: text.nullish(),
  selected_option: omittable(option),
  selected_user: omittable(slackId),
  /** A conversations_select's choice (the schedule form's channel). */
  selected_conversation: omittable(slackId),
});

const viewSubmission = z.object({
  type: z.literal('view_submission'),
  user,
  ...envelope,
  view: z.object({
    id: id.optional(),
    callback_id: z.string().max(255),
    private_metadata: z.string().max(3_000).optional(),
    app_installed_team_id: slackId.optional(),
    state: z.object({
      values: z.record(z.string().max(255), z.record(z.string().max(255), inputValue)),
    }),
  }),
});

const event = z
  .object({
    type: id,
    user: z.union([slackId, z.object({ id: slackId })]).optional(),
    channel: z.union([slackId, z.object({ id: slackId })]).optional(),
    tab: z.string().max(255).optional(),
    event_ts: z.string().max(255).optional(),
  })
  // The one event TMS listens to is read for whose home was opened.
  .refine((e) => e.type !== 'app_home_opened' || typeof e.user === 'string', {
    message: 'an app_home_opened event names its user',
  });

const eventCallback = z.object({
  type: z.literal('event_callback'),
  event_id: id,
  event_time: z.number().optional(),
  team_id: slackId.optional(),
  enterprise_id: omittable(slackId),
  api_app_id: id.optional(),
  event,
});

const urlVerification = z.object({ type: z.literal('url_verification'), challenge: z.string().max(255) });

type FormType = 'application/x-www-form-urlencoded';
type JsonType = 'application/json';

/** What Bolt is handed: the body re-encoded from what was parsed, in its content type. */
export interface ForBolt {
  readonly contentType: FormType | JsonType;
  readonly body: string;
}

export type SlackRequest =
  | ({ readonly kind: 'command' | 'interaction' | 'url-verification' | 'ssl-check' } & ForBolt)
  | ({ readonly kind: 'event'; readonly eventId: string } & ForBolt)
  /** Well formed, but of a kind TMS has no listener for (a shortcut, view_closed...). */
  | { readonly kind: 'unhandled' }
  /** Slack's notice that it holds events back for a while: to be acknowledged. */
  | { readonly kind: 'rate-limited' };

export type Parsed =
  | { readonly ok: true; readonly request: SlackRequest }
  | { readonly ok: false; readonly reason: string };

const refuse = (reason: string): Parsed => ({ ok: false, reason });

/** Reads a body as Bolt would (the same parsers), and says what it is or why it is not a Slack request. */
export function parseSlackRequest(contentType: FormType | JsonType, raw: string): Parsed {
  if (contentType === 'application/json') {
    const body = parseJson(raw);
    return body === undefined ? refuse('The body is not a JSON object') : parseEvent(body);
  }
  const form = parseForm(raw);
  if (form.payload === undefined) {
    if (typeof form.ssl_check === 'string')
      return { ok: true, request: { kind: 'ssl-check', contentType, body: 'ssl_check=1' } };
    const parsed = slashCommand.safeParse(form);
    if (!parsed.success) return refuse(`Not a Slack slash command: ${issue(parsed.error)}`);
    return { ok: true, request: { kind: 'command', contentType, body: encodeForm(parsed.data) } };
  }
  if (typeof form.payload !== 'string') return refuse('The form has more than one payload');
  const payload = parseJson(form.payload);
  if (payload === undefined) return refuse('The payload is not a JSON object');
  const type = (payload as { type?: unknown }).type;
  if (type !== 'block_actions' && type !== 'view_submission') {
    if (typeof type !== 'string' || type === '') return refuse('Not a Slack interaction: it has no type');
    return { ok: true, request: { kind: 'unhandled' } };
  }
  const parsed = (type === 'block_actions' ? blockActions : viewSubmission).safeParse(payload);
  if (!parsed.success) return refuse(`Not a Slack interaction: ${issue(parsed.error)}`);
  return {
    ok: true,
    request: { kind: 'interaction', contentType, body: encodeForm({ payload: JSON.stringify(parsed.data) }) },
  };
}

function parseEvent(body: object): Parsed {
  const contentType = 'application/json';
  const type = (body as { type?: unknown }).type;
  if (type === 'app_rate_limited') return { ok: true, request: { kind: 'rate-limited' } };
  if (type === 'url_verification') {
    const parsed = urlVerification.safeParse(body);
    if (!parsed.success) return refuse(`Not a Slack URL verification: ${issue(parsed.error)}`);
    return {
      ok: true,
      request: { kind: 'url-verification', contentType, body: JSON.stringify(parsed.data) },
    };
  }
  if (type !== 'event_callback') return refuse('A JSON body is an Events API request (event_callback)');
  const parsed = eventCallback.safeParse(body);
  if (!parsed.success) return refuse(`Not an Events API request: ${issue(parsed.error)}`);
  return {
    ok: true,
    request: { kind: 'event', eventId: parsed.data.event_id, contentType, body: JSON.stringify(parsed.data) },
  };
}

function encodeForm(fields: Record<string, string | undefined>): string {
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) form.append(name, value);
  return form.toString();
}

/** The first problem, by path, in words that repeat none of the sender's values. */
function issue(error: z.ZodError): string {
  const first = error.issues[0];
  if (!first) return 'malformed';
  const path = first.path.map(String).join('.').slice(0, 100);
  return (path ? `${path}: ${first.message}` : first.message).slice(0, 200);
}

/** A JSON object (not null, an array or a scalar: Bolt reads fields of it), or undefined. */
function parseJson(raw: string): object | undefined {
  try {
    const value: unknown = JSON.parse(raw);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What a request's signature covers, its timestamp and its body, as the key of its replay marker. Not the
 * header: Bolt's check ignores anything after a second `=` in it, so one request has many headers.
 */
export function signedContent(timestamp: number, body: string): string {
  return `${timestamp}:${createHash('sha256').update(body).digest('hex')}`;
}
