import type { CardInsight } from '../bot/card.js';
import { issueOf, type ResolutionStats, suggestionOf, typicalTime } from '../core/aggregates/resolutions.js';
import type { AggregateStore } from '../core/ports.js';
import type { Task } from '../core/task.js';

/** Stats change once per resolution: a card edit or a sweep need not read them every time. */
const CACHE_MS = 60_000;

/** Per store, so two stacks in one process (or two tables) never answer from each other's reads. */
const caches = new WeakMap<AggregateStore, Map<string, { at: number; stats: ResolutionStats }>>();

type Key = Parameters<AggregateStore['stats']>[0];

/** The statistics of `keys`, from the cache unless `fresh`; whatever is not there in one read. */
async function cached(
  aggregates: AggregateStore,
  keys: readonly Key[],
  now: number,
  fresh: boolean,
): Promise<ResolutionStats[]> {
  const cache = caches.get(aggregates) ?? new Map<string, { at: number; stats: ResolutionStats }>();
  caches.set(aggregates, cache);
  const found = new Map<string, ResolutionStats>();
  for (const key of keys) {
    const entry = cache.get(JSON.stringify(key));
    if (entry && !fresh && now - entry.at < CACHE_MS) found.set(JSON.stringify(key), entry.stats);
  }
  const missing = keys.filter((key) => !found.has(JSON.stringify(key)));
  const read =
    missing.length === 0
      ? []
      : missing.length === 1
        ? [await aggregates.stats(missing[0] as Key)]
        : await aggregates.statsOf(missing);
  if (cache.size > 1_000) cache.clear();
  missing.forEach((key, i) => {
    const stats = read[i] as ResolutionStats;
    found.set(JSON.stringify(key), stats);
    cache.set(JSON.stringify(key), { at: now, stats });
  });
  return keys.map((key) => found.get(JSON.stringify(key)) as ResolutionStats);
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
  const { service, fingerprint } = task;
  const issue = issueOf(task);
  // The fingerprint's history is read with the rest (one request, not a second one after): it is only used
  // while the issue has no resolution of its own.
  const legacy = issue && fingerprint && fingerprint !== issue ? fingerprint : undefined;
  const [byService, byIssue, earlier] = (await cached(
    aggregates,
    [
      { kind: 'service', service, priority: task.priority },
      ...(issue ? [{ kind: 'issue' as const, service, issue }] : []),
      ...(legacy ? [{ kind: 'issue' as const, service, issue: legacy }] : []),
    ],
    now.getTime(),
    fresh,
  )) as [ResolutionStats, ResolutionStats | undefined, ResolutionStats | undefined];
  const known = byIssue && byIssue.resolved === 0 && earlier && earlier.resolved > 0 ? earlier : byIssue;
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
