import { Cron } from 'croner';
import { fail, ok, type Result } from './result.js';
import { parseDuration } from './time.js';

/**
 * When a schedule runs, read as people write it and computed in their time zone (issue 18).
 *
 * Pure: `now` and the zone are arguments. Wall-clock times become instants through the zone's offset at that
 * moment, so a 09:00 chore stays at 09:00 across a daylight-saving change; a time that does not exist on the
 * day the clocks go forward runs after the gap (a first run or a monthly one at 02:30 keeps its minutes, 03:30;
 * a daily, weekly or cron one, computed by croner, runs at 03:00), and one that happens twice runs once.
 * Every pattern here is anchored and without nested repetition: linear in the text, whoever typed it.
 */

export type Every = 'day' | 'week' | 'month' | 'weekday' | { readonly cron: string };

export interface WallTime {
  readonly year: number;
  readonly month: number; // 1-12
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly weekday: number; // 0 = Sunday
}

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const DEFAULT_HOUR = 9;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether the runtime knows the zone (`Europe/Berlin`, `UTC`); Slack's `tz` is an IANA name. */
export function isTimeZone(timeZone: string): boolean {
  if (timeZone.length > 64) return false;
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The wall clock in `timeZone` at `at`. */
export function wallTime(at: Date, timeZone: string): WallTime {
  const parts: Record<string, string> = Object.create(null);
  for (const part of formatter(timeZone).formatToParts(at)) parts[part.type] = part.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    weekday: WEEKDAYS.indexOf((parts.weekday ?? '').toLowerCase().slice(0, 3) as (typeof WEEKDAYS)[number]),
  };
}

function offsetMs(at: number, timeZone: string): number {
  const w = wallTime(new Date(at), timeZone);
  const seconds = new Date(at).getUTCSeconds();
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, seconds) - Math.floor(at / 1000) * 1000;
}

/** The instant a wall-clock time in `timeZone` names (see the module's note for the gap and the overlap). */
export function fromWallTime(
  wall: Pick<WallTime, 'year' | 'month' | 'day' | 'hour' | 'minute'>,
  timeZone: string,
): Date {
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute);
  const first = asUtc - offsetMs(asUtc, timeZone);
  const second = asUtc - offsetMs(first, timeZone);
  return new Date(second);
}

const daysIn = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();

/** The cron pattern a recurrence keeps, from the wall clock of its first run; `month` is not one (see nextRuns). */
export function cronOf(every: Every, first: WallTime): string | undefined {
  if (typeof every === 'object') return every.cron;
  const at = `${first.minute} ${first.hour}`;
  if (every === 'day') return `${at} * * *`;
  if (every === 'week') return `${at} * * ${first.weekday}`;
  if (every === 'weekday') return `${at} * * 1-5`;
  return undefined;
}

/** Whether croner reads `pattern` as a five-field cron (no seconds: a schedule runs on the minute). */
export function checkCron(pattern: string): Result<string, string> {
  const text = pattern.trim().replace(/\s+/g, ' ');
  if (text.length > 100 || text.split(' ').length !== 5) {
    return fail('a cron pattern has five fields: minute hour day-of-month month day-of-week');
  }
  let cron: Cron;
  try {
    cron = new Cron(text, { paused: true });
  } catch (error) {
    return fail(`not a cron pattern: ${(error as Error).message}`);
  }
  // `0 0 30 2 *` (30 February) is a pattern croner reads and a time that never comes.
  const next = cron.nextRun(new Date(Date.UTC(2026, 0, 1)));
  if (!next || next.getTime() > Date.UTC(2031, 0, 1)) return fail(`\`${text}\` names no time that comes`);
  return ok(text);
}

/**
 * The next `count` runs strictly after `after`, of a schedule first due at `first` that recurs `every`, in
 * `timeZone`. Monthly runs keep the first run's day and take the month's last day where it has fewer
 * (a chore of the 31st runs on 28 or 29 February, then on 31 March): cron's day-of-month would skip those months.
 */
export function nextRuns(
  first: Date,
  every: Every | undefined,
  timeZone: string,
  after: Date,
  count: number,
): Date[] {
  if (!every) return first > after && count > 0 ? [first] : [];
  const runs: Date[] = [];
  if (first > after) runs.push(first);
  const wall = wallTime(first, timeZone);
  if (every === 'month') {
    for (let k = 1; runs.length < count && k < 12 * 1000; k++) {
      const months = wall.month - 1 + k;
      const year = wall.year + Math.floor(months / 12);
      const month = (months % 12) + 1;
      const at = fromWallTime(
        { ...wall, year, month, day: Math.min(wall.day, daysIn(year, month)) },
        timeZone,
      );
      if (at > after) runs.push(at);
    }
    return runs.slice(0, count);
  }
  const pattern = cronOf(every, wall) as string;
  const cron = new Cron(pattern, { timezone: timeZone, paused: true });
  let from = first > after ? first : after;
  while (runs.length < count) {
    const next = cron.nextRun(from);
    if (!next) break;
    if (next > after && (runs.length === 0 || next > (runs[runs.length - 1] as Date))) runs.push(next);
    from = next;
  }
  return runs;
}

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;
const IN = /^in ([0-9]{1,6}) ?(s|m|h|d|w|sec|secs|min|mins|minutes?|hours?|hrs?|days?|weeks?)$/;
const DAY_THEN_TIME =
  /^(?:(today|tomorrow|[a-z]{3,9})(?: at)?)?(?: ?([0-9]{1,2})(?::([0-9]{2}))? ?(am|pm)?)?$/;
