import { renderCard } from '../../card.js';
import type { BotDeps } from '../../context.js';
import { clip, mention } from '../../text.js';
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
    blocks: [...card.blocks, ...historySections(`*History*${link ? ` · <${link}|card>` : ''}`, history)],
  };
}

/** A section's text stays well inside Slack's 3,000 characters. */
const SECTION_BUDGET = 2_800;

/**
 * The history as sections that each fit: ten quoted notes, escaped, can outgrow one section, and a section
 * cut to fit would drop the newest lines without a word.
 */
function historySections(heading: string, lines: readonly string[]) {
  const sections: string[][] = [[heading]];
  let size = heading.length;
  for (const line of lines) {
    const bounded = clip(line, SECTION_BUDGET);
    if (size + bounded.length + 1 > SECTION_BUDGET) {
      sections.push([]);
      size = 0;
    }
    (sections.at(-1) as string[]).push(bounded);
    size += bounded.length + 1;
  }
  return sections.map((chunk) => ({ type: 'section', text: { type: 'mrkdwn', text: chunk.join('\n') } }));
}
