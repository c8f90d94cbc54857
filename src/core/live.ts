import * as z from 'zod';
import type { Role } from './rbac.js';
import { authorize } from './rbac.js';
import { fail, ok, type Result } from './result.js';
import type { Task } from './task.js';
import type { Actor } from './timeline.js';

/**
 * Live updates (the dashboard's WebSocket): what a client may send, what it is sent, and who may see what.
 * The shapes are the contract of issue 17; the handlers (src/handlers/live.ts) and the pusher
 * (src/jobs/live-push.ts) only move them.
 */

/** A client message is a line of JSON, never more: anything longer is refused unread. */
export const MAX_CLIENT_MESSAGE = 4 * 1024;
/** Tasks one catch-up sends at most; past it the client is told `complete: false` and reloads the list. */
export const CATCH_UP_LIMIT = 500;
/**
 * How long a connection is kept without a ping: API Gateway closes every WebSocket after 2 hours whatever it
 * does, and a ping moves it on (its idle timeout is 10 minutes, so a live client pings far more often).
 */
export const CONNECTION_TTL_MS = 2 * 3_600_000;
/**
 * How far back a catch-up reaches: a client away longer than a connection can live has missed more than a
 * catch-up should send, and reloads `GET /api/tasks` instead (`complete: false`).
 */
export const CATCH_UP_WINDOW_MS = 2 * 3_600_000;
/**
 * How far before the client's `since` a catch-up reads. The log is sorted by each task's `updatedAt`, which
 * its writer stamps before its write commits: a writer that stamps A, then commits after another's later B
 * was pushed, logs A before the newest time a client saw. A minute covers a write's commit and the writers'
 * clocks; what it sends again, the client already has at that version.
 */
export const CATCH_UP_OVERLAP_MS = 60_000;

export const ClientMessage = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('since'), at: z.iso.datetime({ offset: true }) }),
  z.strictObject({ type: z.literal('ping') }),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;

export interface TrendStarted {
  readonly service: string;
  readonly title: string;
  readonly taskId: string | null;
  readonly recent: number;
  readonly expected: number;
  readonly startedAt: string;
}

export type ServerMessage =
  | {
      readonly type: 'task.changed';
      readonly task: Task;
      /** Its labels, links and group were left out to fit a WebSocket message: `GET /api/tasks/{id}` has them. */
      readonly partial?: true;
    }
  | { readonly type: 'task.deleted'; readonly taskId: string; readonly at: string }
  | { readonly type: 'trend'; readonly trend: TrendStarted }
  | {
      readonly type: 'sla.warning';
      readonly taskId: string;
      readonly kind: 'ack' | 'resolve';
      /** What the channel was told: the deadline is near (or predicted to be missed), or it passed. */
      readonly state: 'at_risk' | 'breached';
      readonly dueAt: string;
    }
  | { readonly type: 'caught_up'; readonly at: string; readonly complete: boolean }
  | { readonly type: 'pong' }
  | { readonly type: 'error'; readonly code: LiveErrorCode; readonly message: string };

export type LiveErrorCode = 'INVALID_MESSAGE' | 'TOO_LARGE' | 'NOT_ALLOWED' | 'UNAVAILABLE';

/**
 * API Gateway's most a WebSocket message may be (128 KB), less a margin: a task can be larger (its labels alone
 * may be 64 KB, src/core/bounds.ts).
 */
export const MAX_SERVER_MESSAGE = 120 * 1024;

/**
 * A message as it is sent: its JSON, within MAX_SERVER_MESSAGE. A task too large to send whole goes without
 * what makes it large (labels, links, the Alertmanager group) and says so (`partial`), so a client still sees
 * its status, holder and clocks change and reads the rest from the API when it needs them.
 */
export function encode(message: ServerMessage): string {
  const text = JSON.stringify(message);
  if (message.type !== 'task.changed' || new TextEncoder().encode(text).length <= MAX_SERVER_MESSAGE)
    return text;
  const { group: _group, ...rest } = message.task;
  return JSON.stringify({
    type: 'task.changed',
    task: { ...rest, labels: {}, links: [] },
    partial: true,
  } satisfies ServerMessage);
}

