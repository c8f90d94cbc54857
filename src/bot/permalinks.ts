import type { Task } from '../core/task.js';
import type { BotDeps } from './context.js';

/** Each task's card in its channel, for the tasks that have one. */
export async function permalinks(deps: BotDeps, tasks: readonly Task[]): Promise<Map<string, string>> {
  const cards = await Promise.all(tasks.map((t) => deps.cards.card(t.id)));
  const links = new Map<string, string>();
  for (const card of cards) if (card?.permalink) links.set(card.taskId, card.permalink);
  return links;
}
