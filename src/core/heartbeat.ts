import { formatDuration as spell } from 'date-fns';
import { formatDuration } from './time.js';

/**
 * A heartbeat ("dead man's switch", issue 18): a job pings each time it succeeds, and a ping later than
 * `every + grace` means the job went quiet. Pure: the state is read from the last ping (or, before the first,
 * from when the heartbeat was made) and `now`.
 */

export interface Heartbeat {
  readonly name: string;
  readonly everyMs: number;
  readonly graceMs: number;
}

export type HeartbeatState =
  | { readonly state: 'up'; readonly lateAt: Date }
  | { readonly state: 'late'; readonly lateAt: Date; readonly quietMs: number };

/** A name a URL path and a Slack command both carry as it is: letters, digits, `-`, `_`, `.`; at most 64. */
export const HEARTBEAT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Up until `every + grace` after the last ping (or after it was made, before any ping); late from then on. */
export function heartbeatState(
  beat: Heartbeat,
  lastPingAt: Date | undefined,
  createdAt: Date,
  now: Date,
): HeartbeatState {
  const since = lastPingAt ?? createdAt;
  const lateAt = new Date(since.getTime() + beat.everyMs + beat.graceMs);
  if (now < lateAt) return { state: 'up', lateAt };
  return { state: 'late', lateAt, quietMs: now.getTime() - since.getTime() };
}

/** "1 day 2 hours": the two largest units of a span, for sentences people read. */
export function spanText(ms: number): string {
  if (ms < 60_000) return `${Math.max(0, Math.round(ms / 1000))} seconds`;
  const minutes = Math.floor(ms / 60_000);
  // Days at most: a month or a year is no fixed length, and a quiet job is counted in days.
  const parts = {
    days: Math.floor(minutes / 1440),
    hours: Math.floor(minutes / 60) % 24,
    minutes: minutes % 60,
  };
  const units = (['days', 'hours', 'minutes'] as const).filter((unit) => parts[unit] > 0);
  return spell(parts, { format: units.slice(0, 2) });
}

/** The late task's title: what went quiet, for how long, and when it last reported. */
export function lateTitle(beat: Heartbeat, lastPingAt: Date | undefined, createdAt: Date, now: Date): string {
  const state = heartbeatState(beat, lastPingAt, createdAt, now);
  const quiet = spanText(now.getTime() - (lastPingAt ?? createdAt).getTime());
  const last = lastPingAt
    ? `last ping ${lastPingAt.toISOString()}`
    : `no ping since it was made ${createdAt.toISOString()}`;
  const expected = `expected every ${formatDuration(beat.everyMs)} (+${formatDuration(beat.graceMs)} grace)`;
  return state.state === 'late'
    ? `${beat.name} has not reported for ${quiet}; ${last}, ${expected}`
    : `${beat.name} is reporting; ${last}, ${expected}`;
}
