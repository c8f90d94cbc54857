import type { LiveSender } from '../core/ports.js';
import { SLA_WARNINGS_SENT, TREND_ITEMS } from '../jobs/live.js';
import type { FilterPattern, StreamSubscription } from '../jobs/stream-consumers.js';
import { TASK_ITEMS } from '../jobs/stream-consumers.js';
import type { SlackHouseDeps } from '../runtime/slack-deps.js';
import { makeAggregatorHandler } from './aggregator.js';
import { makeCardsStreamHandler } from './cards-stream.js';
import { makeEscalationsStreamHandler } from './escalations-stream.js';
import { makeLiveStreamHandler } from './live-stream.js';

/** The consumers of the table's stream by name and filter: infra maps each to its function. */
export const STREAM_CONSUMERS: readonly {
  readonly name: 'cards' | 'aggregator' | 'live' | 'escalations';
  readonly filter: FilterPattern;
  /** Records it takes besides the filter's (src/jobs/stream-consumers.ts `reaches`). */
  readonly also?: readonly FilterPattern[];
  /** Batches side by side, a task's records in order (the event source mapping's ParallelizationFactor). */
  readonly parallelization?: number;
  /** How long a batch gathers locally (on AWS infra sets the mapping's own window). */
  readonly batchingWindowMs?: number;
}[] = [
  // The card projector of the Slack surface: a task's card never waits for another task's pacing, so a
  // person's click is not held behind a storm's card.
  { name: 'cards', filter: TASK_ITEMS, parallelization: 10 },
  // Counters, statistics and trends for the reports; its own items are not task items, so they never feed it.
  // Reports need no second's latency: a burst's records counted a batch at a time cost far fewer writes.
  { name: 'aggregator', filter: TASK_ITEMS, batchingWindowMs: 1_000 },
  // The dashboards' live updates: people watch them, so no batching window; its own items (connections, the
  // catch-up log) are not task items, so they never feed it.
  { name: 'live', filter: TASK_ITEMS, also: [TREND_ITEMS, SLA_WARNINGS_SENT] },
  // Escalation (issue 19): executions started as tasks open, stopped as they are acknowledged. One lane: a
  // task's start and stop stay in order, and starts are rare next to the cards' edits.
  { name: 'escalations', filter: TASK_ITEMS },
];

/**
 * The same consumers as handlers over one set of deps: the local stack feeds its stream to them, and sends the
 * live updates to its own WebSocket server (`live`).
 */
export function streamConsumers(deps: SlackHouseDeps, live: { sender: LiveSender }): StreamSubscription[] {
  const handlers = {
    cards: makeCardsStreamHandler(deps),
    aggregator: makeAggregatorHandler(deps, async () => deps),
    live: makeLiveStreamHandler({ ...deps, sender: live.sender }),
    escalations: makeEscalationsStreamHandler(deps),
  };
  return STREAM_CONSUMERS.map((consumer) => ({
    ...consumer,
    handler: (event) => handlers[consumer.name](event),
  }));
}
