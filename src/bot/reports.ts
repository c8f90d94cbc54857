import { formatDuration } from '../core/time.js';
import {
  playbook,
  reportWindow,
  STATS_WINDOW,
  statsReport,
  taskIndex,
  trendsReport,
  trendsWindow,
  type WindowLimits,
} from '../core/use-cases/reports.js';
import { USAGE } from './command.js';
import type { BotDeps } from './context.js';
import { playbookView, statsView, trendsView } from './report-views.js';
import { escapeMrkdwn } from './text.js';

type Answer = { readonly text: string; readonly blocks?: unknown[] };

function windowOf(text: string | undefined, limits: WindowLimits, usage: string): number | Answer {
  return (
    reportWindow(text, limits) ?? {
      text: `"${escapeMrkdwn(text ?? '')}" is not a window from ${formatDuration(limits.min)} to ${formatDuration(limits.max)}.\nUsage: ${usage}`,
    }
  );
}

/** `/tms stats [service] [window]`. */
export async function statsCommand(
  deps: BotDeps,
  service: string | undefined,
  window: string | undefined,
): Promise<Answer> {
  const ms = windowOf(window, STATS_WINDOW, USAGE.stats);
  if (typeof ms !== 'number') return ms;
  return statsView(await statsReport(deps, service ?? null, ms, deps.clock.now()));
}

/** `/tms trends [service] [window]`: the window may be up to the baseline it is compared with. */
export async function trendsCommand(
  deps: BotDeps,
  service: string | undefined,
  window: string | undefined,
): Promise<Answer> {
  const ms = windowOf(window, trendsWindow(deps.config.trends), USAGE.trends);
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
