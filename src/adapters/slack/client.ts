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
 * The Slack Web API client every handler uses. `TMS_SLACK_API_URL` points it elsewhere than Slack: the
 * local stack sets it to its emulator unless a real `SLACK_BOT_TOKEN` was given. `SLACK_API_URL` names
 * a workspace's API that is not at slack.com (GovSlack: https://slack-gov.com/api/). Rate limits are not waited
 * out inside a request: they surface, and the card is reconciled later. The bot token is the caller's to
 * read (a secret resolved at cold start): an adapter knows no composition root.
 */
export function createSlackClient(token: string, env: NodeJS.ProcessEnv = process.env): WebClient {
  return new WebClient(token, {
    ...(env.TMS_SLACK_API_URL || env.SLACK_API_URL
      ? { slackApiUrl: env.TMS_SLACK_API_URL || env.SLACK_API_URL }
      : {}),
    ...SLACK_CLIENT_OPTIONS,
    logLevel: LogLevel.WARN,
  });
}
