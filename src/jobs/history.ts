import type { CardInsight } from '../bot/card.js';
import { issueOf, type ResolutionStats, suggestionOf, typicalTime } from '../core/aggregates/resolutions.js';
import type { AggregateStore } from '../core/ports.js';
import type { Task } from '../core/task.js';

/** Stats change once per resolution: a card edit or a sweep need not read them every time. */
const CACHE_MS = 60_000;

/** Per store, so two stacks in one process (or two tables) never answer from each other's reads. */
const caches = new WeakMap<AggregateStore, Map<string, { at: number; stats: ResolutionStats }>>();

async function cached(
  aggregates: AggregateStore,
  key: Parameters<AggregateStore['stats']>[0],
  now: number,
  fresh: boolean,
): Promise<ResolutionStats> {
  const id = JSON.stringify(key);
  const cache = caches.get(aggregates) ?? new Map();
  caches.set(aggregates, cache);
  const hit = cache.get(id);
  if (hit && !fresh && now - hit.at < CACHE_MS) return hit.stats;
  const stats = await aggregates.stats(key);
  if (cache.size > 1_000) cache.clear();
  cache.set(id, { at: now, stats });
  return stats;
}

/** Forget what was read from this store (tests, and a container that just folded new stats). */
export const forgetHistory = (aggregates: AggregateStore): void => caches.get(aggregates)?.clear();

/** What TMS knows of how tasks like this one went: its issue's history, and its service's at its priority. */
export interface History {
  readonly issue?: ResolutionStats;
  readonly service: ResolutionStats;
}

/**
 * `fresh`: read now rather than from what was read less than a minute ago (a card posted for the first time).
 * An issue with no history yet reads its fingerprint's, where the history of its tasks from before issue
 * keys is: what was learned then is not forgotten on upgrading.
 */
export async function historyOf(
  aggregates: AggregateStore,
  task: Task,
  now: Date,
  fresh = false,
): Promise<History> {
  const at = now.getTime();
  const { service, fingerprint } = task;
  const issue = issueOf(task);
  const [byIssue, byService] = await Promise.all([
    issue ? cached(aggregates, { kind: 'issue', service, issue }, at, fresh) : undefined,
    cached(aggregates, { kind: 'service', service, priority: task.priority }, at, fresh),
  ]);
  const earlier =
    byIssue && byIssue.resolved === 0 && fingerprint && fingerprint !== issue
      ? await cached(aggregates, { kind: 'issue', service, issue: fingerprint }, at, fresh)
      : undefined;
  const known = earlier && earlier.resolved > 0 ? earlier : byIssue;
  return known ? { issue: known, service: byService } : { service: byService };
}

/** The card's line for a task whose issue was resolved before; only while the task is open. */
export function suggestionFor(history: History, task: Task): string | null {
  if (task.status === 'resolved' || !history.issue) return null;
  return suggestionOf(history.issue);
}

/** What the card shows from history: the suggestion, and how long similar tasks take per stage. */
export function insightOf(history: History, task: Task): CardInsight {
  const ack = typicalTime(history, 'ack');
  const resolve = typicalTime(history, 'resolve');
  return {
    suggestion: suggestionFor(history, task),
    typicalMs: { ...(ack ? { ack: ack.ms } : {}), ...(resolve ? { resolve: resolve.ms } : {}) },
  };
}
