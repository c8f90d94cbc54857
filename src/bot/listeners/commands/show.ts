import { renderCard } from '../../card.js';
import type { BotDeps } from '../../context.js';
import { mention } from '../../text.js';
import { historyText } from '../../timeline-text.js';
import { type Asker, type CommandOf, type Reply, text } from './reply.js';

/** `/tms show <id>`: the task's card as this person would see it, with its last ten history lines. */
export async function show(deps: BotDeps, command: CommandOf<'show'>, asker: Asker): Promise<Reply> {
  const id = command.id;
  const task = await deps.store.get(id);
  if (!task) return text(`There is no task ${id}.`);
  const now = deps.clock.now();
  const card = renderCard(task, { now, viewer: { id: asker.user, role: asker.role } });
  const history = (await deps.store.timeline(id)).slice(-10).map((e) => `• ${historyText(e, mention)}`);
  const link = (await deps.cards.card(id))?.permalink;
  return {
    text: card.text,
    blocks: [
      ...card.blocks,
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `*History*${link ? ` · <${link}|card>` : ''}\n${history.join('\n')}` },
      },
    ],
  };
}
