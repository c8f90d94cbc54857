import { createHash } from 'node:crypto';
import * as z from 'zod';
import { LIMITS } from './bounds.js';
import { fail, ok, type Result } from './result.js';
import { checkCron, type Every, isTimeZone, nextRuns } from './schedule-time.js';
import { Priority, SLACK_USER_ID } from './task.js';
import { checkWebhookUrl } from './webhook-target.js';

/**
 * A schedule (issue 18): a chore, a reminder or a webhook that runs at a time and may recur. Pure: what a
 * schedule is, how its recurrence is written, and what a run of it comes to; the executor (src/jobs/schedules.ts)
 * does the running. Every run is kept, keyed by its schedule and the time it was due, which is what makes a run
 * happen once however often a tick is delivered.
 */

export const SCHEDULE_ID = /^SCH-[0-9a-z]{8}$/;
export const ScheduleAction = z.enum(['task', 'message', 'webhook']);
export type ScheduleAction = z.infer<typeof ScheduleAction>;
export const ScheduleStatus = z.enum(['scheduled', 'running', 'completed', 'failed']);
export type ScheduleStatus = z.infer<typeof ScheduleStatus>;
export const RunStatus = z.enum(['running', 'completed', 'failed']);
export type RunStatus = z.infer<typeof RunStatus>;

/** The keywords of `every`; anything else is a five-field cron pattern. */
export const EVERY_WORDS = ['day', 'week', 'month', 'weekday'] as const;

/** `every` as the store and the API keep it: a keyword, or a cron pattern. */
export const everyOf = (text: string): Every =>
  (EVERY_WORDS as readonly string[]).includes(text) ? (text as Every) : { cron: text };

/** What `every` a person may write, read: a keyword (`daily`, `weekly`… too) or a cron pattern. */
export function readEvery(text: string): Result<string, string> {
  const word = text.trim().toLowerCase();
  const alias: Record<string, string> = Object.assign(Object.create(null), {
    daily: 'day',
    weekly: 'week',
    monthly: 'month',
    weekdays: 'weekday',
    workday: 'weekday',
    workdays: 'weekday',
  });
  const keyword = alias[word] ?? word;
  if ((EVERY_WORDS as readonly string[]).includes(keyword)) return ok(keyword);
  const cron = checkCron(text);
  if (!cron.ok)
    return fail(`"${text.slice(0, 60)}" is not day, week, month, weekday or a cron pattern: ${cron.error}`);
  return ok(cron.value);
}

export const everyText = (every: string | undefined): string =>
  every === undefined
    ? 'once'
    : (EVERY_WORDS as readonly string[]).includes(every)
      ? `every ${every}`
      : `on cron \`${every}\``;

/** The last run of a schedule, as the schedule keeps it for its list. */
export const RunSummary = z.strictObject({
  scheduledFor: z.iso.datetime(),
  status: RunStatus,
  finishedAt: z.iso.datetime().optional(),
  error: z.string().optional(),
  taskId: z.string().optional(),
});
export type RunSummary = z.infer<typeof RunSummary>;

export const Schedule = z.strictObject({
  id: z.string().regex(SCHEDULE_ID),
  title: z.string().min(1).max(LIMITS.titleLength),
  /** The first run, an instant (read in `timezone` when it was written without an offset). */
  at: z.iso.datetime(),
  every: z.string().min(1).max(100).optional(),
  timezone: z.string().min(1).max(64),
  action: ScheduleAction,
  /** `message`: where the reminder goes; `task`: where its card goes when no service is named. */
  channel: z.string().optional(),
  url: z.string().max(2_048).optional(),
  priority: Priority.optional(),
  service: z.string().optional(),
  assignee: z.string().optional(),
  status: ScheduleStatus,
  /** The run due next; null once a one-off has run. */
  nextRunAt: z.iso.datetime().nullable(),
  lastRun: RunSummary.nullable(),
  createdBy: z.string().min(1),
  createdAt: z.iso.datetime(),
  /** Where it was made: a person in Slack, the API, or the config (which also removes it). */
  origin: z.enum(['slack', 'api', 'config']),
  version: z.number().int().positive(),
});
export type Schedule = z.infer<typeof Schedule>;

