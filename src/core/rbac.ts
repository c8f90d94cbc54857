import type { Config } from './config.js';
import { DomainError, person, sentence } from './errors.js';
import type { LifecycleAction } from './lifecycle.js';
import { fail, ok, type Result } from './result.js';
import type { Task } from './task.js';

export const ROLES = ['admin', 'developer', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** What a person may ask for; lifecycle actions on a task map to these by who holds the task and what changes. */
export type Action =
  | 'view'
  | 'create'
  | 'comment'
  | 'acknowledge'
  | 'claim'
  | 'start'
  | 'resolve'
  | 'reopen'
  /** Assign a task that nobody holds, or that the actor holds, to anyone. */
  | 'assign'
  /** Take a task away from the person who holds it (another than the actor). */
  | 'reassign'
  | 'snooze'
  /** Rewrite a task's title, description or labels: what everyone on its card reads it as. */
  | 'edit'
  | 'raise_priority'
  /** Lowering priority hides an incident from the SLA clocks, so it is kept to whoever holds the task. */
  | 'lower_priority'
  | 'silence'
  /** Page the next step of a task's escalation now, without waiting for it (`/tms escalate`). */
  | 'escalate'
  /** Remove a task and its history for good (one opened by mistake, a test): admins only. */
  | 'delete'
  | 'administer';

/** `yes`, `no`, or `holder`: allowed when the actor holds the task or nobody does. */
type Rule = 'yes' | 'no' | 'holder';

/** Who may do what: the single table every entry point (Slack, API, Step Functions) checks. */
export const PERMISSIONS: Readonly<Record<Action, Readonly<Record<Role, Rule>>>> = {
  view: { admin: 'yes', developer: 'yes', viewer: 'yes' },
  create: { admin: 'yes', developer: 'yes', viewer: 'no' },
  comment: { admin: 'yes', developer: 'yes', viewer: 'no' },
  acknowledge: { admin: 'yes', developer: 'yes', viewer: 'no' },
  claim: { admin: 'yes', developer: 'yes', viewer: 'no' },
  start: { admin: 'yes', developer: 'holder', viewer: 'no' },
  resolve: { admin: 'yes', developer: 'yes', viewer: 'no' },
  reopen: { admin: 'yes', developer: 'yes', viewer: 'no' },
  assign: { admin: 'yes', developer: 'yes', viewer: 'no' },
  reassign: { admin: 'yes', developer: 'no', viewer: 'no' },
  snooze: { admin: 'yes', developer: 'holder', viewer: 'no' },
  // As a snooze: how a held task is described is its holder's (anyone may comment on it); an unheld one is
  // anyone's to put right. Resolving is open to every developer because it ends the work, not renames it.
  edit: { admin: 'yes', developer: 'holder', viewer: 'no' },
  raise_priority: { admin: 'yes', developer: 'yes', viewer: 'no' },
  lower_priority: { admin: 'yes', developer: 'holder', viewer: 'no' },
  silence: { admin: 'yes', developer: 'yes', viewer: 'no' },
  escalate: { admin: 'yes', developer: 'yes', viewer: 'no' },
  // A task's history is the record of an incident: removing it is an admin's decision, never a holder's.
  delete: { admin: 'yes', developer: 'no', viewer: 'no' },
  administer: { admin: 'yes', developer: 'no', viewer: 'no' },
};

/**
 * A person's role from the config's `rbac` section, by their user id or any user group they are in.
 * Admin wins over viewer when both name them, so an admin is never locked out by a group.
 */
export function roleOf(userId: string, groups: readonly string[], rbac: Config['rbac']): Role {
  const ids = new Set([userId, ...groups]);
  if (rbac.admins.some((id) => ids.has(id))) return 'admin';
  if (rbac.viewers.some((id) => ids.has(id))) return 'viewer';
  return rbac.default;
}

/** The permission a lifecycle action on a task amounts to, for the actor. */
export function actionFor(
  command: LifecycleAction,
  task: Pick<Task, 'assignee' | 'priority'>,
  actorId: string,
): Action {
  switch (command.type) {
    case 'assign':
      return task.assignee && task.assignee !== actorId ? 'reassign' : 'assign';
    case 'set_priority':
      return command.priority < task.priority ? 'raise_priority' : 'lower_priority';
    case 'unsnooze':
      return 'snooze';
    case 'occur':
      return 'administer';
    default:
      return command.type;
  }
}

/**
 * What an action does, as the end of "you cannot …" or "can … it": `target` is what it is done to (a task's
 * id, `it`), tasks in general when absent. A phrase per action, so no refusal ends on a dangling "on".
 */
const DESCRIPTIONS: Record<Action, (target: string) => string> = {
  view: (t) => `see ${t}`,
  create: () => 'open tasks',
  comment: (t) => `comment on ${t}`,
  acknowledge: (t) => `acknowledge ${t}`,
  claim: (t) => `claim ${t}`,
  start: (t) => `start work on ${t}`,
  resolve: (t) => `resolve ${t}`,
  reopen: (t) => `reopen ${t}`,
  assign: (t) => `assign ${t}`,
  reassign: (t) => `reassign ${t}`,
  snooze: (t) => `snooze ${t}`,
  edit: (t) => `edit ${t}`,
  raise_priority: (t) => `raise the priority of ${t}`,
  lower_priority: (t) => `lower the priority of ${t}`,
  silence: () => 'silence alerts',
  escalate: (t) => `escalate ${t}`,
  delete: (t) => `delete ${t}`,
  administer: () => 'change how TMS is set up',
};
const phrase = (action: Action, target = 'tasks'): string => DESCRIPTIONS[action](target);

/** Allowed, or a refusal that says why and what would allow it. Nothing changes on a refusal. */
export function authorize(
  role: Role,
  action: Action,
  actorId: string,
  task?: Pick<Task, 'id' | 'assignee'>,
): Result<void, DomainError> {
  const rule = PERMISSIONS[action][role];
  const holds = !task?.assignee || task.assignee === actorId;
  if (rule === 'yes' || (rule === 'holder' && holds)) return ok(undefined);
  const context = {
    role,
    action,
    user: actorId,
    ...(task ? { taskId: task.id, holder: task.assignee } : {}),
  };
  if (role === 'viewer') {
    return fail(
      new DomainError(
        'NOT_ALLOWED',
        `You have read-only access to TMS, so you cannot ${phrase(action)}. Ask an admin for the developer role.`,
        context,
      ),
    );
  }
  if (rule === 'holder' && task) {
    return fail(
      new DomainError(
        'NOT_ALLOWED',
        sentence`Only ${person(task.assignee)}, who has ${task.id}, or an admin can ${phrase(action, 'it')}.`,
        context,
      ),
    );
  }
  if (action === 'reassign' && task) {
    return fail(
      new DomainError(
        'NOT_ALLOWED',
        sentence`${task.id} is ${person(task.assignee)}'s: only they or an admin can reassign it.`,
        context,
      ),
    );
  }
  return fail(new DomainError('NOT_ALLOWED', `Only admins can ${phrase(action)}.`, context));
}
