import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import * as z from 'zod';
import { Alert, route } from '../../core/alert.js';
import { cut, LIMITS, own } from '../../core/bounds.js';
import type { Config } from '../../core/config.js';
import { fail, ok } from '../../core/result.js';
import { normalizeMessage } from '../../core/similar.js';
import { bearerOf, problem, sameSecret } from '../../http/respond.js';
import { type IngestSource, invalidEvent, readJson, received, validAlerts } from '../source.js';

/**
 * Application logs through a CloudWatch Logs subscription: `{"awslogs":{"data":"<base64 gzip>"}}` (on AWS the
 * subscription invokes the Lambda with exactly this; over HTTP, with the ingest token). Log events that
 * match their service's `logPatterns` become alerts fingerprinted by the message with its variable parts
 * (numbers, ids, hex, quoted values, addresses) taken out, so one bug is one task however often it logs; the
 * lines of one fingerprint in one batch are one occurrence. The decompressed size is capped, so a gzip bomb
 * is refused without being inflated.
 */
export const DEFAULT_LOG_PATTERNS = ['ERROR', 'FATAL', 'Unhandled', 'uncaught exception', 'panic'] as const;
/** CloudWatch Logs sends at most about 1 MB of events per batch; anything inflating past this is not one. */
export const MAX_INFLATED_BYTES = 2 * 1024 * 1024;

const Envelope = z.looseObject({ awslogs: z.looseObject({ data: z.string().min(1) }) });
const Batch = z.looseObject({
  messageType: z.string(),
  owner: z.string().nullish(),
  logGroup: z.string().nullish(),
  logStream: z.string().nullish(),
  logEvents: z
    .array(z.looseObject({ id: z.string(), timestamp: z.number(), message: z.string() }))
    .max(10_000)
    .default([]),
});
type Batch = z.infer<typeof Batch>;

/**
 * The message without what changes between two lines of the same bug: the one normalizer of TMS, in the
 * core, which also makes the "same issue" key of titles (src/core/similar.ts).
 */
export { normalizeMessage as normalizeLogMessage } from '../../core/similar.js';

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** One regex for the patterns, each a literal word (escaped): linear, checked by test/ingest/linear-patterns.test.ts. */
export const matcher = (patterns: readonly string[]) =>
  new RegExp(patterns.map((p) => `(?<![\\w])${escapeRegex(p)}(?![\\w])`).join('|'));

/**
 * The patterns that make a line of this log group an alert: those of the service the group routes to, else
 * the defaults. The deployment subscribes each log group with these too, so CloudWatch only sends lines
 * that can match.
 */
export function logPatternsFor(logGroup: string, config: Config, at = new Date(0)): readonly string[] {
  const probe = Alert.parse({
    source: 'logs',
    action: 'trigger',
    fingerprint: 'probe',
    title: 'probe',
    routing: { logGroup },
    occurredAt: at.toISOString(),
  });
  return own(config.services, route(probe, config).service)?.logPatterns ?? DEFAULT_LOG_PATTERNS;
}

/** Alerts for the lines of a batch that match their service's patterns: one per fingerprint. */
export function normalizeLogs(batch: Batch, config: Config, receivedAt: Date): z.ZodSafeParseResult<Alert>[] {
  const logGroup = batch.logGroup ?? 'unknown';
  const patterns = matcher(logPatternsFor(logGroup, config, receivedAt));
  const groups = new Map<string, { lines: Batch['logEvents']; normalized: string }>();
  for (const line of batch.logEvents) {
    // Only the head of a line is read: a pattern past it does not make an alert.
    if (!patterns.test(line.message.slice(0, LIMITS.logLineLength))) continue;
    const normalized = normalizeMessage(line.message);
    const key = createHash('sha256').update(`${logGroup}\n${normalized}`).digest('hex').slice(0, 20);
    const group = groups.get(key) ?? { lines: [], normalized };
    group.lines.push(line);
    groups.set(key, group);
  }
  return [...groups.entries()].map(([key, { lines, normalized }]) => {
    const first = lines[0] as Batch['logEvents'][number];
    const message = first.message.slice(0, LIMITS.logLineLength);
    const last = lines.at(-1) as Batch['logEvents'][number];
    return Alert.safeParse({
      source: 'logs',
      action: 'trigger',
      fingerprint: `logs:${key}`,
      title: cut(message.trim().split('\n')[0] || normalized, 300),
      description: cut(
        [
          `${lines.length} matching line${lines.length > 1 ? 's' : ''} in ${logGroup}${batch.logStream ? ` / ${batch.logStream}` : ''}`,
          message,
        ].join('\n'),
        4000,
      ),
      severity: /\b(FATAL|panic)\b/.test(message) ? 'critical' : 'error',
      routing: { logGroup },
      labels: {
        logGroup: cut(logGroup, 256),
        pattern: cut(normalized, 256),
        ...(batch.owner ? { account: batch.owner } : {}),
      },
      occurredAt: new Date(last.timestamp).toISOString(),
      // The lines of one batch are one occurrence; the same batch delivered again is the same occurrence.
      occurrenceKey: `log-${first.id}`.slice(0, 256),
      issueClass: logGroup,
      summary: cut(`${lines.length} line${lines.length > 1 ? 's' : ''}: ${message}`, 300),
    });
  });
}

/** The batch, inflated with a hard cap: a payload that would inflate past it is refused, never inflated. */
export function inflate(data: string): Batch | 'too-large' | 'invalid' {
  let text: string;
  try {
    text = gunzipSync(Buffer.from(data, 'base64'), { maxOutputLength: MAX_INFLATED_BYTES }).toString('utf8');
  } catch (error) {
    return (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' ? 'too-large' : 'invalid';
  }
  try {
    const batch = Batch.safeParse(JSON.parse(text));
    return batch.success ? batch.data : 'invalid';
  } catch {
    return 'invalid';
  }
}

export const logs: IngestSource = {
  name: 'logs',
  /** Lambda's own limit for the subscription's invocation. */
  maxBytes: 1024 * 1024,
  receive(request, secrets, { verify, config }) {
    if (
      verify &&
      !sameSecret(bearerOf(request.headers.authorization) ?? request.query.token, secrets.ingestToken)
    )
      return fail(
        problem(401, 'UNAUTHENTICATED', 'send the ingest token as Authorization: Bearer or ?token='),
      );
    const envelope = readJson(request.body, Envelope, 'a CloudWatch Logs envelope {"awslogs":{"data":…}}');
    if (!envelope.ok) return envelope;
    const batch = inflate(envelope.value.awslogs.data);
    if (batch === 'too-large')
      return fail(problem(413, 'TOO_LARGE', `The log batch inflates past ${MAX_INFLATED_BYTES} bytes`));
    if (batch === 'invalid')
      return fail(invalidEvent('awslogs.data is not a gzip-compressed CloudWatch Logs batch'));
    const alerts = validAlerts(
      batch.messageType === 'DATA_MESSAGE' ? normalizeLogs(batch, config, request.receivedAt) : [],
    );
    return alerts.ok ? ok(received(request.body, alerts.value)) : alerts;
  },
};
