import type { TimelineEntry } from '../../../core/timeline.js';
import { renderCard } from '../../card.js';
import type { BotDeps } from '../../context.js';
import { escapeMrkdwn, mention, mrkdwn, slackDate } from '../../text.js';
import { type Asker, type CommandOf, type Reply, text } from './reply.js';

/** `/tms show <id>`: the task's card as this person would see it, with its last ten history lines. */
export async function show(deps: BotDeps, command: CommandOf<'show'>, asker: Asker): Promise<Reply> {
  const id = command.id;
  const task = await deps.store.get(id);
  if (!task) return text(`There is no task ${id}.`);
  const now = deps.clock.now();
  const card = renderCard(task, { now, viewer: { id: asker.user, role: asker.role } });
  const history = (await deps.store.timeline(id)).slice(-10).map((e) => `• ${historyLine(e)}`);
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

function historyLine(entry: TimelineEntry): string {
  const who = entry.actor.type === 'user' ? mention(entry.actor.id) : escapeMrkdwn(entry.actor.id);
  const when = slackDate(entry.at, '{date_short_pretty} {time}');
  const what: Record<TimelineEntry['type'], string> = {
    opened: 'opened it',
    occurred: 'saw it fire again',
    acknowledged: 'acknowledged',
    assigned: 'changed the assignee',
    started: 'started work',
    resolved: 'resolved it',
    reopened: 'reopened it',
    snoozed: 'snoozed it',
    unsnoozed: 'ended the snooze',
    priority_changed: 'changed the priority',
    commented: 'commented',
  };
  let detail = '';
  if (entry.type === 'assigned') detail = entry.to ? ` to ${mention(entry.to)}` : ' to nobody';
  if (entry.type === 'priority_changed') detail = ` ${entry.from} → ${entry.to}`;
  if (entry.type === 'resolved' && entry.resolution) detail = `: ${mrkdwn(entry.resolution, 200)}`;
  if (entry.type === 'commented') detail = `: ${mrkdwn(entry.text, 200)}`;
  return `${when} ${who} ${what[entry.type]}${detail}`;
}
