import type { BotDeps } from '../bot/context.js';
import { trendLine } from '../bot/report-views.js';
import { slackFailure } from '../bot/slack-errors.js';
import { messageText, mrkdwn } from '../bot/text.js';
import { isOngoing, type TrendEpisode } from '../core/aggregates/trends.js';
import { logger } from '../runtime/logger.js';
import { once } from './once.js';

const REMEMBER_MS = 14 * 86_400_000;

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
