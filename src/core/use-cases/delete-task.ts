import { DomainError } from '../errors.js';
import type { CardStore, FingerprintIndex, TaskRepository } from '../ports.js';
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
 * In this order, so a deleter killed at any step leaves what a retry finishes: the fingerprint first (a task
 * still there but no longer its alert's, which a new alert of it does not touch), then the card marked due
 * (its sync, finding no task, retires it: the stream's record of the deletion is not the only way there),
 * then the task (the delete is refused if it changed meanwhile, and read again), then its history, which a
 * retried delete, finding no task, removes anyway before it answers "no such task".
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
      await deps.store.dropHistory(id);
      return fail(new DomainError('TASK_NOT_FOUND', `There is no task ${id}`, { taskId: id }));
    }
    if (task.fingerprint) await deps.store.forgetTask(task.fingerprint, id);
    const now = deps.clock.now().toISOString();
    const deletion = { by: request.ctx.actor.id, at: now };
    await deps.cards?.markCardDeleted(id, deletion, now);
    if ((await deps.store.deleteTask(id, task.version, deletion)) === 'saved') {
      await deps.store.dropHistory(id);
      return ok(task);
    }
    await deps.sleep(backoff(attempt));
  }
  throw new ContentionError(`${id} is changing too fast to delete; try again`, { taskId: id });
}
