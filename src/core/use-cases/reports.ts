import {
  type HourCounters,
  hourOf,
  hourStart,
  perService,
  perTask,
  reportChannels,
  type Scope,
  scopes,
  sumCounters,
} from '../aggregates/counters.js';
import { type WindowMetrics, windowMetrics } from '../aggregates/metrics.js';
import { type ResolutionStats, resolveTimeAt } from '../aggregates/resolutions.js';
import { isOngoing, type TrendEpisode, type TrendReading, type TrendRule } from '../aggregates/trends.js';
import { LIMITS } from '../bounds.js';
import type { Config } from '../config.js';
import type { AggregateStore, TaskRepository } from '../ports.js';
import { slaClock } from '../sla.js';
import { PRIORITIES, type Priority, type Task, taskNumber, UNRESOLVED } from '../task.js';
import { parseDuration } from '../time.js';
import { readScope } from './trends.js';

/** Reports read the aggregator's items (a window's hours, statistics, trend episodes), never history. */
export interface ReportDeps {
  readonly aggregates: AggregateStore;
  readonly store: TaskRepository;
  readonly config: Config;
}

const DAY = 86_400_000;
export const MAX_STATS_WINDOW_MS = 90 * DAY;

/**
 * The windows a report reads, as Slack and the API take them. Counters other than events are kept per hour,
 * so a stats window is at least one; events are kept in 5-minute slots, and a trends window may be up to the
 * baseline it is compared with.
 */
export interface WindowLimits {
  readonly fallback: number;
  readonly min: number;
  readonly max: number;
}
export const STATS_WINDOW: WindowLimits = { fallback: 7 * DAY, min: 3_600_000, max: MAX_STATS_WINDOW_MS };
export const trendsWindow = (rule: TrendRule): WindowLimits => ({
  fallback: rule.window,
  min: 5 * 60_000,
  max: rule.baseline,
});

/** A report's window (`30m`, `7d`, case-blind): the fallback when none is given, undefined when it is not one within the limits. */
export function reportWindow(text: string | undefined, limits: WindowLimits): number | undefined {
  if (!text) return limits.fallback;
  const ms = parseDuration(text.toLowerCase());
  return ms === undefined || ms < limits.min || ms > limits.max ? undefined : ms;
}

const SERVICE = /^[a-z0-9][a-z0-9._-]*$/;

/**
 * A service as a report names it (case-blind), or undefined for what cannot be one: a name longer than a
 * key holds, or with characters no service name has (`__proto__`, spaces, markup).
 */
export function reportService(text: string): string | undefined {
  const name = text.toLowerCase();
  return name.length <= LIMITS.nameBytes && SERVICE.test(name) ? name : undefined;
}

/**
 * Whether a report may name `service`: a configured service, the default one, or any service a task was ever
 * opened in (an alert may name a service the config does not). An empty report for a name nobody uses would
 * read as "all is well". `known` lists the names to suggest instead.
 */
export async function knownService(
  deps: Pick<ReportDeps, 'store' | 'config'>,
  service: string,
): Promise<{ readonly known: boolean; readonly names: readonly string[] }> {
  const names = [...new Set([...Object.keys(deps.config.services), deps.config.defaults.service])];
  if (names.includes(service)) return { known: true, names };
  return { known: (await deps.store.list({ service, limit: 1 })).tasks.length > 0, names };
}

/**
 * The hours a window reads: counters other than events are kept per hour, so a window starts at the top of
 * the hour its start falls in. `covered` is the time those hours span up to now, what rates divide by.
 */
async function windowHours(
  aggregates: AggregateStore,
  scope: Scope,
  from: number,
  to: number,
): Promise<{ hours: HourCounters[]; start: number; covered: number }> {
  const start = hourStart(hourOf(from));
  return { hours: await aggregates.hours(scope, hourOf(from), hourOf(to)), start, covered: to - start };
}

