import type { AggregatorDeps } from '../jobs/aggregator.js';
import { aggregateStore, context } from './context.js';
import { metrics } from './metrics.js';

let built: AggregatorDeps | undefined;

/** What the aggregator's Lambda needs, built once per container; Slack is loaded only when a trend is posted. */
export function aggregatorContext(): AggregatorDeps {
  if (!built) {
    const { config, clock } = context();
    built = {
      config,
      clock,
      aggregates: aggregateStore(),
      metrics: metrics(),
      postTrends: async (started, now) => {
        const [{ postTrends }, { botContext }] = await Promise.all([
          import('../jobs/trend-posts.js'),
          import('../bot/context.js'),
        ]);
        return postTrends(botContext(), now, started);
      },
    };
  }
  return built;
}
