import { type Status, UNRESOLVED } from '../../../core/task.js';
import { taskLine } from '../../card.js';
import type { BotDeps } from '../../context.js';
import { permalinks } from '../../permalinks.js';
import { escapeMrkdwn } from '../../text.js';
import { type Asker, type CommandOf, type Reply, text } from './reply.js';

/** `/tms list [mine|open|all] [service] [p1..p4]`: the newest 20 matching tasks, one line each. */
export async function list(deps: BotDeps, command: CommandOf<'list'>, asker: Asker): Promise<Reply> {
  const statuses: readonly Status[] | undefined = command.scope === 'all' ? undefined : UNRESOLVED;
  const page = await deps.store.list({
    ...(statuses ? { statuses } : {}),
    ...(command.service ? { service: command.service } : {}),
    ...(command.scope === 'mine' ? { assignee: asker.user } : {}),
    limit: command.priority ? 100 : 20,
  });
  const tasks = page.tasks.filter((t) => !command.priority || t.priority === command.priority).slice(0, 20);
  const what = [
    command.scope === 'mine' ? 'Your open tasks' : command.scope === 'all' ? 'All tasks' : 'Open tasks',
    command.service ? `in ${escapeMrkdwn(command.service)}` : '',
    command.priority ? `at ${command.priority}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  if (tasks.length === 0) return text(`${what}: none.`);
  const now = deps.clock.now();
  const links = await permalinks(deps, tasks);
  const lines = tasks.map((t) => `• ${taskLine(t, now, links.get(t.id))}`);
  const more = page.next !== null || page.tasks.length > tasks.length ? '\n_Newest 20 shown._' : '';
  return text(`*${what}*\n${lines.join('\n')}${more}`);
}
