import type { PageTarget } from '../core/escalation-policy.js';
import { isSlackUserId } from '../core/task.js';
import type { TimelineEntry } from '../core/timeline.js';
import { mrkdwn, slackDate } from './text.js';

/**
 * How a person or a source is written in a line: a display name in a card's thread (a record, which must not
 * ping anyone), a mention in `/tms show` (read by the one who asked). Returns mrkdwn, already escaped.
 */
export type NameOf = (id: string) => string;

/** Longest resolution note and comment quoted in a line; a thread line may quote more than a history list. */
export interface QuoteLimits {
  readonly resolution: number;
  readonly comment: number;
}

/** A card's thread: one message per change, so a note or a comment is quoted at length. */
export const THREAD_QUOTES: QuoteLimits = { resolution: 500, comment: 1_000 };
/** `/tms show`'s history: ten lines in one section, so each quotes less. */
export const HISTORY_QUOTES: QuoteLimits = { resolution: 200, comment: 200 };

/**
 * A timeline entry in words, the one wording of TMS: the card's thread and `/tms show`'s history both say
 * a change this way, and differ only in how people are named and how much of a note they quote.
 */
export function timelineText(
  entry: TimelineEntry,
  nameOf: NameOf,
  quotes: QuoteLimits = THREAD_QUOTES,
): string {
  const name = (id: string | null) => (id === null ? 'nobody' : nameOf(id));
  const actor = name(entry.actor.id);
  switch (entry.type) {
    case 'opened':
      return `${actor} opened it`;
    case 'occurred':
      return `${actor} saw it fire again`;
    case 'acknowledged':
      return `${actor} acknowledged`;
    case 'assigned':
      if (entry.to === null) return `${actor} unassigned it`;
      if (entry.to === entry.actor.id) return `${actor} took it`;
      return `${actor} assigned it to ${name(entry.to)}`;
    case 'started':
      return `${actor} started work`;
    case 'resolved':
      return entry.resolution
        ? `:white_check_mark: ${actor} resolved it: ${mrkdwn(entry.resolution, quotes.resolution)}`
        : `:white_check_mark: ${actor} resolved it`;
    case 'reopened':
      return entry.flap
        ? `:repeat: Reopened: the alert fired again soon after it was resolved`
        : `${actor} reopened it`;
    case 'snoozed':
      return `:zzz: ${actor} snoozed it until ${slackDate(entry.until)}`;
    case 'unsnoozed':
      return `${actor} ended the snooze`;
    case 'priority_changed':
      return `${actor} changed the priority from ${entry.from} to ${entry.to}`;
    case 'commented':
      return `:speech_balloon: ${actor}: ${mrkdwn(entry.text, quotes.comment)}`;
    case 'edited':
      return `:pencil2: ${actor} ${editedText(entry, quotes)}`;
    case 'escalated': {
      const where = `step ${entry.step} of ${entry.of}${entry.round > 0 ? `, round ${entry.round + 1}` : ''}`;
      const who =
        entry.to.length > 0 ? `notified ${entry.to.map((t) => targetText(t, nameOf)).join(', ')}` : '';
      const note = entry.note ? mrkdwn(entry.note, 300) : '';
      const what = [who, note].filter(Boolean).join('; ') || 'nobody to notify';
      return entry.manual
        ? `:rotating_light: ${actor} escalated it (${mrkdwn(entry.policy, 64)} ${where}): ${what}`
        : `:rotating_light: Escalation (${mrkdwn(entry.policy, 64)} ${where}): ${what}`;
    }
    case 'escalation_ended':
      return entry.reason === 'exhausted'
        ? `:rotating_light: Escalation (${mrkdwn(entry.policy, 64)}) took every step and nobody acknowledged`
        : `:warning: Escalation (${mrkdwn(entry.policy, 64)}) stopped: a step failed${entry.error ? ` (${mrkdwn(entry.error, 200)})` : ''}`;
  }
}

/** Whom a notify step reached, as a record says it: names that ping nobody, a channel link, a group's id. */
function targetText(target: PageTarget, nameOf: NameOf): string {
  switch (target.kind) {
    case 'user':
      return target.as === 'named' ? nameOf(target.id) : `${nameOf(target.id)} (${AS_TEXT[target.as]})`;
    case 'group':
      return `the user group ${mrkdwn(target.id, 32)}`;
    case 'channel':
      return `<#${target.id}> with @here`;
    case 'sns':
      return 'the notification topic (email, SMS)';
  }
}
const AS_TEXT = { oncall: 'on call', next: 'on call next', assignee: 'assignee' } as const;

/** Which of its words a person changed: a title quoted before and after, the rest named (the card shows them). */
function editedText(entry: Extract<TimelineEntry, { type: 'edited' }>, quotes: QuoteLimits): string {
  const parts: string[] = [];
  if (entry.title)
    parts.push(
      `renamed it from “${mrkdwn(entry.title.from, quotes.comment)}” to “${mrkdwn(entry.title.to, quotes.comment)}”`,
    );
  if (entry.description)
    parts.push(entry.description.to ? 'changed the description' : 'removed the description');
  if (entry.labels) {
    const set = Object.entries(entry.labels.set).map(([key, value]) => `${key}=${value}`);
    const said = [
      ...(set.length > 0 ? [`set ${set.join(', ')}`] : []),
      ...(entry.labels.removed.length > 0 ? [`removed ${entry.labels.removed.join(', ')}`] : []),
      ...(entry.labels.more > 0 ? [`and ${entry.labels.more} more`] : []),
    ];
    parts.push(`changed the labels (${mrkdwn(said.join('; '), quotes.comment)})`);
  }
  return parts.length > 1
    ? `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`
    : (parts[0] ?? 'edited it');
}

/** A line of `/tms show`'s history: when, then the change in words. */
export function historyText(entry: TimelineEntry, nameOf: NameOf): string {
  return `${slackDate(entry.at, '{date_short_pretty} {time}')} ${timelineText(entry, nameOf, HISTORY_QUOTES)}`;
}

/** The Slack users an entry names (its actor, whoever it was assigned to): the ids to look names up for. */
export function peopleIn(entry: TimelineEntry): string[] {
  const ids = [
    entry.actor.id,
    ...(entry.type === 'assigned' && entry.to !== null ? [entry.to] : []),
    ...(entry.type === 'escalated' ? entry.to.flatMap((t) => (t.kind === 'user' ? [t.id] : [])) : []),
  ];
  return ids.filter(isSlackUserId);
}
