import { eventSlots, hourOf, type Scope } from '../aggregates/counters.js';
import {
  readTrend,
  type TrendEpisode,
  type TrendReading,
  type TrendRule,
  trendSpanMs,
} from '../aggregates/trends.js';
import type { AggregateStore } from '../ports.js';

/** What a trend would be about: a fingerprint (with its task) or a service. */
export interface TrendSubject {
  readonly scope: Scope;
  readonly kind: 'fingerprint' | 'service';
  readonly service: string;
  readonly channel: string;
  readonly taskId: string | null;
  readonly title: string;
}

/** The rule read over a scope's hourly items: one query, whatever the number of events in them. */
export async function readScope(
  aggregates: AggregateStore,
  scope: Scope,
  now: Date,
  rule: TrendRule,
): Promise<TrendReading> {
  const from = hourOf(now.getTime() - trendSpanMs(rule));
  const hours = await aggregates.hours(scope, from, hourOf(now));
  return readTrend(eventSlots(hours), now, rule);
}

/**
 * Reads the rule for each subject and records an episode where it holds: new ones come back as started
 * (to be posted), ongoing ones are extended. Fingerprints first, so a service trend that one of its own
 * fingerprints explains can be told apart when it is posted.
 */
export async function evaluateTrends(
  aggregates: AggregateStore,
  subjects: readonly TrendSubject[],
  now: Date,
  rule: TrendRule,
): Promise<TrendEpisode[]> {
  const started: TrendEpisode[] = [];
  const ordered = [...subjects].sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'fingerprint' ? -1 : 1));
  for (const subject of ordered) {
    const reading = await readScope(aggregates, subject.scope, now, rule);
    if (!reading.trending) continue;
    const episode: TrendEpisode = {
      ...subject,
      startedAt: now.toISOString(),
      lastHeldAt: now.toISOString(),
      recent: reading.recent,
      expected: Math.round(reading.expected * 100) / 100,
    };
    const endedBefore = new Date(now.getTime() - rule.window).toISOString();
    if ((await aggregates.recordTrend(episode, endedBefore)) === 'started') started.push(episode);
  }
  return started;
}