/** A WebSocket connection as the store keeps it: who opened it (as `$connect` proved it) and until when. */
export interface LiveConnection {
  readonly id: string;
  readonly role: Role;
  readonly actor: Actor;
  readonly connectedAt: string;
  /** When the store may forget it (its TTL); moved on by each ping, never past `tokenExpiresAt`. */
  readonly expiresAt: string;
  /**
   * When the token it was opened with expires (a JWT's `exp`; none for the local API token): a person signed
   * out, or taken out of their group, is not sent their old role's news for as long as their client pings.
   */
  readonly tokenExpiresAt?: string;
}

/** How long a connection is kept from `now`: the connection's bound (2 h), or until its token expires. */
export function keptUntil(now: Date, tokenExpiresAt: string | undefined): string {
  const bound = now.getTime() + CONNECTION_TTL_MS;
  const token = tokenExpiresAt ? Date.parse(tokenExpiresAt) : Number.POSITIVE_INFINITY;
  return new Date(Math.min(bound, token)).toISOString();
}

/** One task's change as the catch-up log keeps it: the task, when (its `updatedAt`, or when it was deleted). */
export interface LiveChange {
  readonly taskId: string;
  readonly at: string;
  readonly deleted?: boolean;
}

/** A client's message, checked: its size first (bytes, before it is parsed), then its JSON, then its shape. */
export function parseClientMessage(
  body: string | undefined,
): Result<ClientMessage, { code: LiveErrorCode; message: string }> {
  const text = body ?? '';
  if (text.length > MAX_CLIENT_MESSAGE || new TextEncoder().encode(text).length > MAX_CLIENT_MESSAGE)
    return fail({ code: 'TOO_LARGE', message: `A message is at most ${MAX_CLIENT_MESSAGE} bytes` });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail({ code: 'INVALID_MESSAGE', message: 'A message is JSON, such as {"type":"ping"}' });
  }
  const parsed = ClientMessage.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    return fail({
      code: 'INVALID_MESSAGE',
      message: `${where}${issue?.message ?? 'not a message'} (send {"type":"since","at":"<ISO time>"} or {"type":"ping"})`,
    });
  }
  if (parsed.data.type === 'since') return ok({ type: 'since', at: new Date(parsed.data.at).toISOString() });
  return ok(parsed.data);
}

/**
 * Whether a connection may be sent a message. Every role may view every task today (src/core/rbac.ts `view`);
 * the check still goes through `authorize`, with the task where there is one, so a narrower rule later holds here.
 */
export function mayReceive(
  connection: Pick<LiveConnection, 'role' | 'actor'>,
  message: ServerMessage,
): boolean {
  const task =
    message.type === 'task.changed'
      ? message.task
      : message.type === 'task.deleted' || message.type === 'sla.warning'
        ? { id: message.taskId, assignee: null }
        : message.type === 'trend' && message.trend.taskId
          ? { id: message.trend.taskId, assignee: null }
          : undefined;
  return authorize(connection.role, 'view', connection.actor.id, task).ok;
}

/**
 * What a batch of one task's changes tells clients: its latest version (older ones are stale by the time
 * they are sent), or that it is gone. `changes` in stream order.
 */
export function latestOf(
  changes: readonly ({ readonly task: Task } | { readonly deleted: string; readonly at: string })[],
): ServerMessage | undefined {
  let latest: ServerMessage | undefined;
  for (const change of changes) {
    if ('deleted' in change) latest = { type: 'task.deleted', taskId: change.deleted, at: change.at };
    else if (latest?.type !== 'task.changed' || change.task.version >= latest.task.version)
      latest = { type: 'task.changed', task: change.task };
  }
  return latest;
}

/** The catch-up log's entry of a message: what a client that was away needs to ask for again. */
export function changeOf(message: ServerMessage): LiveChange | undefined {
  if (message.type === 'task.changed') return { taskId: message.task.id, at: message.task.updatedAt };
  if (message.type === 'task.deleted') return { taskId: message.taskId, at: message.at, deleted: true };
  return undefined;
}

/** The hours (UTC, `yyyy-mm-ddThh`) from `from` to `to`, both included: the catch-up log's partitions. */
export function hoursBetween(from: Date, to: Date): string[] {
  const hours: string[] = [];
  const start = Math.floor(from.getTime() / 3_600_000);
  const end = Math.floor(to.getTime() / 3_600_000);
  for (let h = start; h <= end; h++) hours.push(new Date(h * 3_600_000).toISOString().slice(0, 13));
  return hours;
}
