import { formatDuration as spell } from 'date-fns';
import { cut } from './bounds.js';
import { DomainError } from './errors.js';
import { fail, ok, type Result } from './result.js';
import { formatDuration, parseDuration } from './time.js';

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
  // Bounded as they are read (a year each), so the deadline is always a date, whatever was stored.
  const lateAt = new Date(
    since.getTime() + Math.min(beat.everyMs, MAX_SPAN_MS) + Math.min(Math.max(beat.graceMs, 0), MAX_SPAN_MS),
  );
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

/** The fingerprint of a heartbeat's late task: one task per heartbeat at a time, whoever opens or resolves it. */
export const heartbeatFingerprint = (name: string): string => `heartbeat:${name}`;

/** A grace left unsaid: a tenth of the period, at least a minute (a sweep's granularity) and at most an hour. */
export const defaultGraceMs = (everyMs: number): number =>
  Math.min(3_600_000, Math.max(60_000, Math.round(everyMs / 10)));

/** The shortest period: the sweep looks once a minute. */
export const MIN_EVERY_MS = 60_000;
/** A year: the longest a job may go between pings, or a grace last (and well inside what a date can hold). */
export const MAX_SPAN_MS = 366 * 86_400_000;

/**
 * Where a heartbeat's late task stands: `open` — opened for the quiet spell since its last ping; `owed` — a ping
 * came since it was opened, and its resolve is still to be sent; undefined — none.
 */
export function lateTask(record: {
  readonly lastPingAt?: string | undefined;
  readonly lateSince?: string | undefined;
  readonly lateFrom?: string | undefined;
}): 'open' | 'owed' | undefined {
  if (record.lateSince === undefined) return undefined;
  return record.lateFrom === record.lastPingAt ? 'open' : 'owed';
}

/** What `/tms heartbeat …` asks: make or redefine one, or remove it. */
export type HeartbeatRequest =
  | {
      readonly kind: 'define';
      readonly name: string;
      readonly everyMs: number;
      readonly graceMs: number;
      readonly service?: string;
    }
  | { readonly kind: 'remove'; readonly name: string };

/**
 * `<name> every <duration> [grace <duration>] [service]` (the options in any order, each once), or
 * `<name> remove`. `services`: the names a service word may be.
 */
export function parseHeartbeat(
  words: readonly string[],
  services: readonly string[],
): Result<HeartbeatRequest, DomainError> {
  const invalid = (message: string) => fail(new DomainError('INVALID_INPUT', message));
  const [name, ...rest] = words;
  if (name === undefined) return invalid('Name the heartbeat, such as nightly-backup');
  if (!HEARTBEAT_NAME.test(name))
    return invalid(
      `"${cut(name, 80)}" is not a heartbeat name: letters, digits, ".", "_" and "-", at most 64, as its ping URL carries it`,
    );
  if (rest.length === 1 && rest[0]?.toLowerCase() === 'remove') return ok({ kind: 'remove', name });
  let everyMs: number | undefined;
  let graceMs: number | undefined;
  let service: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i] as string;
    const key = word.toLowerCase();
    if (key === 'every' || key === 'grace') {
      const value = rest[i + 1];
      const ms = value === undefined ? undefined : parseDuration(value);
      if (ms === undefined)
        return invalid(`Say a duration after ${key}, such as ${key === 'every' ? '1d' : '1h'}`);
      if ((key === 'every' ? everyMs : graceMs) !== undefined) return invalid(`Say ${key} once`);
      if (key === 'every') everyMs = ms;
      else graceMs = ms;
      i++;
    } else if (services.includes(word)) {
      if (service !== undefined) return invalid('Name one service');
      service = word;
    } else return invalid(`"${cut(word, 80)}" is neither every, grace nor a service`);
  }
  if (everyMs === undefined) return invalid('Say how often the job pings, such as every 1d');
  if (everyMs < MIN_EVERY_MS) return invalid('A heartbeat pings every minute at most often (every 1m)');
  if (everyMs > MAX_SPAN_MS || (graceMs ?? 0) > MAX_SPAN_MS)
    return invalid('every and grace are at most a year each (52w)');
  return ok({
    kind: 'define',
    name,
    everyMs,
    graceMs: graceMs ?? defaultGraceMs(everyMs),
    ...(service !== undefined ? { service } : {}),
  });
}
