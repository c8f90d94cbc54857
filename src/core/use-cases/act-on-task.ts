import { DomainError, type MessagePart, person, sentence } from '../errors.js';
import { applyAction, type LifecycleAction, type Transition } from '../lifecycle.js';
import type { FingerprintIndex, TaskRepository } from '../ports.js';
import { actionFor, authorize, type Role } from '../rbac.js';
import { fail, ok, type Result } from '../result.js';
import type { Task } from '../task.js';
import type { ChangeContext } from '../timeline.js';
import { backoff, CLAIM_STALE_MS, ContentionError, type Deps, MAX_ATTEMPTS, taskIdFrom } from './deps.js';

export interface ActRequest {
  /** `TMS-42` or `42`. */
  readonly taskId: string;
  readonly command: LifecycleAction;
  /** The actor's role; people are authorized, schedules and TMS itself are not. */
  readonly role?: Role;
  readonly ctx: Omit<ChangeContext, 'now'>;
}

/**
 * A person (or a schedule) changes a task. Conflicting writes are retried on a fresh read, so of two
 * people who press Claim at once one wins and the other is told who has the task.
 */
export async function actOnTask(
  deps: Deps<TaskRepository & FingerprintIndex>,
  request: ActRequest,
): Promise<Result<Transition, DomainError>> {
  const { store } = deps;
  const parsed = taskIdFrom(request.taskId);
  if (!parsed.ok) return parsed;
  const id = parsed.value;

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const ctx: ChangeContext = { ...request.ctx, now: deps.clock.now() };
    const task = await store.get(id);
    if (!task) return fail(new DomainError('TASK_NOT_FOUND', `There is no task ${id}`, { taskId: id }));

    if (request.ctx.actor.type === 'user') {
      const allowed = authorize(
        request.role ?? 'viewer',
        actionFor(request.command, task, ctx.actor.id),
        ctx.actor.id,
        task,
      );
      if (!allowed.ok) return allowed;
    }
    const applied = applyAction(task, request.command, ctx);
    if (!applied.ok) return applied;

    const reopening = applied.value.task.status !== 'resolved' && task.status === 'resolved';
    let token: string | undefined;
    if (reopening && task.fingerprint) {
      const claimed = await claimForReopen(deps, task, ctx);
      if (claimed === 'retry') {
        await deps.sleep(backoff(attempt));
        continue;
      }
      if (!claimed.ok) return claimed;
      token = claimed.value;
    }

    const saved = await store.save(applied.value.task, applied.value.entries, task.version);
    if (saved === 'conflict') {
      if (token && task.fingerprint) await store.dropClaim(task.fingerprint, token);
      await deps.sleep(backoff(attempt));
      continue;
    }
    if (token && task.fingerprint) await store.bindFingerprint(task.fingerprint, token, task.id);
    if (applied.value.task.status === 'resolved' && task.status !== 'resolved' && task.fingerprint) {
      await store.releaseFingerprint(task.fingerprint, task.id, ctx.now.toISOString());
    }
    return ok(applied.value);
  }
  throw new ContentionError(`${id} is changing too fast to apply ${request.command.type}; try again`, {
    taskId: id,
  });
}

/** An alert task reopens only if its alert has no other open task: at most one open task per fingerprint. */
async function claimForReopen(
  deps: Deps<TaskRepository & FingerprintIndex>,
  task: Task,
  ctx: ChangeContext,
): Promise<Result<string, DomainError> | 'retry'> {
  const fingerprint = task.fingerprint as string;
  const token = deps.newId();
  const staleBefore = new Date(ctx.now.getTime() - CLAIM_STALE_MS).toISOString();
  if (await deps.store.claimFingerprint(fingerprint, token, ctx.now.toISOString(), staleBefore))
    return ok(token);
  const record = await deps.store.fingerprint(fingerprint);
  if (record?.openTaskId) {
    const other = await deps.store.get(record.openTaskId); // fresh: ingest may have reopened it meanwhile
    if (other?.status !== 'resolved') {
      const what = other ? `${other.id} is already open` : `A task is being opened right now`;
      const holder: MessagePart[] = other?.assignee ? sentence` (with ${person(other.assignee)})` : [];
      return fail(
        new DomainError(
          'FINGERPRINT_ALREADY_OPEN',
          [
            ...sentence`${what} for the same alert`,
            ...holder,
            `: work on it instead of reopening ${task.id}`,
          ],
          { taskId: task.id, openTaskId: record.openTaskId, holder: other?.assignee ?? null },
        ),
      );
    }
    // Resolved, but its writer died before releasing the fingerprint: release it, then claim again.
    await deps.store.releaseFingerprint(fingerprint, other.id, other.resolvedAt ?? ctx.now.toISOString());
  }
  return 'retry';
}
