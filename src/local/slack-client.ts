import { createHmac, randomUUID } from 'node:crypto';

/**
 * A stand-in for the Slack client side: it sends what Slack would send to `POST /slack/events` (slash
 * commands, block actions, view submissions, events), signed with the signing secret as Slack signs them.
 * Tests, the bench and `npm run slack` drive TMS with it; it only needs what a real client would send.
 */
export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** No TMS answered at an address (nothing listens there, or the connection failed): the address, and why. */
export class TmsUnreachable extends Error {
  override readonly name = 'TmsUnreachable';
  constructor(
    readonly url: string,
    readonly reason: string,
    options: { cause?: unknown } = {},
  ) {
    super(`No TMS answered at ${url} (${reason})`, options);
  }
}

/** fetch, whose own failure says only "fetch failed": a TmsUnreachable naming the URL and the system's reason. */
export async function reach(url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new TmsUnreachable(url, cause?.code ?? cause?.message ?? (error as Error).message, {
      cause: error,
    });
  }
}

export interface SlackAnswer {
  readonly status: number;
  readonly text: string;
  // biome-ignore lint/suspicious/noExplicitAny: the answer is examined field by field by its reader
  readonly body: any;
}

export interface SandboxBlockElement {
  type: string;
  action_id?: string;
  value?: string;
  options?: { value: string; text: { text: string } }[];
}

export interface SandboxCard {
  channel: string;
  ts: string;
  blocks: {
    type: string;
    block_id?: string;
    elements?: SandboxBlockElement[];
    accessory?: SandboxBlockElement;
  }[];
}

export class SandboxSlack {
  constructor(
    readonly baseUrl: string,
    private readonly signingSecret: string,
    readonly team = 'T0LOCAL',
  ) {}

  /** Posts a body as Slack does; `timestamp` and `signature` can be overridden to forge or replay. */
  async send(
    body: string,
    options: {
      timestamp?: number;
      signature?: string;
      contentType?: string;
      headers?: Record<string, string>;
    } = {},
  ): Promise<SlackAnswer> {
    const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
    const response = await reach(`${this.baseUrl}/slack/events`, {
      method: 'POST',
      headers: {
        'content-type': options.contentType ?? 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': options.signature ?? slackSignature(this.signingSecret, timestamp, body),
        ...options.headers,
      },
      body,
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : '';
    } catch {
      // not JSON: the reader sees the text
    }
    return { status: response.status, text, body: parsed };
  }

  commandBody(text: string, who: { user: string; channel: string }): string {
    return new URLSearchParams({
      token: 'deprecated-verification-token',
      team_id: this.team,
      team_domain: 'tms-local',
      channel_id: who.channel,
      channel_name: who.channel.toLowerCase(),
      user_id: who.user,
      user_name: who.user.toLowerCase(),
      command: '/tms',
      text,
      api_app_id: 'A0TMSLOCAL',
      is_enterprise_install: 'false',
      response_url: `https://hooks.slack.com/commands/${this.team}/${Date.now()}/${randomUUID()}`,
      trigger_id: `${Date.now()}.${who.user}.${randomUUID().slice(0, 8)}`,
    }).toString();
  }

  /** `/tms <text>` typed by `user` in `channel`. */
  command(text: string, who: { user: string; channel: string }): Promise<SlackAnswer> {
    return this.send(this.commandBody(text, who));
  }

  /** What every interaction payload says of where it comes from: the team, the person, the app, a trigger. */
  interaction(user: string) {
    return {
      team: { id: this.team, domain: 'tms-local' },
      user: { id: user, username: user.toLowerCase(), team_id: this.team },
      api_app_id: 'A0TMSLOCAL',
      trigger_id: `${Date.now()}.${user}.${randomUUID().slice(0, 8)}`,
    };
  }

  /** The body of a click on a card's button or select, exactly the fields Slack sends that TMS reads. */
  actionBody(
    card: SandboxCard,
    actionId: string,
    user: string,
    choice?: { value?: string; user?: string },
    container: 'message' | 'view' = 'message',
  ): string {
    for (const block of card.blocks) {
      const elements = [...(block.elements ?? []), ...(block.accessory ? [block.accessory] : [])];
      const element = elements.find((e) => e.action_id === actionId);
      if (!element) continue;
      const action: Record<string, unknown> = {
        type: element.type,
        action_id: actionId,
        block_id: block.block_id,
        action_ts: String(Date.now() / 1000),
      };
      if (element.type === 'button') action.value = element.value;
      if (element.type === 'static_select') {
        const option = element.options?.find(
          (o) => o.value === choice?.value || o.value.endsWith(`:${choice?.value}`),
        );
        if (!option) throw new Error(`no option ${choice?.value} in ${actionId}`);
        action.selected_option = option;
      }
      if (element.type === 'users_select') action.selected_user = choice?.user;
      const payload = {
        type: 'block_actions',
        ...this.interaction(user),
        ...(container === 'message'
          ? {
              container: {
                type: 'message',
                message_ts: card.ts,
                channel_id: card.channel,
                is_ephemeral: false,
              },
              channel: { id: card.channel, name: card.channel.toLowerCase() },
              message: { type: 'message', ts: card.ts, text: '', blocks: card.blocks },
              response_url: `https://hooks.slack.com/actions/${this.team}/${Date.now()}/${randomUUID()}`,
            }
          : { container: { type: 'view', view_id: card.ts } }),
        actions: [action],
      };
      return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    }
    throw new Error(`the card has no ${actionId}`);
  }

  /** A click sent: the body `actionBody` makes of the same arguments. */
  click(...click: Parameters<SandboxSlack['actionBody']>): Promise<SlackAnswer> {
    return this.send(this.actionBody(...click));
  }

  /** Submits a modal: `values` by block id, each a plain value, a selected option value or a user. */
  submit(
    view: { id: string; view: Record<string, unknown> },
    user: string,
    values: Record<string, { value?: string | null; option?: string; user?: string }>,
  ): Promise<SlackAnswer> {
    const state: Record<string, Record<string, unknown>> = {};
    for (const [block, input] of Object.entries(values)) {
      state[block] = {
        [block]: input.option
          ? {
              type: 'static_select',
              selected_option: { value: input.option, text: { type: 'plain_text', text: input.option } },
            }
          : input.user
            ? { type: 'users_select', selected_user: input.user }
            : { type: 'plain_text_input', value: input.value ?? null },
      };
    }
    const payload = {
      type: 'view_submission',
      ...this.interaction(user),
      view: { ...view.view, id: view.id, state: { values: state } },
    };
    return this.send(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
  }

  /** An Events API callback, such as `app_home_opened`. */
  event(
    event: Record<string, unknown>,
    eventId = `Ev${randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase()}`,
    retry?: number,
  ) {
    const body = JSON.stringify({
      token: 'deprecated-verification-token',
      team_id: this.team,
      api_app_id: 'A0TMSLOCAL',
      event,
      type: 'event_callback',
      event_id: eventId,
      event_time: Math.floor(Date.now() / 1000),
    });
    return this.send(body, {
      contentType: 'application/json',
      ...(retry
        ? { headers: { 'x-slack-retry-num': String(retry), 'x-slack-retry-reason': 'http_timeout' } }
        : {}),
    });
  }
}
