import type { LifecycleAction } from '../../../core/lifecycle.js';
import { snoozeUntil } from '../../../core/lifecycle.js';
import type { Clock } from '../../../core/ports.js';
import { USAGE } from '../../command.js';
import type { BotDeps } from '../../context.js';
import { asSentence, slackText } from '../../slack-errors.js';
import { act } from '../act.js';
import { type Asker, type CommandOf, type Reply, text } from './reply.js';

type TaskChange = CommandOf<
  'claim' | 'ack' | 'start' | 'reopen' | 'unsnooze' | 'assign' | 'priority' | 'comment' | 'snooze'
>;

/** `/tms claim|ack|start|reopen|unsnooze|assign|priority|comment|snooze <id> …`: one lifecycle command on one task. */
export async function changeTask(deps: BotDeps, command: TaskChange, asker: Asker): Promise<Reply> {
  const change = toChange(command, deps.clock);
  if ('problem' in change) return text(change.problem);
  return act(deps, command.id, change, asker.role, asker.user);
}

/** The lifecycle command a subcommand names, or what is wrong with its words. */
function toChange(command: TaskChange, clock: Clock): LifecycleAction | { readonly problem: string } {
  switch (command.name) {
    case 'snooze': {
      const until = snoozeUntil(command.duration, clock.now());
      if (!until.ok) return { problem: `${asSentence(slackText(until.error))}\nUsage: ${USAGE.snooze}` };
      return { type: 'snooze', until: until.value };
    }
    case 'claim':
      return { type: 'claim' };
    case 'ack':
      return { type: 'acknowledge' };
    case 'start':
      return { type: 'start' };
    case 'reopen':
      return { type: 'reopen' };
    case 'unsnooze':
      return { type: 'unsnooze' };
    case 'assign':
      return { type: 'assign', assignee: command.assignee };
    case 'priority':
      return { type: 'set_priority', priority: command.priority };
    case 'comment':
      return { type: 'comment', text: command.text };
  }
}
