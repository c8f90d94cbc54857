import { createHash } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { own } from '../core/bounds.js';
import { type LifecycleAction, snoozeUntil } from '../core/lifecycle.js';
import { authorize } from '../core/rbac.js';
import { actOnTask } from '../core/use-cases/act-on-task.js';
import { deleteTask } from '../core/use-cases/delete-task.js';
import { escalateNow } from '../core/use-cases/escalate.js';
import { openTask } from '../core/use-cases/open-task.js';
import { patchTask } from '../core/use-cases/patch-task.js';
import { CreateTaskBody, PatchTaskBody, TaskActionBody } from '../http/api-schemas.js';
import { type Caller, changeContextOf } from '../http/identity.js';
import { readJsonBody } from '../http/request-body.js';
import { fromError, type HttpResult, header, json, problem } from '../http/respond.js';
import type { HouseDeps } from '../runtime/deps.js';
import { logger } from '../runtime/logger.js';

/**
 * The writes of `/api/*`: the use cases Slack's `/tms new`, buttons and subcommands call, with the caller's
 * role for RBAC and the caller on the timeline (`via: api`). The card follows from the stored change, as it
 * does for Slack's, so the route answers once the task is saved.
 */

/** `POST /api/tasks`: a task opened by hand, in a configured service's channel or the default one. */
export async function createTaskRoute(
  deps: HouseDeps,
  event: APIGatewayProxyEventV2,
  caller: Caller,
): Promise<HttpResult> {
  // A viewer is told before the body is read, by the same table openTask checks.
  const allowed = authorize(caller.role, 'create', caller.actor.id);
  if (!allowed.ok) return fromError(allowed.error);
  const body = readJsonBody(event, CreateTaskBody);
  if (!body.ok) return body.refusal;
  const { title, description, priority, service, assignee, labels } = body.value;
  // As Slack's form and `/tms new` take it: a configured service, else the task would go to nobody's channel.
  if (
    service !== undefined &&
    !own(deps.config.services, service) &&
    service !== deps.config.defaults.service
  )
    return problem(
      400,
      'INVALID_INPUT',
      `service: "${service}" is not a configured service (known: ${knownServices(deps).join(', ')})`,
    );
  const open = () =>
    openTask(deps, {
      title,
      ...(description !== undefined ? { description } : {}),
      ...(priority ? { priority } : {}),
      ...(service ? { service } : {}),
      assignee: assignee ?? null,
      ...(labels ? { labels } : {}),
      role: caller.role,
      ctx: { ...changeContextOf(caller), now: deps.clock.now() },
    });
  const key = idempotencyKey(event);
  if (key === null)
    return problem(400, 'INVALID_INPUT', 'Idempotency-Key: 1 to 255 visible ASCII characters');
  if (key === undefined) {
    const opened = await open();
    if (!opened.ok) return fromError(opened.error);
    return json(201, { task: opened.value }, { location: `/api/tasks/${opened.value.id}` });
  }
  return openOnce(deps, caller, key, bodyDigest(event), open);
}

/** What a create asked for, to tell a retry of it from another request reusing its key. */
function bodyDigest(event: APIGatewayProxyEventV2): string {
  const body = event.body ?? '';
  return createHash('sha256')
    .update(event.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body))
    .digest('hex')
    .slice(0, 32);
}

/** How long a create's `Idempotency-Key` is remembered: a client retrying within a day gets the same task. */
export const IDEMPOTENCY_KEPT_MS = 24 * 3_600_000;
/** A create under way holds its key this long: past it, a holder that died no longer blocks the retry. */
const CREATE_LEASE_MS = 30_000;

/** The request's `Idempotency-Key`: undefined when absent, null when it is not a key. */
function idempotencyKey(event: APIGatewayProxyEventV2): string | undefined | null {
  const header = Object.entries(event.headers ?? {}).find(
    ([name]) => name.toLowerCase() === 'idempotency-key',
  );
  if (!header) return undefined;
  const value = header[1] ?? '';
  return /^[\x21-\x7e]{1,255}$/.test(value) ? value : null;
}

