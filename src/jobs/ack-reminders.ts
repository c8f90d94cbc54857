import type { KnownBlock } from '@slack/web-api';
import { renderCard } from '../bot/card.js';
import type { BotDeps } from '../bot/context.js';
import { REFUSED_FOR_GOOD, slackFailure } from '../bot/slack-errors.js';
import { fitMessage, link, mrkdwn } from '../bot/text.js';
import { isSlackUserId, type Task } from '../core/task.js';
import { ago } from '../core/time.js';
import type { TimelineEntry, TimelineType } from '../core/timeline.js';
import { logger } from '../runtime/logger.js';
import { once } from './once.js';

const PAGE = 100;
/**
 * How long a reminder's marker is kept. Its key is the acknowledgement (task and `acknowledgedAt`), so however
 * long it is kept no other acknowledgement is held back; kept too short, a task left acknowledged and untouched
 * past it would be reminded a second time. A year, at a few bytes a marker.
 */
const REMEMBER_MS = 365 * 86_400_000;
/**
 * The reminders one sweep sends at most: the first sweep after `escalation.remindAfter` is turned on (or after a
 * long outage) may find many tasks due, and the sweep shares its minute with every other job. The rest are due
 * still, and the next sweeps send them.
 */
const MAX_PER_SWEEP = 50;

/** What happens on a task after its acknowledgement that is not progress: its alert firing again, its escalation. */
// A snooze is not progress either: it puts the work off, and the reminder waits for it to end.
const NOT_PROGRESS: ReadonlySet<TimelineType> = new Set([
  'occurred',
  'escalated',
  'escalation_ended',
  'snoozed',
  'unsnoozed',
]);

/**
 * Whether anything happened to the task since its latest acknowledgement (a reopened task has one per round)
 * other than its alert firing again and its escalation's lines. Without an `acknowledged` entry (a history cut
 * short), the entries after `acknowledgedAt` are what counts.
 */
export function progressedSince(entries: readonly TimelineEntry[], acknowledgedAt: string): boolean {
  let from = -1;
  for (let i = entries.length - 1; i >= 0; i--)
    if (entries[i]?.type === 'acknowledged') {
      from = i;
      break;
    }
  const since = Date.parse(acknowledgedAt);
  const after = from >= 0 ? entries.slice(from + 1) : entries.filter((e) => Date.parse(e.at) > since);
  return after.some((e) => !NOT_PROGRESS.has(e.type));
}

/** Whom the reminder goes to: the assignee, else whoever acknowledged it (when that was a person in Slack). */
export function reminded(task: Pick<Task, 'assignee' | 'acknowledgedBy'>): string | undefined {
  if (isSlackUserId(task.assignee)) return task.assignee;
  if (isSlackUserId(task.acknowledgedBy)) return task.acknowledgedBy;
  return undefined;
}

/**
 * The sweeper's job (issue 19): an acknowledged task (not started, not resolved) whose acknowledgement is older
 * than `escalation.remindAfter` and that saw no progress since reminds its assignee (else whoever acknowledged
 * it) once, in a DM with its card and the card's buttons.
 *
 * Once per acknowledgement: the at-most-once marker is keyed by the task and its `acknowledgedAt`, so a task
 * reopened and acknowledged again can be reminded again, and no two sweeps remind the same acknowledgement.
 *
 * What it costs, per sweep: one list request per 100 acknowledged tasks, and for each whose acknowledgement is
 * old enough (and that is not snoozed) one marker request, which is all a task already settled costs. A task is
 * settled the first time it is looked at: reminded, or found to have progressed, or to have nobody to remind,
 * or refused by Slack for good. Progress is for good too, as a timeline only grows: a task that had progress
 * after this acknowledgement never needs reminding for it, whatever happens next, so its timeline is read once,
 * not every minute. And that one read is saved when the task's `updatedAt` is its `acknowledgedAt`: nothing at
 * all was written to it since. Only a reminder Slack could not take for now (rate limited, down) is looked at
 * again, on the next sweep.
 */
export async function remindAcknowledged(
  deps: BotDeps,
  now: Date,
): Promise<{ checked: number; reminded: number }> {
  const after = deps.config.escalation.remindAfter;
  let checked = 0;
  let sent = 0;
  if (after === false) return { checked, reminded: sent };
  let before: number | null = null;
  do {
    const page = await deps.store.list({ statuses: ['acknowledged'], limit: PAGE, before });
    for (const task of page.tasks) {
      if (sent >= MAX_PER_SWEEP) return { checked, reminded: sent };
      if (!due(task, after, now)) continue;
      checked++;
      if (await remindOnce(deps, task, now)) sent++;
    }
    before = page.next;
  } while (before !== null);
  return { checked, reminded: sent };
}

function due(task: Task, afterMs: number, now: Date): task is Task & { acknowledgedAt: string } {
  if (task.status !== 'acknowledged' || !task.acknowledgedAt) return false;
  if (now.getTime() - Date.parse(task.acknowledgedAt) < afterMs) return false;
  // Snoozed: whoever snoozed it asked for quiet. Not settled, so it is reminded after, if nothing happened.
  return !(task.snoozedUntil && Date.parse(task.snoozedUntil) > now.getTime());
}

/** True when the reminder was sent now; never throws for one task. */
async function remindOnce(
  deps: BotDeps,
  task: Task & { acknowledgedAt: string },
  now: Date,
): Promise<boolean> {
  let sent = false;
  try {
    await once(
      deps,
      'ack-reminder',
      `${task.id}:${task.acknowledgedAt}`,
      new Date(now.getTime() + REMEMBER_MS).toISOString(),
      async () => {
        sent = await remind(deps, task, now);
      },
    );
  } catch (error) {
    logger.warn('acknowledgement reminder not sent; the next sweep tries again', {
      taskId: task.id,
      error: slackFailure(error).error,
    });
    return false;
  }
  return sent;
}

/** Sends the reminder unless the task progressed or has nobody to remind; throws only what may pass. */
async function remind(deps: BotDeps, task: Task & { acknowledgedAt: string }, now: Date): Promise<boolean> {
  const untouched = Date.parse(task.updatedAt) <= Date.parse(task.acknowledgedAt);
  if (!untouched && progressedSince(await deps.store.timeline(task.id), task.acknowledgedAt)) return false;
  const to = reminded(task);
  if (!to) {
    logger.info('acknowledged task has nobody in Slack to remind', {
      taskId: task.id,
      acknowledgedBy: task.acknowledgedBy,
    });
    return false;
  }
  const permalink = (await deps.cards.card(task.id))?.permalink;
  const name = permalink ? link(permalink, task.id) : `*${task.id}*`;
  const line = `:hourglass: ${name} (${task.priority}, ${mrkdwn(task.title, 150)}) was acknowledged ${ago(task.acknowledgedAt, now)} and nothing has happened since: start it, comment, or resolve it.`;
  const head: KnownBlock = { type: 'section', text: { type: 'mrkdwn', text: line } };
  const card = renderCard(task, { now });
  try {
    await deps.slack.chat.postMessage({
      channel: to,
      ...fitMessage({ text: line, blocks: [head, ...card.blocks] }),
      unfurl_links: false,
    });
  } catch (error) {
    const failure = slackFailure(error);
    if (!REFUSED_FOR_GOOD.has(failure.error)) throw error;
    logger.warn('acknowledgement reminder refused by Slack; given up', {
      taskId: task.id,
      to,
      error: failure.error,
    });
    return false;
  }
  return true;
}
