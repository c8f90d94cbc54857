import type { DomainError } from '../../core/errors.js';
import type { LifecycleAction } from '../../core/lifecycle.js';
import type { Role } from '../../core/rbac.js';
import { actOnTask } from '../../core/use-cases/act-on-task.js';
import type { BotDeps } from '../context.js';
import { asSentence, slackText } from '../slack-errors.js';
import { mention, slackDate } from '../text.js';

const DONE: Record<LifecycleAction['type'], string> = {
  acknowledge: 'You acknowledged',
  claim: 'You claimed',
  start: 'You started work on',
  resolve: 'You resolved',
  reopen: 'You reopened',
  assign: 'You assigned',
  snooze: 'You snoozed',
  unsnooze: 'You ended the snooze of',
  set_priority: 'You changed the priority of',
  comment: 'You commented on',
  edit: 'You edited',
  occur: 'Recorded an occurrence of',
  escalate: 'You escalated',
};

/** A change to one task, by a person: the same path for a command, a button and a modal. */
export async function act(
  deps: BotDeps,
  taskId: string,
  command: LifecycleAction,
  role: Role,
  user: string,
): Promise<{
  readonly ok: boolean;
  readonly text: string;
  readonly version?: number;
  /** The refusal, for a surface that words it its own way (a modal's plain text). */
  readonly refusal?: DomainError;
}> {
  const result = await actOnTask(deps, {
    taskId,
    command,
    role,
    ctx: { actor: { type: 'user', id: user }, via: 'slack' },
  });
  // A refusal is shown as a sentence of its own, whichever way the domain worded its end.
  if (!result.ok) return { ok: false, text: asSentence(slackText(result.error)), refusal: result.error };
  const task = result.value.task;
  const detail =
    command.type === 'assign' && command.assignee
      ? ` to ${mention(command.assignee)}`
      : command.type === 'set_priority'
        ? ` to ${command.priority}`
        : command.type === 'snooze'
          ? ` until ${slackDate(command.until)}`
          : '';
  return { ok: true, text: `${DONE[command.type]} *${task.id}*${detail}.`, version: task.version };
}