/**
 * A create with an `Idempotency-Key` (as Stripe's and the IETF draft's): the first request opens the task and
 * the key remembers it, per caller, for a day; a retry of it (the answer lost on the way, a client's timeout)
 * gets that task again, 200 with `Idempotent-Replayed: true`, instead of a second one; a retry while the first
 * is still under way is told so (409). Should the first fail, the key is released and the retry opens it.
 */
async function openOnce(
  deps: HouseDeps,
  caller: Caller,
  key: string,
  digest: string,
  open: () => ReturnType<typeof openTask>,
): Promise<HttpResult> {
  const scope = `api-create:${caller.actor.id}`;
  const token = deps.newId();
  const now = deps.clock.now();
  const leaseUntil = new Date(now.getTime() + CREATE_LEASE_MS).toISOString();
  const begun = await deps.seen.begin(scope, key, { token, now: now.toISOString(), leaseUntil });
  if (begun === 'in-progress')
    return problem(409, 'IN_PROGRESS', 'A request with this Idempotency-Key is still being processed');
  if (begun === 'done') {
    const [id, asked] = (await deps.seen.outcomeOf(scope, key))?.split(' ') ?? [];
    // The same key with another body is another request, not a retry: refused, as Stripe and the IETF draft do.
    if (asked !== undefined && asked !== digest)
      return problem(422, 'IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used for another request body');
    const task = id ? await deps.store.get(id) : undefined;
    if (task)
      return json(200, { task }, { location: `/api/tasks/${task.id}`, 'idempotent-replayed': 'true' });
    return problem(409, 'IDEMPOTENCY_KEY_USED', 'This Idempotency-Key was used for a task that is gone');
  }
  let opened: Awaited<ReturnType<typeof openTask>>;
  try {
    opened = await open();
  } catch (error) {
    await deps.seen.release(scope, key, token);
    throw error;
  }
  if (!opened.ok) {
    await deps.seen.release(scope, key, token);
    return fromError(opened.error);
  }
  const keptUntil = new Date(now.getTime() + IDEMPOTENCY_KEPT_MS).toISOString();
  await deps.seen.complete(scope, key, token, keptUntil, `${opened.value.id} ${digest}`);
  return json(201, { task: opened.value }, { location: `/api/tasks/${opened.value.id}` });
}

/** `POST /api/tasks/{id}/actions`: one lifecycle command, as the card's button or the subcommand sends it. */
export async function taskActionRoute(
  deps: HouseDeps,
  event: APIGatewayProxyEventV2,
  caller: Caller,
): Promise<HttpResult> {
  const body = readJsonBody(event, TaskActionBody);
  if (!body.ok) return body.refusal;
  if (body.value.action === 'escalate') {
    // Its next notify step now (issue 19); the escalations stream consumer sends it.
    const escalated = await escalateNow(deps, {
      taskId: decoded(event.pathParameters?.id ?? ''),
      user: caller.actor.id,
      role: caller.role,
      via: 'api',
    });
    if (!escalated.ok) return fromError(escalated.error);
    return json(200, { task: escalated.value.task });
  }
  const command = commandOf(body.value, deps.clock.now());
  if ('refusal' in command) return command.refusal;
  const acted = await actOnTask(deps, {
    taskId: decoded(event.pathParameters?.id ?? ''),
    command,
    role: caller.role,
    ctx: changeContextOf(caller),
  });
  if (!acted.ok) return fromError(acted.error);
  return json(200, { task: acted.value.task });
}

/**
 * `PATCH /api/tasks/{id}`: title, description, priority, assignee, labels, in one change (one version), through
 * the lifecycle and RBAC Slack's controls go through (src/core/use-cases/patch-task.ts). `If-Match` with the
 * version last read makes it conditional: 409 VERSION_CONFLICT, with the version now, when the task moved on.
 * Without it the patch applies to the task as it is when written.
 */
