import { DomainError } from '../errors.js';
import type { CardStore, FingerprintIndex, TaskDeletion, TaskRepository } from '../ports.js';
import { authorize, type Role } from '../rbac.js';
import { fail, ok, type Result } from '../result.js';
import type { Task } from '../task.js';
import type { ChangeContext } from '../timeline.js';
import { backoff, ContentionError, type Deps, MAX_ATTEMPTS, taskIdFrom } from './deps.js';

export interface DeleteRequest {
  /** `TMS-42` or `42`. */
  readonly taskId: string;
  readonly role: Role;
  readonly ctx: Omit<ChangeContext, 'now'>;
}

/**
 * A task removed for good (opened by mistake, a drill): its item, its timeline, and its hold on its alert's
 * fingerprint, so the alert firing again opens a new task. The card follows from the stream's REMOVE record.
 * The aggregates that already counted it stay: the incident happened, and MTTA or a trend do not un-happen.
 *
 * In this order, so a deleter killed at any step leaves what a retry (or the alert's next writer) finishes: the
 * card marked due (its sync, finding no task, retires it: the stream's record of the deletion is not the only
 * way there), then the task, refused if it changed meanwhile and read again, with its tombstone written just
 * before (see `TaskRepository.deletion`), then its hold on its alert and its history, which a retried delete,
 * finding no task, lets go of from the tombstone before it answers "no such task". The hold goes last, not
 * first: a delete that never succeeds (a storm of its alert bumping the version every time) must leave the task
 * its alert's, or the alert could never resolve it. An alert bound to a deleted task opens a new one.
 */
export async function deleteTask(
  deps: Deps<TaskRepository & FingerprintIndex> & {
    /** The task's Slack card, marked before the task goes (see `CardStore.markCardDeleted`). */
    readonly cards?: Pick<CardStore, 'markCardDeleted'>;
  },
  request: DeleteRequest,
): Promise<Result<Task, DomainError>> {
  const parsed = taskIdFrom(request.taskId);
  if (!parsed.ok) return parsed;
  const id = parsed.value;
  // Refused before anything is read: whether the task exists is not a developer's to learn this way either.
  const allowed = authorize(request.role, 'delete', request.ctx.actor.id);
  if (!allowed.ok) return allowed;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const task = await deps.store.get(id);
    if (!task) {
      await finish(deps, id, await deps.store.deletion(id));
      return fail(new DomainError('TASK_NOT_FOUND', `There is no task ${id}`, { taskId: id }));
    }
    const now = deps.clock.now().toISOString();
    const deletion = {
      by: request.ctx.actor.id,
      at: now,
      ...(task.fingerprint ? { fingerprint: task.fingerprint } : {}),
    };
    await deps.cards?.markCardDeleted(id, { by: deletion.by, at: deletion.at }, now);
    if ((await deps.store.deleteTask(id, task.version, deletion)) === 'saved') {
      await finish(deps, id, deletion);
      return ok(task);
    }
    await deps.sleep(backoff(attempt));
  }
  throw new ContentionError(`${id} is changing too fast to delete; try again`, { taskId: id });
}

/** What goes once the task has: its hold on its alert (as the tombstone names it) and its timeline. */
async function finish(
  deps: Deps<TaskRepository & FingerprintIndex>,
  id: string,
  deletion: TaskDeletion | undefined,
): Promise<void> {
  if (deletion?.fingerprint) await deps.store.forgetTask(deletion.fingerprint, id);
  await deps.store.dropHistory(id);
}