/** The steps a series may be cut in: whole hours, since counters are kept per hour, aligned in UTC. */
export const SERIES_STEPS: Readonly<Record<string, number>> = Object.freeze(
  Object.assign(Object.create(null), { '1h': 3_600_000, '6h': 6 * 3_600_000, '1d': DAY }),
);
/** The most buckets a series is cut into (window / step): enough for a chart, bounded for the answer. */
export const MAX_SERIES_POINTS = 200;

/**
 * A series' step (`1h`, `6h`, `1d`, case-blind) for a window, or why it is not one: another duration, or one
 * that would cut the window in more than MAX_SERIES_POINTS buckets.
 */
export function reportStep(text: string, windowMs: number): { stepMs: number } | { reason: string } {
  const ms = SERIES_STEPS[text.toLowerCase()];
  if (ms === undefined) return { reason: `not a step: ${Object.keys(SERIES_STEPS).join(', ')}` };
  if (windowMs / ms > MAX_SERIES_POINTS)
    return {
      reason: `${text.toLowerCase()} cuts the window in more than ${MAX_SERIES_POINTS} points: take a longer step or a shorter window`,
    };
  return { stepMs: ms };
}

/** One bucket of a series: the figures of the hours in [from, to). */
export interface SeriesBucket {
  readonly from: number;
  readonly to: number;
  readonly metrics: WindowMetrics;
}

/**
 * The hours a window read, cut into buckets at multiples of the step since the epoch (UTC midnight, so days and
 * 6-hour steps start where a reader expects them). The first bucket starts where the window's hours do and the
 * last ends at `end` (now), so both may be shorter than a step: MTBF divides each by the time it covers. A bucket
 * with no items is there with zeros and null figures, a gap on a chart, not a missing point.
 */
export function metricSeries(
  hours: readonly HourCounters[],
  start: number,
  end: number,
  stepMs: number,
): SeriesBucket[] {
  const buckets: { from: number; to: number; hours: HourCounters[] }[] = [];
  for (let from = start; from < end; ) {
    const to = Math.min(end, (Math.floor(from / stepMs) + 1) * stepMs);
    buckets.push({ from, to, hours: [] });
    from = to;
  }
  const first = buckets[0];
  for (const hour of hours) {
    const at = hourStart(hour.hour);
    if (!first || at < start || at >= end) continue;
    // The bucket the hour falls in, found by arithmetic: every bucket but the first starts on a step.
    const index = Math.floor(at / stepMs) - Math.floor(start / stepMs);
    buckets[index]?.hours.push(hour);
  }
  return buckets.map((b) => ({
    from: b.from,
    to: b.to,
    metrics: windowMetrics(sumCounters(b.hours), b.to - b.from),
  }));
}

export interface StatsReport {
  readonly service: string | null;
  readonly windowMs: number;
  readonly overall: WindowMetrics;
  readonly byPriority: Readonly<Record<Priority, WindowMetrics>>;
  /** With a step: the same hours cut into buckets (no further read). */
  readonly series?: readonly SeriesBucket[];
}

/** `/tms stats [service] [window]`: one query over the window's hourly items, cut by `stepMs` if given. */
export async function statsReport(
  deps: Pick<ReportDeps, 'aggregates'>,
  service: string | null,
  windowMs: number,
  now: Date,
  stepMs?: number,
): Promise<StatsReport> {
  const { hours, start, covered } = await windowHours(
    deps.aggregates,
    service ? scopes.service(service) : scopes.all,
    now.getTime() - windowMs,
    now.getTime(),
  );
  const total = sumCounters(hours);
  return {
    service,
    windowMs,
    overall: windowMetrics(total, covered),
    byPriority: Object.fromEntries(PRIORITIES.map((p) => [p, windowMetrics(total, covered, p)])) as Record<
      Priority,
      WindowMetrics
    >,
    ...(stepMs ? { series: metricSeries(hours, start, now.getTime(), stepMs) } : {}),
  };
}

