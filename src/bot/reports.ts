import { formatDuration, parseDuration } from '../core/time.js';
import {
  MAX_STATS_WINDOW_MS,
  playbook,
  statsReport,
  taskIndex,
  trendsReport,
} from '../core/use-cases/reports.js';
import { USAGE } from './command.js';
import type { BotDeps } from './context.js';
import { playbookView, statsView, trendsView } from './report-views.js';
import { escapeMrkdwn } from './text.js';

type Answer = { readonly text: string; readonly blocks?: unknown[] };

const DAY = 86_400_000;
const DEFAULT_STATS_WINDOW = 7 * DAY;

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
  return trendsView(report, service ?? null, await taskIndex(deps, ids));
}

/** `/tms playbook <service>`. */
export async function playbookCommand(deps: BotDeps, service: string): Promise<Answer> {
  const entries = await playbook(deps, service);
  const ids = entries.flatMap((e) => (e.stats.lastTaskId ? [e.stats.lastTaskId] : []));
  return playbookView(service, entries, deps.config.services[service]?.runbook, await taskIndex(deps, ids));
}
