import * as z from 'zod';
import { Alert } from '../../core/alert.js';
import { cut, isUrl } from '../../core/bounds.js';
import { fail, ok } from '../../core/result.js';
import { bearerOf, json, problem, sameSecret } from '../../http/respond.js';
import { bodyHash, type IngestSource, type Received } from '../source.js';

/**
 * PagerDuty Events API v2 (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/), so anything
 * that can page PagerDuty can open TMS tasks: trigger, acknowledge and resolve by `dedup_key`.
 */
const Severity = z.enum(['critical', 'error', 'warning', 'info']);

export const PagerDutyEvent = z.object({
  routing_key: z.string().max(256).optional(),
  event_action: z.enum(['trigger', 'acknowledge', 'resolve']),
  dedup_key: z.string().min(1).max(255).optional(),
  payload: z
    .object({
      summary: z.string().min(1).max(1024),
      source: z.string().min(1).max(255),
      severity: Severity,
      timestamp: z.union([z.string(), z.number()]).optional(),
      component: z.string().max(255).optional(),
      group: z.string().max(255).optional(),
      class: z.string().max(255).optional(),
      custom_details: z.unknown().optional(),
    })
    .optional(),
  images: z.array(z.unknown()).optional(),
  links: z.array(z.object({ href: z.string(), text: z.string().optional() })).optional(),
  client: z.string().optional(),
  client_url: z.string().optional(),
});
export type PagerDutyEvent = z.infer<typeof PagerDutyEvent>;

const invalid = (errors: string[]) =>
  problem(400, 'INVALID_EVENT', errors.join('; '), {
    status: 'invalid event',
    message: 'Event object is invalid',
    errors,
  });

/**
 * When the sender saw the event: ISO 8601 (PagerDuty's own examples use `+0000` offsets), or Unix time in
 * seconds or milliseconds, which some senders use.
 */
export function eventTime(value: string | number | undefined): Date | undefined {
  if (value === undefined || value === '') return undefined;
  const epoch =
    typeof value === 'number' ? value : /^\d{9,13}(\.\d+)?$/.test(value) ? Number(value) : undefined;
  const at = epoch !== undefined ? new Date(epoch < 1e12 ? epoch * 1000 : epoch) : new Date(value);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/** custom_details as lines a person reads: `key: value`, nested values as JSON. */
function describe(details: unknown): string {
  if (details === undefined || details === null) return '';
  if (typeof details !== 'object') return String(details);
  return Object.entries(details as Record<string, unknown>)
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join('\n');
}

function stringDetails(details: unknown): Record<string, string> {
  if (!details || typeof details !== 'object' || Array.isArray(details)) return {};
  return Object.fromEntries(
    Object.entries(details as Record<string, unknown>)
      .filter(([key, value]) => typeof value === 'string' && key.length <= 64 && value.length <= 256)
      .slice(0, 20) as [string, string][],
  );
}

export function normalizeGeneric(
  event: PagerDutyEvent,
  dedupKey: string,
  now: Date,
): z.ZodSafeParseResult<Alert> {
  const payload = event.payload;
  const details = stringDetails(payload?.custom_details);
  const links = [
    ...(event.links ?? [])
      .filter((l) => isUrl(l.href))
      .map((l) => ({ label: cut(l.text || new URL(l.href).host, 80), url: l.href })),
    ...(event.client_url ? [{ label: cut(event.client || 'Source', 80), url: event.client_url }] : []),
  ];
  const occurredAt = eventTime(payload?.timestamp) ?? now;
  const labels: Record<string, string> = { ...details };
  for (const key of ['source', 'component', 'group', 'class'] as const) {
    const value = payload?.[key];
    if (value) labels[key] = value;
  }
  return Alert.safeParse({
    source: 'generic',
    action: event.event_action,
    fingerprint: `generic:${dedupKey}`,
    title: cut(payload?.summary ?? dedupKey, 300),
    description: cut(describe(payload?.custom_details), 4000),
    severity: payload?.severity,
    service: payload?.component || details.service || undefined,
    labels,
    links, // bounded (and what is left out said) by the Alert schema
    occurredAt: occurredAt.toISOString(),
    ...(payload?.summary ? { summary: cut(payload.summary, 300) } : {}),
    ...(payload?.class ? { issueClass: payload.class } : {}),
  });
}

/** A delivery id from a sender's `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header), hashed: any length or alphabet is fine. */
const idempotencyKey = (key: string | undefined): string | undefined =>
  key?.trim() ? `idem-${bodyHash(key.trim()).slice(0, 40)}` : undefined;

export const generic: IngestSource = {
  name: 'generic',
  /** PagerDuty's own limit for one event. */
  maxBytes: 512 * 1024,
  receive(request, secrets, { verify }) {
    const unauthenticated = () =>
      fail(
        problem(
          401,
          'UNAUTHENTICATED',
          'routing_key (or Authorization: Bearer, or ?token=) is not the ingest token',
        ),
      );
    // A token in the header or the query is checked before the body is even parsed.
    const outside = bearerOf(request.headers.authorization) ?? request.query.token;
    if (verify && outside !== undefined && !sameSecret(outside, secrets.ingestToken))
      return unauthenticated();
    let body: unknown;
    try {
      body = JSON.parse(request.body);
    } catch {
      return fail(invalid(['the body is not JSON']));
    }
    const routingKey = (body as { routing_key?: unknown } | null)?.routing_key;
    if (
      verify &&
      outside === undefined &&
      !sameSecret(typeof routingKey === 'string' ? routingKey : undefined, secrets.ingestToken)
    ) {
      return unauthenticated();
    }
    const parsed = PagerDutyEvent.safeParse(body);
    if (!parsed.success) {
      return fail(invalid(parsed.error.issues.map((i) => `'${i.path.join('.') || 'event'}': ${i.message}`)));
    }
    const event = parsed.data;
    if (event.event_action === 'trigger' && !event.payload) return fail(invalid(["'payload' is missing"]));
    if (event.event_action !== 'trigger' && !event.dedup_key)
      return fail(invalid([`'dedup_key' is required to ${event.event_action}`]));
    if (event.payload?.timestamp !== undefined && eventTime(event.payload.timestamp) === undefined) {
      return fail(invalid(["'payload.timestamp' is not an ISO 8601 time or Unix time"]));
    }
    const dedupKey = event.dedup_key ?? globalThis.crypto.randomUUID().replaceAll('-', '');
    const alert = normalizeGeneric(event, dedupKey, request.receivedAt);
    if (!alert.success)
      return fail(invalid(alert.error.issues.map((i) => `'${i.path.join('.')}': ${i.message}`)));
    const received: Received = {
      // PagerDuty's protocol names no delivery: every event is an occurrence, identical ones included (a sender
      // replaying a static example 60 times means 60 events). A sender that wants its retries recognised (an
      // answer lost to a crash) says so with the IETF `Idempotency-Key` header: the same key is one delivery.
      deliveryId: idempotencyKey(request.headers['idempotency-key']) ?? globalThis.crypto.randomUUID(),
      // The routing_key is the ingest token: the archive keeps the event, not the credential. A generated
      // dedup_key is kept too, so a re-driven event is the task the sender was told about.
      archivedBody: JSON.stringify({ ...(body as object), routing_key: undefined, dedup_key: dedupKey }),
      alerts: [alert.data],
      answer: () => json(202, { status: 'success', message: 'Event processed', dedup_key: dedupKey }),
    };
    return ok(received);
  },
};
