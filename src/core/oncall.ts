import { fromWallTime } from './schedule-time.js';

/**
 * Who is on call (issue 19), from a team's rotation and the overrides people made. Pure: the rotation and the
 * overrides are arguments, and so is the instant asked about.
 *
 * A rotation hands over at its `handoff` wall-clock time in its time zone, then every `every`. A period of
 * whole days is counted on the calendar of that zone, so a weekly 09:00 handoff in Berlin stays at 09:00
 * across a daylight-saving change (the shift that spans it is an hour shorter or longer); a period of hours is
 * counted in elapsed time. The rotation runs backwards from its first handoff too, so every instant has
 * someone. An override gives a span of time to one person, whoever the rotation says; the latest made wins
 * where two overlap (a swap, a "take" and an override are all overrides).
 */

export interface Rotation {
  readonly participants: readonly string[];
  readonly everyMs: number;
  /** The first handoff, a local wall-clock time such as `2026-01-05T09:00:00`, in `timezone`. */
  readonly handoff: string;
  readonly timezone: string;
}

export interface Shift {
  readonly user: string;
  readonly start: Date;
  readonly end: Date;
  /** Which shift of the rotation: 0 is the one starting at its handoff, negative ones before it. */
  readonly index: number;
}

export interface Override {
  readonly id: string;
  readonly user: string;
  readonly start: string;
  readonly end: string;
  readonly createdAt: string;
}

export interface OnCall {
  readonly user: string;
  /** Until when this person is on call without a break (a handoff or an override's edge). */
  readonly until: Date;
  /** The override that puts them on, when one does. */
  readonly overrideId?: string;
}

const DAY_MS = 86_400_000;
const HANDOFF = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

function handoffWall(rotation: Rotation) {
  const [, y, mo, d, h, mi] = HANDOFF.exec(rotation.handoff) ?? [];
  return { year: Number(y), month: Number(mo), day: Number(d), hour: Number(h), minute: Number(mi) };
}

/** When shift `index` starts. */
export function shiftStart(rotation: Rotation, index: number): Date {
  const wall = handoffWall(rotation);
  const first = fromWallTime(wall, rotation.timezone);
  if (rotation.everyMs % DAY_MS !== 0) return new Date(first.getTime() + index * rotation.everyMs);
  const days = (rotation.everyMs / DAY_MS) * index;
  const date = new Date(Date.UTC(wall.year, wall.month - 1, wall.day + days));
  return fromWallTime(
    { ...wall, year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() },
    rotation.timezone,
  );
}

const participantOf = (rotation: Rotation, index: number): string => {
  const n = rotation.participants.length;
  return rotation.participants[((index % n) + n) % n] as string;
};

/** The rotation's shift at `at`, overrides aside. */
export function shiftAt(rotation: Rotation, at: Date): Shift {
  const first = shiftStart(rotation, 0);
  // An estimate from elapsed time, then put right by the calendar (a DST change moves a start by an hour).
  let index = Math.floor((at.getTime() - first.getTime()) / rotation.everyMs);
  while (shiftStart(rotation, index) > at) index--;
  while (shiftStart(rotation, index + 1) <= at) index++;
  return shiftOf(rotation, index);
}

export const shiftOf = (rotation: Rotation, index: number): Shift => ({
  user: participantOf(rotation, index),
  start: shiftStart(rotation, index),
  end: shiftStart(rotation, index + 1),
  index,
});

/** The override in force at `at`: the latest made of those covering it. */
function overrideAt(overrides: readonly Override[], at: Date): Override | undefined {
  const t = at.toISOString();
  let found: Override | undefined;
  for (const o of overrides)
    if (o.start <= t && t < o.end && (!found || o.createdAt > found.createdAt)) found = o;
  return found;
}

/** Who is on call at `at`, and until when without a break. */
export function onCallAt(rotation: Rotation, overrides: readonly Override[], at: Date): OnCall {
  const shift = shiftAt(rotation, at);
  const override = overrideAt(overrides, at);
  const t = at.toISOString();
  // The next instant anything changes: the shift's end, or an override's edge after `at`.
  let until = shift.end.getTime();
  for (const o of overrides) {
    for (const edge of [o.start, o.end]) {
      const ms = Date.parse(edge);
      if (edge > t && ms < until) until = ms;
    }
  }
  return override
    ? { user: override.user, until: new Date(until), overrideId: override.id }
    : { user: shift.user, until: new Date(until) };
}

/** How many spans "who is next" looks through for someone else (a rotation of one is its own next). */
const NEXT_LOOKAHEAD = 50;

/** Who is on now, until when, and who comes next (the first other person), from when. */
export function onCallNow(
  rotation: Rotation,
  overrides: readonly Override[],
  now: Date,
): { now: OnCall; next: { user: string; from: Date } } {
  const current = onCallAt(rotation, overrides, now);
  let at = current.until;
  let span = current;
  for (let step = 0; step < NEXT_LOOKAHEAD; step++) {
    span = onCallAt(rotation, overrides, at);
    if (span.user !== current.user) return { now: current, next: { user: span.user, from: at } };
    at = span.until;
  }
  return { now: current, next: { user: span.user, from: at } };
}

/** A person's next `count` shifts of the rotation that start after `after`, overrides aside. */
export function nextShiftsOf(rotation: Rotation, user: string, after: Date, count: number): Shift[] {
  const shifts: Shift[] = [];
  if (!rotation.participants.includes(user)) return shifts;
  let index = shiftAt(rotation, after).index + 1;
  for (let guard = 0; shifts.length < count && guard < rotation.participants.length * (count + 1); guard++) {
    const shift = shiftOf(rotation, index++);
    if (shift.user === user) shifts.push(shift);
  }
  return shifts;
}
