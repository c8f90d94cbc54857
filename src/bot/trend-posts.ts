import { readableDuration } from '../core/aggregates/resolutions.js';
import { isOngoing, type TrendEpisode, type TrendRule } from '../core/aggregates/trends.js';
import { logger } from '../runtime/logger.js';
import type { BotDeps } from './context.js';
import { once } from './once.js';
import { slackFailure } from './slack-errors.js';
import { link, messageText, mrkdwn } from './text.js';

const REMEMBER_MS = 14 * 86_400_000;

/** "8× its usual rate" or, for an issue the baseline never saw, "new: nothing in the previous 24 h". */
export function rateWords(episode: Pick<TrendEpisode, 'recent' | 'expected'>, rule: TrendRule): string {
  if (episode.expected <= 0) return `new: none in the ${readableDuration(rule.baseline)} before`;
  const ratio = episode.recent / episode.expected;
  return `${ratio >= 10 ? Math.round(ratio) : Math.round(ratio * 10) / 10}× its usual rate`;
}

/** The sentence a trend is posted as (and listed as by `/tms trends`). */
export function trendLine(episode: TrendEpisode, rule: TrendRule, permalink?: string): string {
  const counted = `${episode.recent} event${episode.recent === 1 ? '' : 's'} in the last ${readableDuration(rule.window)}, ${rateWords(episode, rule)}`;
  if (episode.kind === 'fingerprint') {
    const id = episode.taskId ? (permalink ? link(permalink, episode.taskId) : `*${episode.taskId}*`) : '';
    return `${id} ${mrkdwn(episode.title, 120)} (${mrkdwn(episode.service, 200)}): ${counted}`.trim();
  }
  return `*${mrkdwn(episode.service, 200)}* as a whole: ${counted}`;
}

/**
 * Posts trend episodes that have not been posted: in the task's channel for a fingerprint, the service's
 * for a service. A service trend that one of its fingerprints' own ongoing trends explains is not posted
 * again. Each episode is posted once, even when the aggregator and the sweeper both try; one that could not
 * be posted is tried again on the next sweep while it lasts.
 */
export async function postTrends(
  deps: BotDeps,
  now: Date,
  started: readonly TrendEpisode[] = [],
): Promise<{ posted: number }> {
  const rule = deps.config.trends;
  const known = await deps.aggregates.trends();
  const byScope = new Map(known.map((e) => [e.scope, e]));
  for (const e of started) if (!byScope.has(e.scope)) byScope.set(e.scope, e);
  const episodes = [...byScope.values()].filter((e) => !e.postedAt && isOngoing(e, now, rule));
  let posted = 0;
  for (const episode of episodes.sort((a, b) =>
    a.kind === b.kind ? 0 : a.kind === 'fingerprint' ? -1 : 1,
  )) {
    if (episode.kind === 'service') {
      const cause = [...byScope.values()].find(
        (e) => e.kind === 'fingerprint' && e.service === episode.service && isOngoing(e, now, rule),
      );
      if (cause) {
        await deps.aggregates.markTrendPosted(
          episode.scope,
          episode.startedAt,
          now.toISOString(),
          cause.scope,
        );
        continue;
      }
    }
    const key = `${episode.scope}@${episode.startedAt}`;
    const expires = new Date(now.getTime() + REMEMBER_MS).toISOString();
    try {
      const outcome = await once(deps, 'trend-posted', key, expires, async () => {
        const permalink = episode.taskId ? (await deps.cards.card(episode.taskId))?.permalink : undefined;
        await deps.slack.chat.postMessage({
          channel: episode.channel,
          text: messageText(
            `:chart_with_upwards_trend: *Trending* · ${trendLine(episode, rule, permalink)}${
              episode.kind === 'service'
                ? `. \`/tms trends ${mrkdwn(episode.service, 200)}\` shows what.`
                : ''
            }`,
          ),
          unfurl_links: false,
        });
      });
      if (outcome === 'skipped') continue;
      await deps.aggregates.markTrendPosted(episode.scope, episode.startedAt, now.toISOString());
      posted++;
    } catch (error) {
      logger.warn('trend not posted; the next sweep tries again', {
        scope: episode.scope,
        error: slackFailure(error).error,
      });
    }
  }
  return { posted };
}
