import { randomUUID } from 'node:crypto';
import { DomainError, type MessagePart, TransientError } from '../core/errors.js';
import { logger } from '../runtime/logger.js';
import { escapeMrkdwn, mention } from './text.js';

/**
 * The one place a failure becomes what a person reads in Slack. A domain error's sentence is rendered here:
 * its people as mentions (a source's name as its name), every other part escaped, so nothing a person typed
 * pings or forges a link.
 */
export function slackText(error: DomainError): string {
  return render(error.parts, (id) => mention(id), escapeMrkdwn);
}

/**
 * A sentence ending in exactly one stop: domain messages and parse problems are written without one (so a
 * surface may go on), some with; appending a period blindly gave "…role.." in a refusal.
 */
export function asSentence(text: string): string {
  const trimmed = text.trimEnd();
  return /[.!?…]$/.test(trimmed) || /[.!?]`$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/** The same sentence for a modal's field error, which is plain text: people as `@U…`, nothing escaped. */
export function modalText(error: DomainError): string {
  return render(
    error.parts,
    (id) => (/^[UW][A-Z0-9]{2,}$/.test(id) ? `@${id}` : id),
    (text) => text,
  );
}

function render(
  parts: readonly MessagePart[],
  person: (id: string) => string,
  text: (text: string) => string,
): string {
  return parts
    .map((part) => (typeof part === 'string' ? text(part) : part.person ? person(part.person) : 'someone'))
    .join('');
}

/**
 * What a person is told when a listener failed, and the log line of it. Known failures are put in words;
 * anything else is logged with a short correlation id that the person is given too, so a report of
 * "ref 1a2b3c4d" finds its log line and stack trace. `what` names the listener in the log.
 */
export function explain(error: unknown, what: string, detail: Record<string, unknown> = {}): string {
  if (error instanceof DomainError) {
    logger.warn(what, { ...detail, code: error.code, context: error.context });
    return asSentence(slackText(error));
  }
  if (error instanceof TransientError) {
    logger.warn(what, { ...detail, error });
    return `${asSentence(escapeMrkdwn(error.message))} Nothing was changed; please try again.`;
  }
  const correlationId = randomUUID().slice(0, 8);
  logger.error(what, { ...detail, correlationId, error });
  return `Something went wrong on our side (ref ${correlationId}). Please try again; if it keeps happening, quote the ref to whoever runs TMS.`;
}

/** What a failed Web API call comes down to: Slack's error code, and how long Slack asked us to wait. */
export interface SlackFailure {
  readonly error: string;
  readonly retryAfterMs?: number;
}

/** Reads the errors @slack/web-api throws (platform errors, rate limits, HTTP and network failures). */
export function slackFailure(error: unknown): SlackFailure {
  const e = error as { code?: string; data?: { error?: string }; retryAfter?: number; message?: string };
  switch (e.code) {
    case 'slack_webapi_platform_error':
      return { error: e.data?.error ?? 'unknown_error' };
    case 'slack_webapi_rate_limited_error':
      return { error: 'ratelimited', retryAfterMs: (e.retryAfter ?? 1) * 1000 };
    case 'slack_webapi_request_error':
      return { error: 'network_error' };
    case 'slack_webapi_http_error':
      return { error: 'http_error' };
    default:
      return { error: e.message ?? String(error) };
  }
}

export class SlackCallFailed extends Error {
  override readonly name = 'SlackCallFailed';
  constructor(
    readonly method: string,
    readonly failure: SlackFailure,
  ) {
    super(`${method} failed: ${failure.error}`);
  }
}

/**
 * Slack refusals that asking again will not change (the person, channel or group is gone, or will not take
 * the message): a page or a reminder passes over its recipient rather than retrying it for ever.
 */
export const REFUSED_FOR_GOOD: ReadonlySet<string> = new Set([
  'channel_not_found',
  'user_not_found',
  'not_in_channel',
  'is_archived',
  'cannot_dm_bot',
  'user_disabled',
  'no_such_subteam',
  'invalid_users',
  'restricted_action',
  'messages_tab_disabled',
]);
