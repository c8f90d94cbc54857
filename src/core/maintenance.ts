import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { Alert, Route } from './alert.js';
import { cut, LIMITS, utf8Bytes } from './bounds.js';
import type { WindowConfig } from './config.js';
import { DomainError } from './errors.js';
import { fail, ok, type Result } from './result.js';
import { everyOf, readEvery } from './schedule.js';
import { fromWallTime, nextRuns, parseWhen, readIsoIn, wallTime } from './schedule-time.js';
import { Matcher, readMatchers, silences } from './silence.js';
import { parseDuration } from './time.js';

/**
 * A maintenance window (issue 18): a silence that starts and ends by itself, and may recur. While an occurrence
 * is in force a matching alert opens no task and posts nothing; it is held (counted, and kept with whether it
 * still fires), and one still firing when the occurrence ends opens its task then. Pure: what a window is, when
 * it is in force, and how `/tms maintenance` is read; the store keeps them, the sweep (src/jobs/maintenance.ts)
 * releases what they held.
 *
 * An occurrence lasts as long on the wall clock as the first one did: "every Sunday 01:00–05:00" is 01:00–05:00
 * local time on the Sunday the clocks change too (three or five hours of elapsed time).
 */

export const WINDOW_ID = /^MW-[0-9a-z]{6,8}$/;
/** The longest one occurrence may last: a window forgotten open should not hide an incident for a month. */
export const MAX_WINDOW_MS = 7 * 86_400_000;
export const MIN_WINDOW_MS = 60_000;

export const MaintenanceWindow = z.strictObject({
  id: z.string().regex(WINDOW_ID),
  matchers: z.array(Matcher).min(1).max(10),
  /** The first occurrence: its start and end instants (read in `timezone` when written without an offset). */
  from: z.iso.datetime(),
  to: z.iso.datetime(),
  every: z.string().min(1).max(100).optional(),
  timezone: z.string().min(1).max(64),
  reason: z.string().max(500),
  origin: z.enum(['slack', 'config']),
  createdBy: z.string().min(1),
  createdAt: z.iso.datetime(),
  liftedAt: z.iso.datetime().optional(),
  liftedBy: z.string().optional(),
  /** Alerts held back, over all its occurrences. */
  held: z.number().int().nonnegative(),
  lastHeldAt: z.iso.datetime().optional(),
  /** The end of the latest occurrence whose held alerts were released (the sweep's mark). */
  releasedThrough: z.iso.datetime().optional(),
});
export type MaintenanceWindow = z.infer<typeof MaintenanceWindow>;

/** One occurrence of a window: the instants it starts and ends. */
export interface Occurrence {
  readonly start: Date;
  readonly end: Date;
}

type Timing = Pick<MaintenanceWindow, 'from' | 'to' | 'every' | 'timezone'> & { readonly liftedAt?: string };

const naive = (w: { year: number; month: number; day: number; hour: number; minute: number }) =>
  Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
const wallOf = (ms: number) => {
  const d = new Date(ms);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
  };
};

/** How long the first occurrence lasts on the wall clock of its zone (ms of naive wall time). */
const wallLength = (w: Timing): number =>
  naive(wallTime(new Date(w.to), w.timezone)) - naive(wallTime(new Date(w.from), w.timezone));

/** The occurrence that starts at `start`: its end is as far on the wall clock as the first one's. */
function occurrenceFrom(w: Timing, start: Date): Occurrence {
  if (!w.every || start.getTime() === Date.parse(w.from)) return { start, end: new Date(w.to) };
  const at = wallTime(start, w.timezone);
  const first = wallTime(new Date(w.from), w.timezone);
  // A keyword recurrence keeps the first start's time of day: a start the clocks skipped (02:30 on the day they
  // go forward runs at 03:30) still ends when the nominal one would have.
  const nominal =
    typeof everyOf(w.every) === 'object' ? at : { ...at, hour: first.hour, minute: first.minute };
  const end = fromWallTime(wallOf(naive(nominal) + wallLength(w)), w.timezone);
  // Should that end be no later than the start (a start pushed past it by a skipped hour), it lasts as long as
  // the first occurrence did.
  return {
    start,
    end: end > start ? end : new Date(start.getTime() + Date.parse(w.to) - Date.parse(w.from)),
  };
}