/** One run of a schedule: kept per (schedule, the time it was due), whatever ran it and however often. */
export const ScheduleRun = z.strictObject({
  scheduleId: z.string(),
  scheduledFor: z.iso.datetime(),
  status: RunStatus,
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().optional(),
  error: z.string().optional(),
  /** The task it opened: the chore's, or the one about its failure. */
  taskId: z.string().optional(),
  /** Webhook calls made. */
  attempts: z.number().int().nonnegative().optional(),
  /** Due while TMS was not running: it ran once, late, and this many later occurrences were skipped. */
  late: z.boolean().optional(),
  skipped: z.number().int().nonnegative().optional(),
  /** How many sweepers began it (more than one: one before stopped mid-run, and its lease ran out). */
  begun: z.number().int().positive().optional(),
});
export type ScheduleRun = z.infer<typeof ScheduleRun>;

/** A run is late when it starts this long after it was due: TMS was down, or the sweeper was. */
export const LATE_AFTER_MS = 5 * 60_000;
/** How many missed occurrences a late run counts (a schedule every minute, down for a month, stops counting). */
const SKIPPED_COUNTED = 1_000;

/** What a run due at `scheduledFor` and started at `now` is: late or not, and what comes after it. */
export function planRun(
  schedule: Pick<Schedule, 'at' | 'every' | 'timezone'>,
  scheduledFor: Date,
  now: Date,
): { late: boolean; skipped: number; next: Date | null } {
  const every = schedule.every === undefined ? undefined : everyOf(schedule.every);
  const first = new Date(schedule.at);
  // Missed occurrences between the run that is due and now are not run one by one: the run that is due runs
  // once, and the schedule goes on from the first occurrence after now.
  const after = now > scheduledFor ? now : scheduledFor;
  const [next] = nextRuns(first, every, schedule.timezone, after, 1);
  // On time, the occurrence after the due one lies ahead: one step. Late, one walk of the recurrence from the
  // due run counts what was passed over (at most SKIPPED_COUNTED: the walk is bounded, whatever the pattern).
  const [following] = nextRuns(first, every, schedule.timezone, scheduledFor, 1);
  const passed =
    following && following <= now
      ? nextRuns(first, every, schedule.timezone, scheduledFor, SKIPPED_COUNTED)
      : [];
  const skipped = passed.filter((at) => at <= now).length;
  return { late: now.getTime() - scheduledFor.getTime() > LATE_AFTER_MS, skipped, next: next ?? null };
}

/** The schedule's state from its last run and what is next: what `GET /api/schedules?status=` filters on. */
export function statusAfter(run: RunStatus, next: Date | null): ScheduleStatus {
  if (next) return 'scheduled';
  return run === 'running' ? 'running' : run;
}

/** The deterministic id of a schedule the config names, so each sweep recognises it (an edit makes a new one). */
export const configScheduleId = (entry: unknown): string =>
  `SCH-${createHash('sha256').update(JSON.stringify(entry)).digest('hex').slice(0, 8)}`;

/** What a person asked for, read and checked: a schedule but for the fields the store fills in. */
export interface ScheduleRequest {
  readonly title: string;
  readonly at: Date;
  readonly every?: string;
  readonly timezone: string;
  readonly action: ScheduleAction;
  readonly channel?: string;
  readonly url?: string;
  readonly priority?: Priority;
  readonly service?: string;
  readonly assignee?: string;
}

