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
