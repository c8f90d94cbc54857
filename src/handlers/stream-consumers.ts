import type { FilterPattern, StreamSubscription } from '../jobs/stream-consumers.js';
import { TASK_ITEMS } from '../jobs/stream-consumers.js';
import type { SlackHouseDeps } from '../runtime/slack-deps.js';
import { makeAggregatorHandler } from './aggregator.js';
import { makeCardsStreamHandler } from './cards-stream.js';

/** The consumers of the table's stream by name and filter: infra maps each to its function. */
export const STREAM_CONSUMERS: readonly {
  readonly name: 'cards' | 'aggregator';
  readonly filter: FilterPattern;
}[] = [
  // The card projector of the Slack surface.
  { name: 'cards', filter: TASK_ITEMS },
  // Counters, statistics and trends for the reports; its own items are not task items, so they never feed it.
  { name: 'aggregator', filter: TASK_ITEMS },
];

/** The same consumers as handlers over one set of deps: the local stack feeds its stream to them. */
export function streamConsumers(deps: SlackHouseDeps): StreamSubscription[] {
  const handlers = {
    cards: makeCardsStreamHandler(deps),
    aggregator: makeAggregatorHandler(deps, async () => deps),
  };
  return STREAM_CONSUMERS.map((consumer) => ({
    ...consumer,
    handler: (event) => handlers[consumer.name](event),
  }));
}
