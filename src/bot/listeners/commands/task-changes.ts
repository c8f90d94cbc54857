import { type Command, snoozeUntil } from '../../../core/lifecycle.js';
import { USAGE } from '../../command.js';
import type { BotDeps } from '../../context.js';
import { escapeMrkdwn } from '../../text.js';
import { act } from '../act.js';
import { type Asker, type CommandOf, type Reply, text } from './reply.js';

type TaskChange = CommandOf<
  'claim' | 'ack' | 'start' | 'reopen' | 'assign' | 'priority' | 'comment' | 'snooze'
>;

/** `/tms claim|ack|start|reopen|assign|priority|comment|snooze <id> …`: one lifecycle command on one task. */
export async function changeTask(deps: BotDeps, command: TaskChange, asker: Asker): Promise<Reply> {
  let change: Command;
  switch (command.name) {
    case 'snooze': {
      const until = snoozeUntil(command.duration, deps.clock.now());
      if (!until.ok) return text(`${escapeMrkdwn(until.error.message)}.\nUsage: ${USAGE.snooze}`);
      change = { type: 'snooze', until: until.value };
      break;
    }
    case 'claim':
      change = { type: 'claim' };
      break;
    case 'ack':
      change = { type: 'acknowledge' };
      break;
    case 'start':
      change = { type: 'start' };
      break;
    case 'reopen':
      change = { type: 'reopen' };
      break;
    case 'assign':
      change = { type: 'assign', assignee: command.assignee };
      break;
    case 'priority':
      change = { type: 'set_priority', priority: command.priority };
      break;
    case 'comment':
      change = { type: 'comment', text: command.text };
      break;
  }
  return act(deps, command.id, change, asker.role, asker.user);
}
