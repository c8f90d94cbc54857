import { type StreamSubscription, TASK_ITEMS } from '../jobs/stream-consumers.js';

/** The consumers of the table's stream, each loaded on first use as its own Lambda would be. */
export const STREAM_CONSUMERS: readonly StreamSubscription[] = [
  // The card projector of the Slack surface.
  {
    name: 'cards',
    filter: TASK_ITEMS,
    handler: async (event) => (await import('./cards-stream.js')).handler(event),
  },
  // Counters, statistics and trends for the reports; its own items are not task items, so they never feed it.
  {
    name: 'aggregator',
    filter: TASK_ITEMS,
    handler: async (event) => (await import('./aggregator.js')).handler(event),
  },
];