/** One subject read on demand by `/tms trends`: a service, or a fingerprint with the task it fires on. */
export interface TrendRow {
  readonly kind: 'fingerprint' | 'service';
  readonly service: string;
  readonly taskId: string | null;
  readonly title: string;
  readonly reading: TrendReading;
}

export interface TrendsReport {
  readonly rule: TrendRule;
  /** Episodes going on now (the ones posted to channels). */
  readonly ongoing: readonly TrendEpisode[];
  /** The busiest subjects of the window, read with the rule now, trending or not. */
  readonly busiest: readonly TrendRow[];
}

/** How many subjects `/tms trends` reads on demand: the busiest of the window. */
const BUSIEST = 5;

/**
 * `/tms trends [service] [window]`: the ongoing episodes, and the rule read now over the window asked for,
 * for the busiest subjects: a service's busiest fingerprints, or (no service) the busiest services. The
 * reads are the window's hourly items, the episodes, and one query per subject read: bounded by the five
 * subjects, whatever the number of events.
 */
export async function trendsReport(
  deps: ReportDeps,
  service: string | null,
  windowMs: number | null,
  now: Date,
): Promise<TrendsReport> {
  const read = (scope: Scope, rule: TrendRule) => readScope(deps.aggregates, scope, now, rule);
  const rule = { ...deps.config.trends, ...(windowMs ? { window: windowMs } : {}) };
  const episodes = (await deps.aggregates.trends())
    .filter(
      (e) => isOngoing(e, now, deps.config.trends) && !e.coveredBy && (!service || e.service === service),
    )
    .sort((a, b) => b.recent - a.recent)
    .slice(0, 10);
  const { hours: recent } = await windowHours(
    deps.aggregates,
    service ? scopes.service(service) : scopes.all,
    now.getTime() - rule.window,
    now.getTime(),
  );
  const total = sumCounters(recent);
  const busiest: TrendRow[] = [];
  if (service) {
    for (const { taskId } of perTask(total, 'events').slice(0, BUSIEST)) {
      const task = await deps.store.get(taskId);
      if (!task?.fingerprint) continue;
      busiest.push({
        kind: 'fingerprint',
        service,
        taskId,
        title: task.title,
        reading: await read(scopes.fingerprint(task.fingerprint), rule),
      });
    }
  } else {
    for (const { service: name } of perService(total).slice(0, BUSIEST)) {
      busiest.push({
        kind: 'service',
        service: name,
        taskId: null,
        title: name,
        reading: await read(scopes.service(name), rule),
      });
    }
  }
  busiest.sort(
    (a, b) => Number(b.reading.trending) - Number(a.reading.trending) || b.reading.recent - a.reading.recent,
  );
  return { rule, ongoing: episodes, busiest };
}

export interface PlaybookEntry {
  readonly stats: ResolutionStats;
  readonly medianResolveMs: number | null;
}

/** `/tms playbook <service>`: its recurring issues (that happened at least twice), most frequent first. */
export async function playbook(
  deps: Pick<ReportDeps, 'aggregates'>,
  service: string,
): Promise<PlaybookEntry[]> {
  const stats = await deps.aggregates.issueStats(service);
  return stats
    .filter((s) => s.times >= 2 || s.resolved >= 2)
    .sort((a, b) => b.times - a.times || b.resolved - a.resolved)
    .slice(0, 10)
    .map((s) => ({ stats: s, medianResolveMs: resolveTimeAt(s, 0.5) }));
}

export interface Digest {
  readonly channel: string;
  readonly from: string;
  readonly to: string;
  readonly openByPriority: Readonly<Record<Priority, number>>;
  /** The most urgent open tasks: highest priority, then oldest. */
  readonly open: readonly Task[];
  readonly openCount: number;
  readonly breached: readonly Task[];
  readonly atRisk: readonly Task[];
  readonly opened: { readonly count: number; readonly taskIds: readonly string[] };
  readonly resolved: { readonly count: number; readonly taskIds: readonly string[] };
  readonly trending: readonly TrendEpisode[];
  readonly noisiest: readonly { readonly taskId: string; readonly events: number }[];
  readonly flakiest: readonly { readonly taskId: string; readonly flaps: number }[];
  readonly metrics: WindowMetrics;
}

