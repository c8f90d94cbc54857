import { Cron } from 'croner';
import type { BotDeps } from '../bot/context.js';
import { digestView } from '../bot/report-views.js';
import { slackFailure } from '../bot/slack-errors.js';
import { digestFor, taskIndex } from '../core/use-cases/reports.js';
import { logger } from '../runtime/logger.js';
import { once } from './once.js';

const DAY = 86_400_000;
/** A digest's period: since the channel's last scheduled digest, at most this long. */
const MAX_DIGEST_PERIOD = 7 * DAY;
/** A scheduled digest the sweeper could not post on time is still posted this late, and no later. */
const DIGEST_CATCH_UP_MS = 60 * 60_000;

/**
 * Posts a channel's digest into it, covering the time since its last scheduled digest (else the last day).
 * `scheduled` digests move that mark; one asked for with `/tms digest` does not.
 */
export async function postDigest(
  deps: BotDeps,
  channel: string,
  now: Date,
  options: { readonly scheduled: boolean },
): Promise<{ readonly ts: string | undefined }> {
  const last = await deps.aggregates.lastDigest(channel);
  const from = new Date(
    Math.max(last ? Date.parse(last) : now.getTime() - DAY, now.getTime() - MAX_DIGEST_PERIOD),
  );
  const digest = await digestFor(deps, channel, from, now);
  const ids = [
    ...digest.open.map((t) => t.id),
    ...digest.breached.map((t) => t.id),
    ...digest.atRisk.map((t) => t.id),
    ...digest.opened.taskIds,
    ...digest.resolved.taskIds,
    ...digest.noisiest.map((n) => n.taskId),
    ...digest.flakiest.map((f) => f.taskId),
    ...digest.trending.flatMap((e) => (e.taskId ? [e.taskId] : [])),
  ];
  const index = await taskIndex(deps, ids, [...digest.open, ...digest.breached, ...digest.atRisk]);
  const { text, blocks } = digestView(digest, index, deps.config.trends);
  const posted = await deps.slack.chat.postMessage({ channel, text, blocks, unfurl_links: false });
  if (options.scheduled)
    // Posted is what counts: should the mark not move, the next digest covers a little more.
    await deps.aggregates
      .recordDigest(channel, now.toISOString())
      .catch((error) => logger.warn('digest posted, but its time not recorded', { channel, error }));
  return { ts: posted.ts };
}

/**
 * The sweeper's digest job: each digest of the config whose cron (in its time zone) came due since the
 * last sweep is posted once, even when the sweep runs twice for the same minute (a marker per digest and due
 * time); one that could not be posted is tried again on the next sweep, for up to an hour.
 */
export async function sendDueDigests(deps: BotDeps, now: Date): Promise<{ posted: number }> {
  let posted = 0;
  for (const digest of deps.config.digests) {
    const [due] = new Cron(digest.cron, { timezone: digest.timezone, paused: true }).previousRuns(1, now);
    if (!due || now.getTime() - due.getTime() > DIGEST_CATCH_UP_MS) continue;
    // By what the digest is, not where it stands in the list: reordering the config posts nothing twice.
    const key = `${digest.channel}:${digest.cron}:${digest.timezone}:${due.toISOString()}`;
    const expires = new Date(now.getTime() + 2 * DAY).toISOString();
    try {
      const outcome = await once(deps, 'digest', key, expires, () =>
        postDigest(deps, digest.channel, now, { scheduled: true }).then(() => undefined),
      );
      if (outcome === 'done') posted++;
    } catch (error) {
      logger.warn('digest not posted; the next sweep tries again', {
        channel: digest.channel,
        error: slackFailure(error).error,
      });
    }
  }
  return { posted };
}
