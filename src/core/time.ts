import { formatDistanceStrict } from 'date-fns';

/** Time enters the core only through a Clock, so tests and property runs fix it. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that only moves when told to: for tests, property runs and replays. */
export class ManualClock implements Clock {
  #at: number;
  constructor(start: Date | string = '2026-01-01T00:00:00.000Z') {
    this.#at = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.#at);
  }
  advance(ms: number): void {
    this.#at += ms;
  }
  set(at: Date | string): void {
    this.#at = new Date(at).getTime();
  }
}

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const DURATION = /^(\d+)(s|m|h|d|w)$/;

/** `30s`, `5m`, `4h`, `3d`, `1w` to milliseconds; `undefined` when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  const [, amount, unit] = match as unknown as [string, string, keyof typeof UNIT_MS];
  const ms = Number(amount) * UNIT_MS[unit];
  return ms > 0 && Number.isSafeInteger(ms) ? ms : undefined;
}

/** The shortest exact form of a duration: 90_000 → `90s`, 7_200_000 → `2h`. */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm'] as const) {
    if (ms % UNIT_MS[unit] === 0 && ms >= UNIT_MS[unit]) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${Math.round(ms / 1000)}s`;
}

/** "5 minutes ago", relative to `now`: for sentences people read. */
export function ago(then: string | Date, now: Date): string {
  return formatDistanceStrict(new Date(then), now, { addSuffix: true });
}

export const iso = (at: Date): string => at.toISOString();
export const plus = (at: Date | string, ms: number): string =>
  new Date(new Date(at).getTime() + ms).toISOString();
