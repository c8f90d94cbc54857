import type { WebClient } from '@slack/web-api';
import { createSnsClient, SnsNotifier } from '../adapters/aws/sns-notifier.js';
import { createSlackClient } from '../adapters/slack/client.js';
import { Directory } from '../adapters/slack/directory.js';
import type { AggregateStore, Notifier, SeenStore } from '../core/ports.js';
import type { CardSyncDeps } from '../jobs/card-sync.js';
import { aggregateStore, cardStore, context } from '../runtime/context.js';
import { secret } from '../runtime/secrets.js';

export interface BotDeps extends CardSyncDeps {
  readonly seen: SeenStore;
  /** The notification topic (SNS), when one is configured. */
  readonly notifier?: Notifier;
  readonly aggregates: AggregateStore;
}

let built: BotDeps | undefined;

/** The use-case deps plus what the Slack surface needs, built once per container. */
export function botContext(): BotDeps {
  if (!built) {
    const deps = context();
    const cards = cardStore();
    const slack: WebClient = createSlackClient(secret('SLACK_BOT_TOKEN'));
    const topic = process.env.TMS_NOTIFY_TOPIC_ARN;
    built = {
      ...deps,
      cards,
      seen: cards,
      slack,
      directory: new Directory(slack, deps.config),
      aggregates: aggregateStore(),
      ...(topic ? { notifier: new SnsNotifier(createSnsClient(), topic) } : {}),
    };
  }
  return built;
}