const UNIT: Record<string, string> = Object.assign(Object.create(null), {
  sec: 's',
  secs: 's',
  min: 'm',
  mins: 'm',
  minute: 'm',
  minutes: 'm',
  hr: 'h',
  hrs: 'h',
  hour: 'h',
  hours: 'h',
  day: 'd',
  days: 'd',
  week: 'w',
  weeks: 'w',
});
const WEEKDAY_NAMES: Record<string, number> = Object.assign(Object.create(null), {
  sun: 0,
  sunday: 0,
  mon: 1,
  monday: 1,
  tue: 2,
  tues: 2,
  tuesday: 2,
  wed: 3,
  wednesday: 3,
  thu: 4,
  thur: 4,
  thurs: 4,
  thursday: 4,
  fri: 5,
  friday: 5,
  sat: 6,
  saturday: 6,
});

/** How far ahead a first run may lie: what people plan, and well inside what a date and an ISO key can hold. */
export const HORIZON_MS = 10 * 366 * 86_400_000;

const WHEN_HELP =
  'say when as 2026-12-24T09:00 (in your time zone, or with Z or +01:00), "tomorrow 09:00", "mon 9am", "17:30" or "in 2h"';

/**
 * The instant `text` names, read in `timeZone` at `now`: an ISO date or date-time (with or without an offset),
 * `in <n><unit>`, or `[today|tomorrow|<weekday>] [<h>[:mm][am|pm]]`. A day without a time means 09:00; a time
 * without a day means its next occurrence. The instant must lie after `now`.
 */
export function parseWhen(input: string, now: Date, timeZone: string): Result<Date, string> {
  const text = input.trim().toLowerCase().replace(/\s+/g, ' ');
  if (text.length === 0 || text.length > 40) return fail(WHEN_HELP);
  const at = readWhen(text, now, timeZone);
  if (!at) return fail(`"${input.trim().slice(0, 40)}" is not a time TMS reads: ${WHEN_HELP}`);
  if (Number.isNaN(at.getTime())) return fail(`"${input.trim().slice(0, 40)}" is not a date`);
  if (at <= now) return fail(`${at.toISOString()} has passed: a schedule's first run lies ahead`);
  if (at.getTime() - now.getTime() > HORIZON_MS)
    return fail(
      `${input.trim().slice(0, 40)} is more than ten years ahead: a schedule's first run lies within ten years`,
    );
  return ok(at);
}

/**
 * An ISO date or date-time as the config and the API write a first run: with an offset it is that instant,
 * without one a wall-clock time in `timeZone`. Unlike `parseWhen` it may lie in the past (a monthly chore the
 * config has named since January).
 */
export function readIsoIn(input: string, timeZone: string): Result<Date, string> {
  const text = input.trim().toLowerCase();
  if (text.length > 40 || !ISO.test(text))
    return fail(`"${input.trim().slice(0, 40)}" is not an ISO date such as 2027-01-04T09:00:00`);
  const at = readWhen(text, new Date(0), timeZone);
  if (!at || Number.isNaN(at.getTime())) return fail(`"${input.trim().slice(0, 40)}" is not a date`);
  return ok(at);
}

function readWhen(text: string, now: Date, timeZone: string): Date | undefined {
  const iso = ISO.exec(text);
  if (iso) {
    const [, y, mo, d, h, mi, s, zone] = iso;
    const year = Number(y);
    const month = Number(mo);
    const day = Number(d);
    const hour = Number(h ?? 0);
    const minute = Number(mi ?? 0);
    if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59)
      return new Date(Number.NaN);
    // Date.UTC reads years 0–99 as 1900–1999; nothing TMS schedules is that old (nor past 9999).
    if (year < 1970 || year > 9998) return new Date(Number.NaN);
    if (Number(s ?? 0) > 59) return new Date(Number.NaN);
    if (zone) return new Date(Date.parse(text.toUpperCase().replace(' ', 'T')));
    return fromWallTime({ year, month, day, hour, minute }, timeZone);
  }
  const relative = IN.exec(text);
  if (relative) {
    const [, amount, unit] = relative as unknown as [string, string, string];
    const ms = parseDuration(`${amount}${UNIT[unit] ?? unit}`);
    return ms === undefined ? undefined : new Date(now.getTime() + ms);
  }
  const named = DAY_THEN_TIME.exec(text);
  if (!named) return undefined;
  const [, dayWord, h, mi, meridiem] = named;
  if (!dayWord && !h) return undefined;
  let hour = h === undefined ? DEFAULT_HOUR : Number(h);
  const minute = mi === undefined ? 0 : Number(mi);
  if (meridiem) {
    if (hour < 1 || hour > 12) return undefined;
    hour = (hour % 12) + (meridiem === 'pm' ? 12 : 0);
  } else if (h !== undefined && mi === undefined && !dayWord) {
    return undefined; // a bare number ("9") is too easily a typo; "9am" or "09:00" says it
  }
  if (hour > 23 || minute > 59) return undefined;
  const today = wallTime(now, timeZone);
  const on = (offsetDays: number): Date => {
    const date = new Date(Date.UTC(today.year, today.month - 1, today.day + offsetDays));
    return fromWallTime(
      { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate(), hour, minute },
      timeZone,
    );
  };
  if (!dayWord) return on(0) > now ? on(0) : on(1);
  if (dayWord === 'today') return on(0);
  if (dayWord === 'tomorrow') return on(1);
  const weekday = WEEKDAY_NAMES[dayWord];
  if (weekday === undefined) return undefined;
  const ahead = (weekday - today.weekday + 7) % 7;
  return ahead === 0 && on(0) <= now ? on(7) : on(ahead);
}