/** Checks what every way of making a schedule shares (Slack, the API, the config). */
export function checkSchedule(
  request: ScheduleRequest,
  services: readonly string[],
): Result<ScheduleRequest, string> {
  const title = request.title.trim();
  if (!title) return fail('a schedule needs a title');
  if (title.length > LIMITS.titleLength) return fail(`a title has at most ${LIMITS.titleLength} characters`);
  if (!isTimeZone(request.timezone))
    return fail(`"${request.timezone.slice(0, 64)}" is not a time zone such as Europe/Berlin`);
  if (Number.isNaN(request.at.getTime())) return fail('the first run is not a date');
  if (request.service !== undefined && !services.includes(request.service))
    return fail(`"${request.service.slice(0, 64)}" is not a configured service`);
  if (request.assignee !== undefined && !SLACK_USER_ID.test(request.assignee))
    return fail('the assignee is a Slack user id such as U0123ABCD');
  if (request.action === 'message' && !request.channel)
    return fail('a reminder names the channel it goes to');
  if (request.action === 'webhook' && !request.url) return fail('a webhook schedule names its URL');
  if (request.url !== undefined) {
    const url = checkWebhookUrl(request.url);
    if (!url.ok) return fail(url.error);
  }
  if (request.action !== 'webhook' && request.url) return fail('a URL goes with action webhook');
  if (request.channel !== undefined && !/^[CGD][A-Z0-9]{2,}$/.test(request.channel))
    return fail('the channel is a Slack channel id such as C0123ABCD (pick it from Slack’s list)');
  if (request.every !== undefined) {
    const every = readEvery(request.every);
    if (!every.ok) return fail(every.error);
    return ok({ ...request, title, every: every.value });
  }
  return ok({ ...request, title });
}

/** A new schedule's id from a random token (`deps.newId()`): `SCH-` and eight base-36 characters. */
export function scheduleIdFrom(token: string): string {
  const digits = token.replace(/[^0-9a-z]/gi, '').toLowerCase();
  return `SCH-${digits.padEnd(8, '0').slice(0, 8)}`;
}

/** A checked request made a schedule: due first at `at`, no run yet. */
export function newSchedule(
  request: ScheduleRequest,
  made: {
    readonly id: string;
    readonly createdBy: string;
    readonly createdAt: Date;
    readonly origin: Schedule['origin'];
  },
): Schedule {
  return {
    id: made.id,
    title: request.title,
    at: request.at.toISOString(),
    ...(request.every !== undefined ? { every: request.every } : {}),
    timezone: request.timezone,
    action: request.action,
    ...(request.channel !== undefined ? { channel: request.channel } : {}),
    ...(request.url !== undefined ? { url: request.url } : {}),
    ...(request.priority !== undefined ? { priority: request.priority } : {}),
    ...(request.service !== undefined ? { service: request.service } : {}),
    ...(request.assignee !== undefined ? { assignee: request.assignee } : {}),
    status: 'scheduled',
    nextRunAt: request.at.toISOString(),
    lastRun: null,
    createdBy: made.createdBy,
    createdAt: made.createdAt.toISOString(),
    origin: made.origin,
    version: 1,
  };
}

/** The next `count` runs of a schedule after `now`, for "how it was read" and the lists. */
export const upcomingRuns = (
  schedule: Pick<Schedule, 'at' | 'every' | 'timezone'>,
  now: Date,
  count: number,
): Date[] =>
  nextRuns(
    new Date(schedule.at),
    schedule.every === undefined ? undefined : everyOf(schedule.every),
    schedule.timezone,
    new Date(now.getTime() - 1),
    count,
  );

/**
 * A schedule as someone other than its maker or an admin sees it: a webhook's URL down to its origin, since its
 * path and query are where people put tokens (Slack's own webhooks are nothing but a path of secrets).
 */
export function shownTo(
  schedule: Schedule,
  viewer: { readonly user: string; readonly role: string },
): Schedule {
  if (schedule.url === undefined || viewer.role === 'admin' || viewer.user === schedule.createdBy)
    return schedule;
  let origin: string;
  try {
    origin = new URL(schedule.url).origin;
  } catch {
    origin = 'https://…';
  }
  return { ...schedule, url: `${origin}/…` };
}
