import { LogLevel, WebClient } from '@slack/web-api';
import { secret } from '../../runtime/secrets.js';

/**
 * The Slack Web API client every handler uses. `TMS_SLACK_API_URL` points it elsewhere than Slack: the
 * local stack sets it to its emulator unless a real `SLACK_BOT_TOKEN` was given. `SLACK_API_URL` names
 * a workspace's API that is not at slack.com (GovSlack: https://slack-gov.com/api/). Rate limits are not waited
 * out inside a request: they surface, and the card is reconciled later.
 */
export function createSlackClient(env: NodeJS.ProcessEnv = process.env): WebClient {
  return new WebClient(secret('SLACK_BOT_TOKEN', env), {
    ...(env.TMS_SLACK_API_URL || env.SLACK_API_URL
      ? { slackApiUrl: env.TMS_SLACK_API_URL || env.SLACK_API_URL }
      : {}),
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 1_000 },
    logLevel: LogLevel.WARN,
  });
}
