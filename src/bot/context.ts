import type { WebClient } from '@slack/web-api';
import { createSnsClient, SnsNotifier } from '../adapters/aws/sns-notifier.js';
import { createSlackClient } from '../adapters/slack/client.js';
import type { AggregateStore, Notifier, SeenStore } from '../core/ports.js';
import { aggregateStore, cardStore, context } from '../runtime/context.js';
import { secret } from '../runtime/secrets.js';
import { Directory } from './directory.js';
import type { ProjectorDeps } from './projector.js';

export interface BotDeps extends ProjectorDeps {
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
