import { LogLevel, WebClient, type WebClientOptions } from '@slack/web-api';

/**
 * How every client TMS makes (this one, and Bolt's own in src/bot/app.ts) treats failures: a rate limit is
 * never waited out inside a request (@slack/web-api's default waits out Retry-After and retries for up to
 * 30 minutes, far past Slack's 3 seconds and a Lambda's timeout); it surfaces with Slack's Retry-After, and
 * the caller waits all of it or leaves the work to the sweeper. Other failures are retried twice, briefly.
 */
export const SLACK_CLIENT_OPTIONS = {
  rejectRateLimitedCalls: true,
  retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 1_000 },
} as const satisfies WebClientOptions;

/**
 * The Slack Web API client every handler uses: Slack's, or `apiUrl`'s (the local emulator offline, a GovSlack
 * workspace's API). Rate limits are not waited out inside a request: they surface, and the card is reconciled
 * later. The token and the URL are the composition root's to read: an adapter knows no environment.
 */
export function createSlackClient(token: string, apiUrl?: string): WebClient {
  return new WebClient(token, {
    ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
    ...SLACK_CLIENT_OPTIONS,
    logLevel: LogLevel.WARN,
  });
}