/** Occurrence starts after `after`, soonest first: a one-off's only, or its recurrence's. */
function startsAfter(w: Timing, after: Date, count: number): Date[] {
  return nextRuns(
    new Date(w.from),
    w.every === undefined ? undefined : everyOf(w.every),
    w.timezone,
    after,
    count,
  );
}

/** Every occurrence that overlaps [since, until], soonest first (at most `limit`), ignoring a lift. */
function occurrencesAround(w: Timing, since: Date, until: Date, limit: number): Occurrence[] {
  // An occurrence that started up to its length (plus a DST hour) before `since` may still be in force.
  const reach = Math.max(0, Date.parse(w.to) - Date.parse(w.from)) + 3 * 3_600_000;
  let cursor = new Date(Math.min(since.getTime(), Date.parse(w.from)) - 1);
  if (since.getTime() - reach > cursor.getTime()) cursor = new Date(since.getTime() - reach);
  const found: Occurrence[] = [];
  for (let rounds = 0; rounds < 50 && found.length < limit; rounds++) {
    const starts = startsAfter(w, cursor, 16);
    for (const start of starts) {
      if (start > until) return found;
      const occurrence = occurrenceFrom(w, start);
      if (occurrence.end > since) found.push(occurrence);
      if (found.length >= limit) return found;
    }
    if (starts.length < 16) return found;
    cursor = starts[starts.length - 1] as Date;
  }
  return found;
}

/** A lift ends the occurrence it falls in then, and every later one never starts. */
function lifted(w: Timing, occurrence: Occurrence): Occurrence | undefined {
  if (!w.liftedAt) return occurrence;
  const at = new Date(w.liftedAt);
  if (at <= occurrence.start) return undefined;
  return at < occurrence.end ? { start: occurrence.start, end: at } : occurrence;
}

/** The occurrence in force at `now` (start ≤ now < end), if any. */
export function occurrenceAt(w: Timing, now: Date): Occurrence | undefined {
  const [occurrence] = occurrencesAround(w, now, now, 1).filter((o) => o.start <= now && now < o.end);
  const inForce = occurrence && lifted(w, occurrence);
  return inForce && now < inForce.end ? inForce : undefined;
}

/** The occurrences that ended in (since, now], soonest first, their ends cut by a lift: what a sweep releases. */
export function endedOccurrences(w: Timing, since: Date, now: Date, limit = 10): Occurrence[] {
  return occurrencesAround(w, since, now, limit * 2)
    .map((o) => lifted(w, o))
    .filter((o): o is Occurrence => o !== undefined && o.end > since && o.end <= now)
    .slice(0, limit);
}

/**
 * The occurrence a resolve is about: the one in force, else the latest that ended within `withinMs` (its held
 * alerts may not be released yet: a resolve then means none of them should open).
 */
export function recentOccurrence(w: Timing, now: Date, withinMs: number): Occurrence | undefined {
  return occurrenceAt(w, now) ?? endedOccurrences(w, new Date(now.getTime() - withinMs), now, 100).at(-1);
}

/** The next `count` occurrences that end after `now` (the one in force first, if any). */
export function nextOccurrences(w: Timing, now: Date, count: number): Occurrence[] {
  if (w.liftedAt && Date.parse(w.liftedAt) <= now.getTime()) return [];
  const found: Occurrence[] = [];
  const inForce = occurrenceAt(w, now);
  if (inForce) found.push(inForce);
  for (const start of startsAfter(w, now, count)) {
    if (found.length >= count) break;
    if (inForce && start.getTime() === inForce.start.getTime()) continue;
    found.push(occurrenceFrom(w, start));
  }
  return found;
}

