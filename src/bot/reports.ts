import { Cron } from 'croner';
import type { Task } from '../core/task.js';
import { formatDuration, parseDuration } from '../core/time.js';
import {
  digestFor,
  MAX_STATS_WINDOW_MS,
  playbook,
  statsReport,
  trendsReport,
} from '../core/use-cases/reports.js';
import { once } from '../jobs/once.js';
import { logger } from '../runtime/logger.js';
import { USAGE } from './command.js';
import type { BotDeps } from './context.js';
import { digestView, playbookView, statsView, type TaskIndex, trendsView } from './report-views.js';
import { slackFailure } from './slack-errors.js';
import { escapeMrkdwn } from './text.js';

type Answer = { readonly text: string; readonly blocks?: unknown[] };

const DAY = 86_400_000;
const DEFAULT_STATS_WINDOW = 7 * DAY;
/** A digest's period: since the channel's last scheduled digest, at most this long. */
const MAX_DIGEST_PERIOD = 7 * DAY;
/** A scheduled digest the sweeper could not post on time is still posted this late, and no later. */
const DIGEST_CATCH_UP_MS = 60 * 60_000;

/** The tasks a report names (those not already at hand read once each) and their cards' links. */
async function indexOf(
  deps: BotDeps,
  ids: readonly string[],
  known: readonly Task[] = [],
): Promise<TaskIndex> {
  const tasks = new Map(known.map((t) => [t.id, t]));
  const wanted = [...new Set(ids)];
  await Promise.all(
    wanted
      .filter((id) => !tasks.has(id))
      .map(async (id) => {
        const task = await deps.store.get(id);
        if (task) tasks.set(id, task);
      }),
  );
  const links = new Map<string, string>();
  await Promise.all(
    wanted.map(async (id) => {
      const permalink = (await deps.cards.card(id))?.permalink;
      if (permalink) links.set(id, permalink);
    }),
  );
  return { tasks, links };
}

function windowOf(
  text: string | undefined,
  limits: { fallback: number; min: number; max: number },
  usage: string,
): number | Answer {
  if (!text) return limits.fallback;
  const ms = parseDuration(text);
  if (ms === undefined || ms < limits.min || ms > limits.max)
    return {
      text: `"${escapeMrkdwn(text)}" is not a window from ${formatDuration(limits.min)} to ${formatDuration(limits.max)}.\nUsage: ${usage}`,
    };
  return ms;
}

/** `/tms stats [service] [window]`. */
export async function statsCommand(
  deps: BotDeps,
  service: string | undefined,
  window: string | undefined,
): Promise<Answer> {
  // Counters other than events are kept per hour: a window is at least one.
  const ms = windowOf(
    window,
    { fallback: DEFAULT_STATS_WINDOW, min: 3_600_000, max: MAX_STATS_WINDOW_MS },
    USAGE.stats,
  );
  if (typeof ms !== 'number') return ms;
  return statsView(await statsReport(deps, service ?? null, ms, deps.clock.now()));
}

/** `/tms trends [service] [window]`: the window may be up to the baseline it is compared with. */
export async function trendsCommand(
  deps: BotDeps,
  service: string | undefined,
  window: string | undefined,
): Promise<Answer> {
  const rule = deps.config.trends;
  // Events are kept in 5-minute slots: a window is at least one.
  const ms = windowOf(window, { fallback: rule.window, min: 5 * 60_000, max: rule.baseline }, USAGE.trends);
  if (typeof ms !== 'number') return ms;
  const now = deps.clock.now();
  const report = await trendsReport(deps, service ?? null, ms, now);
  const ids = [
    ...report.ongoing.flatMap((e) => (e.taskId ? [e.taskId] : [])),
    ...report.busiest.flatMap((r) => (r.taskId ? [r.taskId] : [])),
  ];
  return trendsView(report, service ?? null, await indexOf(deps, ids));
}

/** `/tms playbook <service>`. */
export async function playbookCommand(deps: BotDeps, service: string): Promise<Answer> {
  const entries = await playbook(deps, service);
  const ids = entries.flatMap((e) => (e.stats.lastTaskId ? [e.stats.lastTaskId] : []));
  return playbookView(service, entries, deps.config.services[service]?.runbook, await indexOf(deps, ids));
}

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
  const index = await indexOf(deps, ids, [...digest.open, ...digest.breached, ...digest.atRisk]);
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
