import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { BotDeps } from '../bot/context.js';
import { type AggregatorDeps, aggregate } from '../jobs/aggregator.js';
import { buildDeps, type Env, type HouseDeps } from '../runtime/deps.js';
import type { Secrets } from '../runtime/secrets.js';

/**
 * The aggregator's stream consumer (on AWS its event source mapping filters to task items, `sk = TASK`).
 * Slack is reached only when a trend starts: `slack` is asked for the bot's deps then, so the function's
 * every other batch neither loads nor needs the Slack client.
 */
export function makeAggregatorHandler(deps: HouseDeps, slack: () => Promise<BotDeps>) {
  const aggregator: AggregatorDeps = {
    config: deps.config,
    clock: deps.clock,
    aggregates: deps.aggregates,
    metrics: deps.metrics,
    postTrends: async (started, now) => {
      const [{ postTrends }, bot] = await Promise.all([import('../jobs/trend-posts.js'), slack()]);
      return postTrends(bot, now, started);
    },
  };
  return function handler(event: DynamoDBStreamEvent, context?: Context): Promise<DynamoDBBatchResponse> {
    return aggregate(aggregator, event, context);
  };
}

/** The Lambda's handler, built once per container from its environment (src/runtime/lambda-entry.ts). */
export function fromEnvironment(env: Env, secrets: Secrets) {
  const deps = buildDeps(env, { secrets });
  let bot: Promise<BotDeps> | undefined;
  return makeAggregatorHandler(deps, () => {
    bot ??= import('../runtime/slack-deps.js').then(({ withSlack }) => withSlack(deps));
    return bot;
  });
}