/** Does the window hold this alert back (whether it is in force aside)? Every matcher must match, as a silence's. */
export const windowMatches = (w: Pick<MaintenanceWindow, 'matchers'>, alert: Alert, where: Route): boolean =>
  silences({ matchers: w.matchers } as Parameters<typeof silences>[0], alert, where);

/** A window's id from a random token: `MW-` and six base-36 characters. */
export function windowIdFrom(token: string): string {
  const digits = token.replace(/[^0-9a-z]/gi, '').toLowerCase();
  return `MW-${digits.padEnd(6, '0').slice(0, 6)}`;
}

/** The deterministic id of a window the config names, so each sweep recognises it (an edit makes a new one). */
export const configWindowId = (entry: unknown): string =>
  `MW-${createHash('sha256').update(JSON.stringify(entry)).digest('hex').slice(0, 8)}`;

/** What a person or the config asked for, read and checked: a window but for what the store fills in. */
export interface WindowRequest {
  readonly matchers: Matcher[];
  readonly from: Date;
  readonly to: Date;
  readonly every?: string;
  readonly timezone: string;
  readonly reason: string;
}

/** Checks what both ways of making a window share: its length, and that occurrences do not overlap. */
export function checkWindow(request: WindowRequest): Result<WindowRequest, string> {
  const length = request.to.getTime() - request.from.getTime();
  if (!(length >= MIN_WINDOW_MS)) return fail('a window ends at least a minute after it starts');
  if (length > MAX_WINDOW_MS) return fail('one occurrence of a window lasts at most 7 days');
  if (request.every !== undefined) {
    const timing = {
      from: request.from.toISOString(),
      to: request.to.toISOString(),
      every: request.every,
      timezone: request.timezone,
    };
    const starts = [request.from, ...startsAfter(timing, request.from, 12)];
    for (let i = 1; i < starts.length; i++) {
      const before = occurrenceFrom(timing, starts[i - 1] as Date);
      if ((starts[i] as Date) < before.end)
        return fail('a recurring window ends before its next occurrence starts');
    }
  }
  return ok(request);
}

const WEEKDAY_WORDS: Record<string, number> = Object.assign(Object.create(null), {
  sun: 0,
  sunday: 0,
  sundays: 0,
  mon: 1,
  monday: 1,
  mondays: 1,
  tue: 2,
  tuesday: 2,
  tuesdays: 2,
  wed: 3,
  wednesday: 3,
  wednesdays: 3,
  thu: 4,
  thursday: 4,
  thursdays: 4,
  fri: 5,
  friday: 5,
  fridays: 5,
  sat: 6,
  saturday: 6,
  saturdays: 6,
});
const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const KEYWORDS = new Set(['from', 'to', 'until', 'for', 'every']);
const OFFSET = /^\+([0-9]{1,4}(?:s|m|h|d|w))$/;

/** The matchers of a window's words, as a silence reads them; a window names at least one. */
function windowMatchers(words: readonly string[], services: readonly string[]): Result<Matcher[], string> {
  if (words.length === 0)
    return fail('say what the window holds back: a service, or key=value such as alertname=DiskFull');
  return readMatchers(words, services, 'window');
}

/** The longest run of at most 3 words from `at` (stopping at a keyword) that `read` accepts, and its length. */
function greedy<T>(
  words: readonly string[],
  at: number,
  read: (text: string) => Result<T, string>,
): { value: T; used: number } | { error: string } {
  let end = at;
  while (end < words.length && end - at < 3 && !KEYWORDS.has((words[end] as string).toLowerCase())) end++;
  let error = 'say when';
  for (let used = end - at; used >= 1; used--) {
    const read1 = read(words.slice(at, at + used).join(' '));
    if (read1.ok) return { value: read1.value, used };
    if (used === end - at) error = read1.error;
  }
  return { error };
}

