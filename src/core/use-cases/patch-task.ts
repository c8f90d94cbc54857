import { DomainError } from '../errors.js';
import { applyAction, type LifecycleAction, type Transition } from '../lifecycle.js';
import type { TaskRepository } from '../ports.js';
import { actionFor, authorize, type Role } from '../rbac.js';
import { fail, ok, type Result } from '../result.js';
import type { Priority, Task } from '../task.js';
import type { ChangeContext, TimelineEntry } from '../timeline.js';
import { backoff, ContentionError, type Deps, MAX_ATTEMPTS, taskIdFrom } from './deps.js';

/** What a patch may set: each field only when given. */
export interface TaskPatch {
  readonly title?: string;
  readonly description?: string;
  readonly priority?: Priority;
  readonly assignee?: string | null;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface PatchRequest {
  /** `TMS-42` or `42`. */
  readonly taskId: string;
  readonly patch: TaskPatch;
  /** The version the caller last saw (`If-Match`): refused with VERSION_CONFLICT when the task moved on. */
  readonly ifVersion?: number;
  readonly role: Role;
  readonly ctx: Omit<ChangeContext, 'now'>;
}

/**
 * Several fields of a task changed at once (the API's PATCH), through the lifecycle actions Slack's controls
 * use (`edit`, `set_priority`, `assign`), each authorized as Slack authorizes it, and saved as one change: one
 * version, one write, every entry. A field that already has its value is left out, so a retried patch is no
 * refusal and no new version; a patch that changes nothing answers the task as it is.
 *
 * The actions apply in that order, each to the task as the ones before left it, and each is authorized on
 * that task: the assignment goes last, so what the caller may do is judged before they hand the task away
 * (as someone doing the same in Slack would, one step after another).
 */
export async function patchTask(
  deps: Deps<TaskRepository>,
  request: PatchRequest,
): Promise<Result<Transition, DomainError>> {
  const parsed = taskIdFrom(request.taskId);
  if (!parsed.ok) return parsed;
  const id = parsed.value;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const ctx: ChangeContext = { ...request.ctx, now: deps.clock.now() };
    const task = await deps.store.get(id);
    if (!task) return fail(new DomainError('TASK_NOT_FOUND', `There is no task ${id}`, { taskId: id }));
    if (request.ifVersion !== undefined && task.version !== request.ifVersion)
      return fail(
        new DomainError(
          'VERSION_CONFLICT',
          `${id} changed since version ${request.ifVersion}: it is at version ${task.version} now; read it again and retry`,
          { taskId: id, version: task.version },
        ),
      );
    const changed = inSequence(task, commandsFor(task, request.patch), request.role, ctx);
    if (!changed.ok) return changed;
    if (changed.value.entries.length === 0) return ok({ task, entries: [] });
    const saved = await deps.store.save(changed.value.task, changed.value.entries, task.version);
    if (saved === 'saved') return changed;
    // Someone else's change came first: with If-Match that is the caller's conflict, told at the next read;
    // without it the patch applies to the task as it is now.
    await deps.sleep(backoff(attempt));
  }
  throw new ContentionError(`${id} is changing too fast to apply the change; try again`, { taskId: id });
}

/** The actions a patch amounts to on this task: only the fields whose value it changes. */
function commandsFor(task: Task, patch: TaskPatch): LifecycleAction[] {
  const edit = {
    ...(patch.title !== undefined && patch.title.trim() !== task.title ? { title: patch.title } : {}),
    ...(patch.description !== undefined && patch.description.trim() !== task.description
      ? { description: patch.description }
      : {}),
    ...(patch.labels !== undefined && !sameLabels(patch.labels, task.labels) ? { labels: patch.labels } : {}),
  };
  return [
    ...(Object.keys(edit).length > 0 ? [{ type: 'edit' as const, ...edit }] : []),
    ...(patch.priority !== undefined && patch.priority !== task.priority
      ? [{ type: 'set_priority' as const, priority: patch.priority }]
      : []),
    ...(patch.assignee !== undefined && patch.assignee !== task.assignee
      ? [{ type: 'assign' as const, assignee: patch.assignee }]
      : []),
  ];
}

function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && b[key] === a[key])
  );
}

/**
 * The actions applied one after another to the task in memory, as one change: the next version, with every
 * action's entries numbered in order under it. The first refusal refuses the whole patch.
 */
function inSequence(
  task: Task,
  commands: readonly LifecycleAction[],
  role: Role,
  ctx: ChangeContext,
): Result<Transition, DomainError> {
  let current = task;
  const entries: TimelineEntry[] = [];
  for (const command of commands) {
    // People are authorized; TMS itself (the API token, an admin) is not, as in actOnTask.
    if (ctx.actor.type === 'user') {
      const allowed = authorize(role, actionFor(command, current, ctx.actor.id), ctx.actor.id, current);
      if (!allowed.ok) return allowed;
    }
    const applied = applyAction(current, command, ctx);
    if (!applied.ok) return applied;
    current = applied.value.task;
    entries.push(...applied.value.entries);
  }
  const version = task.version + 1;
  return ok({
    task: { ...current, version },
    entries: entries.map((entry, seq) => ({ ...entry, version, seq })),
  });
}