export async function patchTaskRoute(
  deps: HouseDeps,
  event: APIGatewayProxyEventV2,
  caller: Caller,
): Promise<HttpResult> {
  // A viewer is told before the body is read: every field of a patch is a change they may not make.
  if (caller.role === 'viewer') {
    const allowed = authorize(caller.role, 'edit', caller.actor.id);
    if (!allowed.ok) return fromError(allowed.error);
  }
  const ifVersion = ifMatchVersion(event);
  if (ifVersion === null)
    return problem(
      400,
      'INVALID_INPUT',
      'If-Match: one task version as its ETag gives it, such as "3" (or W/"3"), or *',
    );
  const body = readJsonBody(event, PatchTaskBody);
  if (!body.ok) return body.refusal;
  const patched = await patchTask(deps, {
    taskId: decoded(event.pathParameters?.id ?? ''),
    patch: body.value,
    ...(ifVersion !== undefined ? { ifVersion } : {}),
    role: caller.role,
    ctx: changeContextOf(caller),
  });
  if (!patched.ok) {
    const refused = fromError(patched.error);
    const now = patched.error.context.version;
    return now === undefined ? refused : { ...refused, headers: { ...refused.headers, etag: etag(now) } };
  }
  const { task } = patched.value;
  return json(200, { task }, { etag: etag(task.version) });
}

/** A task's version as its entity tag: strong, as a version names one state of the task exactly. */
export const etag = (version: number): string => `"${version}"`;

/**
 * The version `If-Match` names: undefined without the header (or with `*`, any current task), null when it
 * is not one version: `"3"`, its weak form `W/"3"` (a client that cannot tell them apart sends what it got),
 * or a bare `3`. A list of several is refused: a task is at one version, and the caller means one.
 */
function ifMatchVersion(event: APIGatewayProxyEventV2): number | undefined | null {
  const value = header(event, 'if-match');
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '*') return undefined;
  const match = /^(?:W\/)?"([1-9]\d{0,14})"$|^([1-9]\d{0,14})$/.exec(text);
  const digits = match?.[1] ?? match?.[2];
  return digits === undefined ? null : Number(digits);
}

/**
 * `DELETE /api/tasks/{id}`: admins only. The task, its timeline and its hold on its alert's fingerprint go;
 * its card says who deleted it (from the stream's REMOVE record). 204, and 404 for a task already gone.
 */
export async function deleteTaskRoute(
  deps: HouseDeps,
  event: APIGatewayProxyEventV2,
  caller: Caller,
): Promise<HttpResult> {
  const deleted = await deleteTask(deps, {
    taskId: decoded(event.pathParameters?.id ?? ''),
    role: caller.role,
    ctx: changeContextOf(caller),
  });
  if (!deleted.ok) return fromError(deleted.error);
  const task = deleted.value;
  // Its timeline is gone with it: the log is where the deletion stays on record, with who did it.
  logger.info('task deleted', {
    taskId: task.id,
    actor: caller.actor,
    via: caller.via,
    title: task.title,
    service: task.service,
    status: task.status,
    version: task.version,
    fingerprint: task.fingerprint,
  });
  return { statusCode: 204 };
}

/** The lifecycle command an action asks for, as Slack's controls map theirs (src/bot/listeners). */
function commandOf(body: TaskActionBody, now: Date): LifecycleAction | { readonly refusal: HttpResult } {
  switch (body.action) {
    case 'acknowledge':
    case 'claim':
    case 'start':
    case 'reopen':
    case 'unsnooze':
      return { type: body.action };
    case 'resolve':
      return { type: 'resolve', resolution: body.note ?? null };
    case 'comment':
      return { type: 'comment', text: body.note ?? '' };
    case 'snooze': {
      const until = snoozeUntil(body.duration ?? '', now);
      if (!until.ok) return { refusal: problem(400, 'INVALID_INPUT', `duration: ${until.error.message}`) };
      return { type: 'snooze', until: until.value };
    }
    case 'escalate':
      return { refusal: problem(500, 'INTERNAL', 'escalate is not a lifecycle command', {}) };
  }
}

const knownServices = (deps: HouseDeps): string[] =>
  [...new Set([...Object.keys(deps.config.services), deps.config.defaults.service])].slice(0, 10);

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // not valid percent-encoding: it will not parse as a task id either
  }
}
