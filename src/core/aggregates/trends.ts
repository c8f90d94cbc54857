import type { Config } from '../config.js';

export type TrendRule = Config['trends'];

export interface TrendReading {
  /** Events in the recent window. */
  readonly recent: number;
  /** Events in the baseline period before it. */
  readonly baseline: number;
  /** What the baseline's rate predicts for a window: baseline × window / baseline period. */
  readonly expected: number;
  /** recent / expected; null when the baseline saw nothing (a new issue). */
  readonly ratio: number | null;
  readonly trending: boolean;
}

/**
 * The trend rule. With `window` W, `baseline` B, `factor` F and `minCount` N: the recent count r is the
 * events of the last W; the baseline count b is the events of the B before that, so the baseline's rate
 * predicts e = b × W / B for a window. Trending when r ≥ N and r ≥ F × e: at least N events, and F times
 * what the baseline predicts. A scope that was silent during the baseline trends as soon as it reaches N.
 * Counts are kept in 5-minute slots, so the window is measured in whole slots that start within it.
 */
export function readTrend(
  slots: readonly { start: number; count: number }[],
  now: Date,
  rule: TrendRule,
): TrendReading {
  const end = now.getTime();
  const windowStart = end - rule.window;
  const baselineStart = windowStart - rule.baseline;
  let recent = 0;
  let baseline = 0;
  for (const slot of slots) {
    if (slot.start > end) continue;
    if (slot.start >= windowStart) recent += slot.count;
    else if (slot.start >= baselineStart) baseline += slot.count;
  }
  const expected = (baseline * rule.window) / rule.baseline;
  return {
    recent,
    baseline,
    expected,
    ratio: expected > 0 ? recent / expected : null,
    trending: recent >= rule.minCount && recent >= rule.factor * expected,
  };
}

/** How far back a reading looks: the hours to read for it. */
export const trendSpanMs = (rule: TrendRule): number => rule.window + rule.baseline;

/**
 * A trend is one episode: it starts when the rule first holds and lasts while it keeps holding; once it has
 * not held for a whole window it is over, and the next time the rule holds is a new trend (posted again).
 */
export interface TrendEpisode {
  /** What is trending: `fp:<fingerprint>` or `svc:<service>`. */
  readonly scope: string;
  readonly kind: 'fingerprint' | 'service';
  readonly service: string;
  readonly channel: string;
  /** The task the fingerprint's events belong to (its card), for fingerprint trends. */
  readonly taskId: string | null;
  readonly title: string;
  readonly startedAt: string;
  /** The last time the rule was seen to hold. */
  readonly lastHeldAt: string;
  readonly recent: number;
  readonly expected: number;
  /** When the trend was posted to its channel; absent while it is still to be posted. */
  readonly postedAt?: string;
  /** Posted as part of another trend (a service trend driven by one of its fingerprints' own). */
  readonly coveredBy?: string;
}

export const isOngoing = (episode: Pick<TrendEpisode, 'lastHeldAt'>, now: Date, rule: TrendRule): boolean =>
  now.getTime() - Date.parse(episode.lastHeldAt) < rule.window;