const SHOWN = 5;

/**
 * A channel's digest for the period since `from`: open tasks by priority and the most urgent of them,
 * SLAs breached and at risk, tasks opened and resolved in the period, the trends going on, the noisiest and
 * flakiest alerts of the period, and MTTA/MTTR. Reads the open tasks, the period's hourly items of the
 * channel and the trend episodes: never the period's history.
 */
export async function digestFor(deps: ReportDeps, channel: string, from: Date, now: Date): Promise<Digest> {
  const open: Task[] = [];
  let before: number | null = null;
  do {
    const page = await deps.store.list({ statuses: UNRESOLVED, limit: 100, before });
    open.push(...page.tasks.filter((t) => reportChannels(t, deps.config).includes(channel)));
    before = page.next;
  } while (before !== null);
  const [{ hours, start, covered }, episodes] = await Promise.all([
    windowHours(deps.aggregates, scopes.channel(channel), from.getTime(), now.getTime()),
    deps.aggregates.trends(),
  ]);
  const total = sumCounters(hours);
  const ids = (set: string) => [...new Set(hours.flatMap((h) => h.sets[set] ?? []))];
  const newest = (list: string[]) => list.sort((a, b) => taskNumber(b) - taskNumber(a)).slice(0, SHOWN);
  const watched = open.filter((t) => !t.snoozedUntil || Date.parse(t.snoozedUntil) <= now.getTime());
  const clockState = (t: Task) => {
    const stage = t.acknowledgedAt ? 'resolve' : 'ack';
    return slaClock(t, stage, now).state;
  };
  const urgent = [...open].sort(
    (a, b) => a.priority.localeCompare(b.priority) || Date.parse(a.createdAt) - Date.parse(b.createdAt),
  );
  const openedIds = ids('openedIds');
  const resolvedIds = ids('resolvedIds');
  return {
    channel,
    from: new Date(start).toISOString(),
    to: now.toISOString(),
    openByPriority: Object.fromEntries(
      PRIORITIES.map((p) => [p, open.filter((t) => t.priority === p).length]),
    ) as Record<Priority, number>,
    open: urgent.slice(0, SHOWN),
    openCount: open.length,
    breached: watched.filter((t) => clockState(t) === 'breached').slice(0, SHOWN),
    atRisk: watched.filter((t) => clockState(t) === 'at_risk').slice(0, SHOWN),
    opened: { count: total.opened ?? 0, taskIds: newest(openedIds) },
    resolved: { count: total.resolved ?? 0, taskIds: newest(resolvedIds) },
    trending: episodes
      .filter((e) => {
        const team = deps.config.services[e.service]?.team ?? null;
        const where = reportChannels({ channel: e.channel, team }, deps.config);
        return isOngoing(e, now, deps.config.trends) && !e.coveredBy && where.includes(channel);
      })
      .sort((a, b) => b.recent - a.recent)
      .slice(0, SHOWN),
    noisiest: perTask(total, 'events')
      .filter((t) => t.count > 1)
      .slice(0, 3)
      .map((t) => ({ taskId: t.taskId, events: t.count })),
    flakiest: perTask(total, 'flaps')
      .slice(0, 3)
      .map((t) => ({ taskId: t.taskId, flaps: t.count })),
    metrics: windowMetrics(total, covered),
  };
}

/** Tasks a report names, with their titles and the links to their cards. */
export interface TaskIndex {
  readonly tasks: ReadonlyMap<string, Task>;
  readonly links: ReadonlyMap<string, string>;
}

/** The tasks a report names (those not already at hand read once each) and their cards' links. */
export async function taskIndex(
  deps: {
    readonly store: { get(id: string): Promise<Task | undefined> };
    readonly cards: { card(id: string): Promise<{ readonly permalink?: string } | undefined> };
  },
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