/**
 * `/tms maintenance <service or key=value …> from <time> to <time>|for <duration> [every <day|week|month|weekday|
 * <weekday>|<cron>>] [reason]`, read in the person's `timeZone` at `now`. `from now` starts it at once; `to` is
 * read from the start ("from sun 02:00 to 04:00" ends that Sunday), and may be `+2h`; `every sunday` is a weekly
 * window that must start on a Sunday.
 */
export function parseMaintenance(
  words: readonly string[],
  services: readonly string[],
  now: Date,
  timeZone: string,
): Result<WindowRequest, DomainError> {
  const invalid = (message: string) => fail(new DomainError('INVALID_INPUT', message));
  const lower = words.map((w) => w.toLowerCase());
  const fromAt = lower.indexOf('from');
  if (fromAt < 0) return invalid('Say when the window starts: from <time> to <time>');
  const matchers = windowMatchers(words.slice(0, fromAt), services);
  if (!matchers.ok) return invalid(capital(matchers.error));
  let i = fromAt + 1;
  let from: Date;
  if (lower[i] === 'now') {
    from = now;
    i++;
  } else {
    const read = greedy(words, i, (text) => parseWhen(text, now, timeZone));
    if ('error' in read) return invalid(`The start: ${read.error}`);
    from = read.value;
    i += read.used;
  }
  let to: Date;
  const endWord = lower[i];
  if (endWord === 'for') {
    const ms = parseDuration(lower[i + 1] ?? '');
    if (ms === undefined) return invalid('Say for how long after "for", such as 2h or 90m');
    to = new Date(from.getTime() + ms);
    i += 2;
  } else if (endWord === 'to' || endWord === 'until') {
    const offset = OFFSET.exec(lower[i + 1] ?? '');
    if (offset) {
      to = new Date(from.getTime() + (parseDuration(offset[1] as string) as number));
      i += 2;
    } else {
      const read = greedy(words, i + 1, (text) => parseWhen(text, from, timeZone));
      if ('error' in read) return invalid(`The end: ${read.error}`);
      to = read.value;
      i += 1 + read.used;
    }
  } else return invalid('Say when the window ends: to <time>, to +2h or for 2h');
  let every: string | undefined;
  if (lower[i] === 'every') {
    const word = lower[i + 1] ?? '';
    const weekday = WEEKDAY_WORDS[word];
    if (weekday !== undefined) {
      if (wallTime(from, timeZone).weekday !== weekday)
        return invalid(
          `"every ${word}" needs a start on a ${DAY_NAMES[weekday]}, such as from ${word} 02:00`,
        );
      every = 'week';
      i += 2;
    } else {
      const keyword = readEvery(word);
      if (keyword.ok && !keyword.value.includes(' ')) {
        every = keyword.value;
        i += 2;
      } else {
        const cron = readEvery(words.slice(i + 1, i + 6).join(' '));
        if (!cron.ok) return invalid(capital(cron.error));
        every = cron.value;
        i += 6;
      }
    }
  }
  const request: WindowRequest = {
    matchers: matchers.value,
    from,
    to,
    ...(every !== undefined ? { every } : {}),
    timezone: timeZone,
    reason: cut(words.slice(i).join(' '), 500),
  };
  const checked = checkWindow(request);
  return checked.ok ? ok(checked.value) : invalid(capital(checked.error));
}

/** A config `maintenance:` entry read as a request (config.ts has checked its times and recurrence already). */
export function windowOfEntry(entry: WindowConfig): Result<WindowRequest, string> {
  const from = readIsoIn(entry.from, entry.timezone);
  const to = readIsoIn(entry.to, entry.timezone);
  if (!from.ok) return fail(from.error);
  if (!to.ok) return fail(to.error);
  const every = entry.every === undefined ? undefined : readEvery(entry.every);
  if (every && !every.ok) return fail(every.error);
  const matchers: Matcher[] = [
    ...(entry.service ? [{ key: 'service', value: entry.service }] : []),
    ...Object.entries(entry.matchers ?? {}).map(([key, value]) => ({ key, value })),
  ];
  if (matchers.length === 0 || matchers.length > 10) return fail('a window names 1 to 10 matchers');
  return checkWindow({
    matchers,
    from: from.value,
    to: to.value,
    ...(every ? { every: every.value } : {}),
    timezone: entry.timezone,
    reason: entry.reason ?? '',
  });
}

