import { authorize } from '../../../core/rbac.js';
import { openTask } from '../../../core/use-cases/open-task.js';
import { USAGE } from '../../command.js';
import type { BotDeps } from '../../context.js';
import { slackText } from '../../slack-errors.js';
import { escapeMrkdwn } from '../../text.js';
import { newTaskModal } from '../../views.js';
import { type Asker, type CommandOf, type Reply, text } from './reply.js';

/** `/tms new <title> …` opens a task; a bare `/tms new` opens the form that asks for everything. */
export async function newTask(deps: BotDeps, command: CommandOf<'new'>, asker: Asker): Promise<Reply> {
  if (!command.title) {
    // Refused before the form opens, by the same table openTask checks when the form comes back.
    if (!authorize(asker.role, 'create', asker.user).ok)
      return text('You have read-only access to TMS, so you cannot open tasks.');
    return { modal: newTaskModal(deps.config, asker.channel) };
  }
  const opened = await openTask(deps, {
    title: command.title,
    ...(command.priority ? { priority: command.priority } : {}),
    ...(command.service ? { service: command.service } : {}),
    channel: asker.channel,
    assignee: command.assignee ?? null,
    role: asker.role,
    ctx: { actor: { type: 'user', id: asker.user }, via: 'slack', now: deps.clock.now() },
  });
  if (!opened.ok) return text(`${slackText(opened.error)}.\nUsage: ${USAGE.new}`);
  return text(
    opened.value.channel === asker.channel
      ? `Opened *${opened.value.id}* (${opened.value.priority}): its card is on its way here.`
      : `Opened *${opened.value.id}* (${opened.value.priority}) for ${escapeMrkdwn(opened.value.service)}: its card is in <#${opened.value.channel}>.`,
  );
}
