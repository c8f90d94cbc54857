import {
  type Contribution,
  type HourCounters,
  type ItemDelta,
  itemKey,
  mergeContributions,
  mergeHourItems,
  type Scope,
} from '../../src/core/aggregates/counters.js';
import { parseStats, type ResolutionStats, type StatsKey } from '../../src/core/aggregates/resolutions.js';
import type { TrendEpisode } from '../../src/core/aggregates/trends.js';
import type { AggregateStore, Opening } from '../../src/core/ports.js';

interface HourItem {
  scope: Scope;
  hour: string;
  counters: Record<string, number>;
  sets: Record<string, Set<string>>;
  counted: Record<string, number>;
}

/** The AggregateStore in memory, for unit tests; held to the same contract as the DynamoDB adapter. */
export class MemoryAggregateStore implements AggregateStore {
  readonly hourItems = new Map<string, HourItem>();
  readonly statsItems = new Map<string, ResolutionStats>();
  readonly trendItems = new Map<string, TrendEpisode>();
  readonly digests = new Map<string, string>();
  /** Calls by method, as a request count would see them. */
  readonly calls = new Map<string, number>();

  #count(method: string) {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
  }

  async applyCounters(delta: ItemDelta): Promise<readonly Contribution[]> {
    this.#count('applyCounters');
    const key = itemKey(delta);
    const item = this.hourItems.get(key) ?? {
      scope: delta.scope,
      hour: delta.hour,
      counters: {},
      sets: {},
      counted: {},
    };
    const todo = delta.contributions.filter((c) => c.version > (item.counted[c.taskId] ?? 0));
    const [merged] = mergeContributions(todo);
    if (!merged) return [];
    for (const [name, value] of Object.entries(merged.counters))
      item.counters[name] = (item.counters[name] ?? 0) + value;
    for (const [name, values] of Object.entries(merged.sets))
      item.sets[name] = new Set([...(item.sets[name] ?? []), ...values]);
    for (const c of todo) item.counted[c.taskId] = Math.max(item.counted[c.taskId] ?? 0, c.version);
    this.hourItems.set(key, item);
    return todo;
  }

  async hours(scope: Scope, fromHour: string, toHour: string): Promise<HourCounters[]> {
    this.#count('hours');
    return mergeHourItems(
      [...this.hourItems.values()]
        .filter((i) => i.scope === scope && i.hour >= fromHour && i.hour <= toHour)
        .map((i) => ({
          scope: i.scope,
          hour: i.hour,
          counters: { ...i.counters },
          sets: Object.fromEntries(Object.entries(i.sets).map(([n, s]) => [n, [...s]])),
        })),
    );
  }

  async stats(key: StatsKey): Promise<ResolutionStats> {
    this.#count('stats');
    return this.statsItems.get(JSON.stringify(key)) ?? parseStats(key, undefined);
  }

  async statsOf(keys: readonly StatsKey[]): Promise<ResolutionStats[]> {
    this.#count('statsOf');
    return keys.map((key) => this.statsItems.get(JSON.stringify(key)) ?? parseStats(key, undefined));
  }

  async updateStats(
    key: StatsKey,
    fold: (stats: ResolutionStats) => ResolutionStats,
  ): Promise<ResolutionStats> {
    this.#count('updateStats');
    const next = fold(this.statsItems.get(JSON.stringify(key)) ?? parseStats(key, undefined));
    this.statsItems.set(JSON.stringify(key), next);
    return next;
  }

  async countOpenings(key: StatsKey, openings: readonly Opening[], at: string): Promise<boolean> {
    this.#count('countOpenings');
    const stored = this.statsItems.get(JSON.stringify(key)) ?? parseStats(key, undefined);
    const last = openings.at(-1);
    if (!last || new Set(openings.map((o) => o.taskId)).size !== openings.length) return false;
    if (openings.some((o) => (stored.applied[o.taskId]?.version ?? 0) >= o.version)) return false;
    const applied = { ...stored.applied };
    for (const o of openings) applied[o.taskId] = { version: o.version, at };
    this.statsItems.set(JSON.stringify(key), {
      ...stored,
      title: last.title,
      lastTaskId: last.taskId,
      times: stored.times + openings.reduce((n, o) => n + o.times, 0),
      applied,
    });
    return true;
  }

  async issueStats(service: string): Promise<ResolutionStats[]> {
    this.#count('issueStats');
    return [...this.statsItems.values()].filter((s) => s.key.kind === 'issue' && s.key.service === service);
  }

  async trends(): Promise<TrendEpisode[]> {
    this.#count('trends');
    return [...this.trendItems.values()];
  }

  async recordTrend(episode: TrendEpisode, endedBefore: string): Promise<'started' | 'ongoing'> {
    this.#count('recordTrend');
    const known = this.trendItems.get(episode.scope);
    if (!known || known.lastHeldAt < endedBefore) {
      this.trendItems.set(episode.scope, episode);
      return 'started';
    }
    if (known.lastHeldAt < episode.lastHeldAt)
      this.trendItems.set(episode.scope, {
        ...known,
        lastHeldAt: episode.lastHeldAt,
        recent: episode.recent,
        expected: episode.expected,
      });
    return 'ongoing';
  }

  async markTrendPosted(
    scope: string,
    startedAt: string,
    postedAt: string,
    coveredBy?: string,
  ): Promise<void> {
    this.#count('markTrendPosted');
    const known = this.trendItems.get(scope);
    if (known?.startedAt === startedAt)
      this.trendItems.set(scope, { ...known, postedAt, ...(coveredBy ? { coveredBy } : {}) });
  }

  async lastDigest(channel: string): Promise<string | undefined> {
    this.#count('lastDigest');
    return this.digests.get(channel);
  }

  async recordDigest(channel: string, at: string): Promise<void> {
    this.#count('recordDigest');
    const last = this.digests.get(channel);
    if (!last || last < at) this.digests.set(channel, at);
  }
}
