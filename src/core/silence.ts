import * as z from 'zod';
import type { Alert, Route } from './alert.js';
import { cut, globMatch, LIMITS, own } from './bounds.js';
import { DomainError } from './errors.js';
import { fail, ok, type Result } from './result.js';
import { formatDuration, parseDuration } from './time.js';

/** `key=value` (a `*` in the value matches anything): `service`, `source`, or any alert label. */
export const Matcher = z.strictObject({
  key: z.string().min(1).max(LIMITS.labelKeyLength),
  value: z.string().min(1).max(LIMITS.globLength),
});
export type Matcher = z.infer<typeof Matcher>;

/**
 * A silence: while it lasts, a matching alert opens no task and posts nothing. It is recorded, not lost: the
 * delivery stays archived and the silence counts what it held back.
 */
export const Silence = z.strictObject({
  id: z.string().regex(/^S-[0-9a-z]{6,}$/),
  matchers: z.array(Matcher).min(1).max(10),
  reason: z.string().max(500),
  createdBy: z.string().min(1),
  createdAt: z.iso.datetime(),
  endsAt: z.iso.datetime(),
  liftedAt: z.iso.datetime().optional(),
  liftedBy: z.string().optional(),
  matched: z.number().int().nonnegative(),
  lastMatchedAt: z.iso.datetime().optional(),
});
export type Silence = z.infer<typeof Silence>;

/** The longest a silence may last: a forgotten one should not hide an incident for a month. */
export const MAX_SILENCE_MS = 7 * 86_400_000;

export const isActive = (silence: Silence, now: Date): boolean =>
  !silence.liftedAt && Date.parse(silence.endsAt) > now.getTime();

/** Does the silence hold this alert back? Every matcher must match. */
export function silences(silence: Silence, alert: Alert, route: Route): boolean {
  return silence.matchers.every(({ key, value }) => {
    const actual =
      key === 'service' ? route.service : key === 'source' ? alert.source : own(alert.labels, key);
    return actual !== undefined && globMatch(value, actual);
  });
}

export interface SilenceRequest {
  readonly matchers: Matcher[];
  readonly durationMs: number;
  readonly reason: string;
}

/**
 * What a silence or a maintenance window holds back, from the words that say it: `key=value` (a `*` glob,
 * bounded) or a bare word that is a configured service. At most 10; every one must match.
 */
export function readMatchers(
  words: readonly string[],
  services: readonly string[],
  noun: 'silence' | 'window',
): Result<Matcher[], string> {
  const matchers: Matcher[] = [];
  for (const word of words) {
    const equals = word.indexOf('=');
    const key = equals > 0 ? word.slice(0, equals) : '';
    if (/^[\w.-]{1,64}$/.test(key)) {
      const value = word.slice(equals + 1);
      if (!value) return fail(`"${cut(word, 60)}" has no value after "="`);
      if (value.length > LIMITS.globLength)
        return fail(`A matcher's value is at most ${LIMITS.globLength} characters`);
      matchers.push({ key, value });
    } else if (services.includes(word)) matchers.push({ key: 'service', value: word });
    else return fail(`"${cut(word, 60)}" is neither a service nor key=value`);
  }
  if (matchers.length > 10) return fail(`A ${noun} has at most 10 matchers`);
  return ok(matchers);
}

/**
 * `/tms silence <service or key=value …> <duration> [reason]`: the words before the duration are matchers
 * (a bare word is a service), the words after it the reason.
 */
export function parseSilence(
  words: readonly string[],
  services: readonly string[],
): Result<SilenceRequest, DomainError> {
  const at = words.findIndex((w) => parseDuration(w) !== undefined);
  const invalid = (message: string) => fail(new DomainError('INVALID_INPUT', message));
  if (at < 0) return invalid('Say for how long, such as 30m, 2h or 1d');
  if (at === 0) return invalid('Say what to silence: a service, or key=value such as alertname=DiskFull');
  const durationMs = parseDuration(words[at] as string) as number;
  if (durationMs > MAX_SILENCE_MS)
    return invalid(`A silence lasts at most ${formatDuration(MAX_SILENCE_MS)}`);
  const matchers = readMatchers(words.slice(0, at), services, 'silence');
  if (!matchers.ok) return invalid(matchers.error);
  return ok({
    matchers: matchers.value,
    durationMs,
    reason: words
      .slice(at + 1)
      .join(' ')
      .slice(0, 500),
  });
}

export const describeMatchers = (matchers: readonly Matcher[]): string =>
  matchers.map((m) => (m.key === 'service' ? m.value : `${m.key}=${m.value}`)).join(' ');
