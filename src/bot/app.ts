import type { AwsLambdaReceiver, App as BoltApp } from '@slack/bolt';
import { SLACK_CLIENT_OPTIONS } from '../adapters/slack/client.js';
import { logger } from '../runtime/logger.js';
import { App, LogLevel } from './bolt.js';
import type { BotDeps } from './context.js';
import { handling } from './handling.js';
import type { Handoff, Job } from './handoff.js';
import { registerListeners } from './listeners/index.js';

export { HANDLING_LEASE_MS } from './handling.js';

/** Work a listener handed off (App Home): its views are loaded with the first job, not at the cold start. */
export async function runJob(deps: BotDeps, job: Job): Promise<void> {
  const home = await import('./home.js');
  await home.runJob(deps, job);
}

export interface BotOptions {
  /** Requests arrive through API Gateway (the Lambda receiver), or over Socket Mode with an app token. */
  readonly receiver:
    | AwsLambdaReceiver
    | { readonly socketMode: { readonly appToken: string; readonly slackApiUrl?: string } };
  readonly token: string;
  readonly botId?: string;
  readonly botUserId?: string;
  readonly handoff: Handoff;
  /** Where Bolt's own client goes: the emulator offline, else Slack (or a workspace's own API). */
  readonly slackApiUrl?: string;
}

/**
 * The Slack surface: `/tms`, the card's buttons and selects, the two modals and App Home, on Bolt. Every
 * listener (./listeners) is thin: read what Slack sent, call the same use cases as every other entry point,
 * answer the person. Cards are not touched here: they follow the task through the table's stream.
 */
export function createBotApp(deps: BotDeps, options: BotOptions): BoltApp {
  const app = new App({
    token: options.token,
    ...('socketMode' in options.receiver
      ? {
          socketMode: true,
          appToken: options.receiver.socketMode.appToken,
          ...(options.receiver.socketMode.slackApiUrl
            ? {
                installerOptions: { clientOptions: { slackApiUrl: options.receiver.socketMode.slackApiUrl } },
              }
            : {}),
        }
      : { receiver: options.receiver }),
    // Known ids mean no auth.test call at start-up: nothing reaches the network until a request does.
    ...(options.botId ? { botId: options.botId } : {}),
    ...(options.botUserId ? { botUserId: options.botUserId } : {}),
    clientOptions: {
      ...SLACK_CLIENT_OPTIONS,
      ...(options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : {}),
    },
    logLevel: LogLevel.WARN,
    tokenVerificationEnabled: false,
  });

  // Slack retries an event it thinks was not acknowledged: the same event_id is applied once. A retry while
  // the first delivery is being handled is acknowledged and ignored; one after that delivery died does it.
  app.use(async ({ body, next }) => {
    const eventId = (body as { event_id?: unknown }).event_id;
    if (typeof eventId === 'string') {
      const { claim, expires } = handling(deps);
      const begun = await deps.seen.begin('slack-event', eventId, claim);
      if (begun !== 'begun') {
        logger.info('Slack event already handled', { eventId, state: begun });
        return;
      }
      try {
        await next();
      } catch (error) {
        await deps.seen.release('slack-event', eventId, claim.token); // the retry must not be ignored
        throw error;
      }
      await deps.seen.complete('slack-event', eventId, claim.token, expires);
      return;
    }
    await next();
  });

  registerListeners(app, deps, options.handoff);

  app.error(async (error) => {
    logger.error('Bolt listener failed', { error });
  });

  return app;
}
