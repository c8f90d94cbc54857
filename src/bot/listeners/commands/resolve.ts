import { isResolved } from '../../../core/task.js';
import type { BotDeps } from '../../context.js';
import { act } from '../act.js';
import { type Asker, type CommandOf, type Reply, text } from './reply.js';

/** `/tms resolve <id> <note>` resolves at once; without a note, the resolution form asks for one. */
export async function resolve(deps: BotDeps, command: CommandOf<'resolve'>, asker: Asker): Promise<Reply> {
  if (!command.note) {
    const task = await deps.store.get(command.id);
    if (!task) return text(`There is no task ${command.id}.`);
    if (isResolved(task)) return text(`${task.id} is already resolved.`);
    const { resolveModal } = await import('../../views.js');
    return { modal: resolveModal(task, asker.channel) };
  }
  return act(deps, command.id, { type: 'resolve', resolution: command.note }, asker.role, asker.user);
}
