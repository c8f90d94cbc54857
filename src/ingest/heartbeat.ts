import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { Alert } from '../core/alert.js';
import { cut } from '../core/bounds.js';
import {
  HEARTBEAT_NAME,
  heartbeatFingerprint,
  heartbeatState,
  lateTitle,
  spanText,
} from '../core/heartbeat.js';
import type { HeartbeatRecord, HeartbeatStore } from '../core/ports.js';
import { formatDuration } from '../core/time.js';
import type { Deps } from '../core/use-cases/deps.js';
import { type IngestOutcome, ingestAlert } from '../core/use-cases/ingest-alert.js';
import { bearer, bodySize, fromError, type HttpResult, json, problem, sameSecret } from '../http/respond.js';

/**
 * Heartbeats (issue 18): a job pings `POST /ingest/heartbeat/<name>` each time it succeeds; the sweep opens a
 * task when one is later than `every + grace`, and the next ping resolves it. Both go through the alert path
 * (source `tms`, fingerprint `heartbeat:<name>`), so the task is deduplicated, silenced and carded as any alert's.
 */

export interface HeartbeatDeps extends Deps {
  readonly heartbeats?: HeartbeatStore;
}

/** A ping carries nothing it needs: a body past this is refused before it is read. */
export const PING_MAX_BYTES = 16 * 1024;

const since = (beat: HeartbeatRecord) => beat.lastPingAt ?? beat.createdAt;
const dateOf = (iso: string | undefined) => (iso === undefined ? undefined : new Date(iso));

/** When it is due next (`every + grace` after its last ping, or after it was made), and whether it is late now. */
export const stateOf = (beat: HeartbeatRecord, now: Date) =>
  heartbeatState(beat, dateOf(beat.lastPingAt), new Date(beat.createdAt), now);

/**
 * The late task's alert. Its occurrence is the quiet spell (the ping it is counted from): a sweep that sends it
 * again, after dying before it marked the lateness, adds nothing to the task.
 */
export function lateAlert(beat: HeartbeatRecord, now: Date): Alert {
  const title = lateTitle(beat, dateOf(beat.lastPingAt), new Date(beat.createdAt), now);
  return Alert.parse({
    source: 'tms',
    action: 'trigger',
    fingerprint: heartbeatFingerprint(beat.name),
    title: cut(title, 300),
    description: [
      `The job behind the heartbeat ${beat.name} pings TMS each time it succeeds; it has not for ${spanText(
        now.getTime() - Date.parse(since(beat)),
      )}, past its period of ${formatDuration(beat.everyMs)} and grace of ${formatDuration(beat.graceMs)}.`,
      'Check that the job runs and succeeds, and that it can reach TMS.',
      `The next ping (POST /ingest/heartbeat/${beat.name}) resolves this task by itself.`,
    ].join('\n'),
    ...(beat.service !== undefined ? { service: beat.service } : {}),
    ...(beat.priority !== undefined ? { priority: beat.priority } : {}),
    labels: { heartbeat: beat.name },
    occurredAt: now.toISOString(),
    occurrenceKey: `quiet-since:${since(beat)}`,
    summary: cut(title, 300),
    issueClass: 'heartbeat',
  });
}

/** The resolve of its late task: it reported again, or it is no longer watched. */
export function backAlert(name: string, now: Date, why: 'pinged' | 'removed'): Alert {
  const what =
    why === 'pinged'
      ? `${name} reported again`
      : `The heartbeat ${name} was removed: it is no longer watched`;
  return Alert.parse({
    source: 'tms',
    action: 'resolve',
    fingerprint: heartbeatFingerprint(name),
    title: cut(what, 300),
    occurredAt: now.toISOString(),
    summary: cut(what, 300),
  });
}

/**
 * A ping, recorded before anything else; then, if it ends a lateness (marked, or due and not yet seen by the
 * sweep), the late task's resolve, and only then the mark taken off. A crash after the ping leaves the mark,
 * from which the next sweep sends the resolve (src/jobs/heartbeats.ts). Undefined when there is no such heartbeat.
 */
export async function pingHeartbeat(
  deps: HeartbeatDeps & { readonly heartbeats: HeartbeatStore },
  name: string,
): Promise<{ readonly beat: HeartbeatRecord; readonly outcome?: IngestOutcome } | undefined> {
  const now = deps.clock.now();
  const before = await deps.heartbeats.ping(name, now.toISOString());
  if (!before) return undefined;
  const beat = { ...before, lastPingAt: now.toISOString() };
  if (before.lateSince === undefined && stateOf(before, now).state !== 'late') return { beat };
  const outcome = await ingestAlert(deps, backAlert(name, now, 'pinged'));
  if (before.lateSince !== undefined) await deps.heartbeats.clearLate(name, before.lateSince);
  return { beat, outcome };
}

/**
 * `POST /ingest/heartbeat/{name}`: the ingest token (`Authorization: Bearer`, or `?token=` for a sender that
 * cannot set headers) first, then the name: 202 `{"heartbeat","lastPingAt","dueBy","taskIds"}`, 404 for a name
 * that is not a heartbeat (a ping makes none).
 */
export async function heartbeatPing(
  deps: HeartbeatDeps,
  event: APIGatewayProxyEventV2,
  ingestToken: string,
): Promise<HttpResult> {
  try {
    const token = bearer(event) ?? event.queryStringParameters?.token;
    if (!sameSecret(token, ingestToken))
      return problem(401, 'UNAUTHENTICATED', 'Authorization: Bearer (or ?token=) is not the ingest token');
    if (bodySize(event) > PING_MAX_BYTES)
      return problem(413, 'TOO_LARGE', `A heartbeat ping is at most ${PING_MAX_BYTES} bytes`);
    const name = event.pathParameters?.name ?? '';
    if (!HEARTBEAT_NAME.test(name))
      return problem(
        400,
        'INVALID_INPUT',
        'A heartbeat name is letters, digits, ".", "_" and "-", at most 64 characters',
      );
    if (!deps.heartbeats) return problem(404, 'NOT_FOUND', 'Heartbeats are not available here');
    const pinged = await pingHeartbeat({ ...deps, heartbeats: deps.heartbeats }, name);
    if (!pinged)
      return problem(
        404,
        'NOT_FOUND',
        `No heartbeat "${name}": name it in the config's heartbeats, or make it with /tms heartbeat ${name} every 1d`,
      );
    return json(202, {
      heartbeat: name,
      lastPingAt: pinged.beat.lastPingAt,
      dueBy: stateOf(pinged.beat, deps.clock.now()).lateAt.toISOString(),
      taskIds: pinged.outcome?.taskId ? [pinged.outcome.taskId] : [],
    });
  } catch (error) {
    return fromError(error);
  }
}
