import { authorize } from '../../../core/rbac.js';
import type { Task } from '../../../core/task.js';
import { openTask } from '../../../core/use-cases/open-task.js';
import { type Unrecognised, USAGE } from '../../command.js';
import type { BotDeps } from '../../context.js';
import { openedText } from '../../replies.js';
import { asSentence, slackText } from '../../slack-errors.js';
import { mrkdwn } from '../../text.js';
import { newTaskModal } from '../../views.js';
import { type Asker, type CommandOf, type Reply, text } from './reply.js';

/** How many configured services a reply names before it points elsewhere. */
const SERVICES_NAMED = 10;

/** `/tms new <title> …` opens a task; a bare `/tms new` opens the form that asks for everything. */
export async function newTask(deps: BotDeps, command: CommandOf<'new'>, asker: Asker): Promise<Reply> {
  if (!command.title) {
    // Refused before the form opens, by the same table openTask checks when the form comes back.
    const allowed = authorize(asker.role, 'create', asker.user);
    if (!allowed.ok) return text(asSentence(slackText(allowed.error)));
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
  if (!opened.ok) {
    const refusal = asSentence(slackText(opened.error));
    // A usage line helps with a mistake in the words, not with a permission the person lacks.
    return text(opened.error.code === 'INVALID_INPUT' ? `${refusal}\nUsage: ${USAGE.new}` : refusal);
  }
  const notes = command.unrecognised ? unrecognisedNotes(command.unrecognised, opened.value, deps) : [];
  return text([openedText(opened.value, asker.channel), ...notes].join('\n'));
}

/** What the options held that TMS could not use, and how to say it so that it can. */
function unrecognisedNotes(unrecognised: Unrecognised, task: Task, deps: BotDeps): string[] {
  const notes: string[] = [];
  if (unrecognised.service) {
    const known = Object.keys(deps.config.services);
    const named =
      known.length === 0
        ? 'no services are configured'
        : `known services: ${known.slice(0, SERVICES_NAMED).join(', ')}${known.length > SERVICES_NAMED ? ', …' : ''}`;
    notes.push(
      `“${mrkdwn(unrecognised.service, 100)}” is not a known service, so it stayed in the title (${mrkdwn(named, 1_000)}).`,
    );
  }
  if (unrecognised.person) {
    notes.push(
      `“${mrkdwn(unrecognised.person, 100)}” is not a person Slack recognised, so ${task.id} is unassigned: ` +
        `pick the person from Slack's list as you type @, or use \`/tms assign ${task.id} @person\`.`,
    );
  }
  return notes;
}