/** A checked request made a window. */
export function newWindow(
  request: WindowRequest,
  made: {
    readonly id: string;
    readonly createdBy: string;
    readonly createdAt: Date;
    readonly origin: MaintenanceWindow['origin'];
  },
): MaintenanceWindow {
  return {
    id: made.id,
    matchers: request.matchers,
    from: request.from.toISOString(),
    to: request.to.toISOString(),
    ...(request.every !== undefined ? { every: request.every } : {}),
    timezone: request.timezone,
    reason: request.reason,
    origin: made.origin,
    createdBy: made.createdBy,
    createdAt: made.createdAt.toISOString(),
    held: 0,
  };
}

/** The instant after which a window holds nothing any more (its last occurrence's end), or null when it recurs. */
export function lastEnd(w: MaintenanceWindow): Date | null {
  if (w.liftedAt) return new Date(Math.min(Date.parse(w.liftedAt), w.every ? Infinity : Date.parse(w.to)));
  return w.every ? null : new Date(w.to);
}

/** The most a held alert keeps of its alert, in UTF-8 bytes of JSON: far below an item's 400 KB. */
export const HELD_ALERT_BYTES = 100 * 1024;

/**
 * The alert as a held item keeps it: whole when it fits `HELD_ALERT_BYTES` (alerts are bounded already, near
 * 100 KB at their largest), else without its group's members, then with its labels and description cut.
 */
export function heldAlertOf(alert: Alert): Alert {
  if (utf8Bytes(JSON.stringify(alert)) <= HELD_ALERT_BYTES) return alert;
  const lean: Alert = {
    ...alert,
    description: cut(alert.description, 1_000),
    links: alert.links.slice(0, 5),
    ...(alert.group ? { group: { ...alert.group, alerts: [] } } : {}),
  };
  if (utf8Bytes(JSON.stringify(lean)) <= HELD_ALERT_BYTES) return lean;
  const labels: Record<string, string> = Object.create(null);
  let bytes = 0;
  for (const key of Object.keys(alert.labels).sort()) {
    const value = alert.labels[key] as string;
    bytes += utf8Bytes(key) + utf8Bytes(value) + LIMITS.labelOverheadBytes;
    if (bytes > HELD_ALERT_BYTES / 2) break;
    labels[key] = value;
  }
  return {
    ...lean,
    labels,
    ...(lean.group ? { group: { ...lean.group, commonLabels: {} } } : {}),
  };
}

/** The alert a held one opens its task with, when its occurrence ended and it still fired. */
export function releasedAlert(
  held: { readonly alert: Alert; readonly count: number; readonly firstHeldAt: string },
  w: Pick<MaintenanceWindow, 'id' | 'reason'>,
  occurrence: Occurrence,
): Alert {
  const times = held.count === 1 ? 'once' : `${held.count} times`;
  const note =
    `Held back by maintenance window ${w.id}${w.reason ? ` (${cut(w.reason, 100)})` : ''} from ` +
    `${occurrence.start.toISOString()} to ${occurrence.end.toISOString()}: it fired ${times} during it, first at ` +
    `${held.firstHeldAt}, and was still firing when the window ended.`;
  const end = occurrence.end.toISOString();
  return {
    ...held.alert,
    // Its clocks start when the window let it through, not while the work was planned.
    occurredAt: end,
    receivedAt: end,
    description: cut([note, held.alert.description].filter(Boolean).join('\n'), LIMITS.descriptionLength),
    labels: Object.assign(Object.create(null), held.alert.labels, { maintenance: w.id }),
  };
}

const capital = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
