import type { KnownBlock } from '@slack/web-api';
import { Bits, Blocks, Elements, Message } from 'slack-block-builder';
import { readableDuration } from '../core/aggregates/resolutions.js';
import { LIMITS } from '../core/bounds.js';
import type { GroupMember, TaskGroup } from '../core/group.js';
import { type LifecycleAction, TRANSITIONS } from '../core/lifecycle.js';
import { actionFor, authorize, type Role } from '../core/rbac.js';
import { type SlaClock, type SlaStage, slaClock } from '../core/sla.js';
import { isSlackUserId, PRIORITIES, type Priority, type Task } from '../core/task.js';
import { formatDuration } from '../core/time.js';
import { ACTION_ID, type ActionName } from './ids.js';
import { taskRef } from './task-ref.js';
import { fitBlocks, link, mention, messageText, mrkdwn, slackDate } from './text.js';

/** Who looks at a surface that is theirs alone (App Home, an ephemeral reply): buttons follow their role. */
export interface Viewer {
  readonly id: string;
  readonly role: Role;
}

export const SNOOZE_CHOICES = ['30m', '1h', '2h', '4h', '1d'] as const;
/** A priority's colour, on the card and in every report that lists tasks. */
export const PRIORITY_ICON: Record<Priority, string> = {
  P1: ':red_circle:',
  P2: ':large_orange_circle:',
  P3: ':large_yellow_circle:',
  P4: ':white_circle:',
};
const STATUS_LABEL: Record<Task['status'], string> = {
  open: 'Open',
  acknowledged: 'Acknowledged',
  in_progress: 'In progress',
  resolved: 'Resolved',
};

/** The command each card action stands for; Resolve and the selects need more from the person first. */
function possible(task: Task): ActionName[] {
  const can = (command: LifecycleAction['type']) => typeof TRANSITIONS[command][task.status] !== 'object';
  const names: ActionName[] = [];
  if (can('acknowledge')) names.push('acknowledge');
  if (can('claim') && !task.assignee) names.push('claim');
  if (can('start')) names.push('start');
  if (can('resolve')) names.push('resolve');
  if (can('reopen')) names.push('reopen');
  if (can('assign')) names.push('reassign');
  if (can('set_priority')) names.push('priority');
  if (can('snooze')) names.push('snooze');
  return names;
}

const SAMPLE: Record<ActionName, LifecycleAction> = {
  acknowledge: { type: 'acknowledge' },
  claim: { type: 'claim' },
  start: { type: 'start' },
  resolve: { type: 'resolve', resolution: null },
  reopen: { type: 'reopen' },
  reassign: { type: 'assign', assignee: null },
  priority: { type: 'set_priority', priority: 'P1' },
  snooze: { type: 'snooze', until: '' },
};

/** The actions shown: what the task's state allows and, on a viewer's own surface, what they may do. */
export function availableActions(task: Task, viewer?: Viewer): ActionName[] {
  return possible(task).filter(
    (name) =>
      !viewer ||
      authorize(viewer.role, actionFor(SAMPLE[name], task, viewer.id), viewer.id, task).ok ||
      // Priority can be raised by anyone who may change the task at all.
      (name === 'priority' && authorize(viewer.role, 'raise_priority', viewer.id, task).ok),
  );
}

function actionsBlock(task: Task, viewer?: Viewer) {
  const ref = taskRef(task);
  const elements = availableActions(task, viewer).map((name) => {
    switch (name) {
      case 'reassign':
        return Elements.UserSelect({ actionId: ACTION_ID.reassign, placeholder: 'Reassign' });
      case 'priority':
        return Elements.StaticSelect({ actionId: ACTION_ID.priority, placeholder: 'Priority' }).options(
          PRIORITIES.filter((p) => p !== task.priority).map((p) =>
            Bits.Option({ text: p, value: `${ref}:${p}` }),
          ),
        );
      case 'snooze':
        return Elements.StaticSelect({ actionId: ACTION_ID.snooze, placeholder: 'Snooze' }).options(
          SNOOZE_CHOICES.map((d) => Bits.Option({ text: `Snooze ${d}`, value: `${ref}:${d}` })),
        );
      default: {
        const label = {
          acknowledge: 'Acknowledge',
          claim: 'Claim',
          start: 'Start',
          resolve: 'Resolve',
          reopen: 'Reopen',
        }[name];
        const button = Elements.Button({ text: label, actionId: ACTION_ID[name], value: ref });
        return name === 'acknowledge' || name === 'resolve' ? button.primary() : button;
      }
    }
  });
  return elements.length > 0
    ? Blocks.Actions({ blockId: `tms_card:${ref}` }).elements(...elements)
    : undefined;
}

function clockLine(clock: SlaClock, label: string, typicalMs?: number): string {
  const due = slackDate(clock.dueAt, '{date_short_pretty} {time}');
  switch (clock.state) {
    case 'ok':
      // Predicted: less time is left than similar tasks usually take (their 75th percentile).
      return typicalMs !== undefined && clock.remainingMs < typicalMs
        ? `:warning: ${label} due ${due} (at risk: similar tasks take ${readableDuration(typicalMs)})`
        : `${label} due ${due}`;
    case 'at_risk':
      return `:warning: ${label} due ${due} (at risk, ${formatDuration(clock.remainingMs)} left)`;
    case 'breached':
      return `:rotating_light: ${label} overdue since ${due}`;
    case 'met':
      return `${label} in time :white_check_mark:`;
    case 'missed':
      return `${label} late (due ${due})`;
  }
}

/** The status line: who did what, in words. */
function statusLine(task: Task): string {
  switch (task.status) {
    case 'acknowledged':
      return `Acknowledged${task.acknowledgedBy ? ` by ${mention(task.acknowledgedBy)}` : ''}`;
    case 'resolved':
      return `Resolved${task.resolvedBy ? ` by ${mention(task.resolvedBy)}` : ''}${task.resolvedAt ? ` ${slackDate(task.resolvedAt, '{date_short_pretty} {time}')}` : ''}`;
    default:
      return STATUS_LABEL[task.status];
  }
}

/** The alerts of a group a card names; the rest are counted ("and 290 more"). */
export const GROUP_ALERTS_SHOWN = 5;

/** One alert of a group: its name, whether it fires, and the labels that tell it from the others. */
function memberLine(member: GroupMember): string {
  const labels = Object.entries(member.labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');
  const status = member.status === 'firing' ? ':red_circle:' : ':white_check_mark:';
  return `${status} *${mrkdwn(member.name, 100)}*${labels ? ` ${mrkdwn(labels, 300)}` : ''}`;
}

/**
 * What an Alertmanager group task stands for: its counts, the first few alerts, and every label its alerts
 * share. Within Slack's limits whatever the group's size: the task keeps a bounded summary (src/core/group.ts).
 */
function groupBlocks(group: TaskGroup) {
  const shown = group.alerts.slice(0, GROUP_ALERTS_SHOWN);
  const more = group.firing + group.resolved - shown.length;
  const left = group.truncated ? ` · ${group.truncated} more Alertmanager left out (its \`max_alerts\`)` : '';
  const lines = [
    `*Alertmanager group* · ${group.firing} firing, ${group.resolved} resolved${left}`,
    ...shown.map(memberLine),
    ...(more > 0 ? [`and ${more} more`] : []),
  ];
  // The labels the group shares are the task's labels: all kept and matched, the first few shown.
  const common = labelsLine(group.commonLabels);
  return [
    Blocks.Section({ text: lines.join('\n') }),
    ...(common ? [Blocks.Context().elements(`Common to the group: ${common}`)] : []),
  ];
}

export interface CardOptions {
  readonly now: Date;
  /** Set on a viewer's own surface; the channel card shows what the task's state allows. */
  readonly viewer?: Viewer;
  /** A line under the title, such as why the card is not in its own channel. */
  readonly note?: string;
  /** What history says of tasks like this one. */
  readonly insight?: CardInsight;
}

/** From the aggregator's statistics: what fixed this alert before, and how long similar tasks take per stage. */
export interface CardInsight {
  /** "Last 3 times: restarted the consumer — median 12 min" (plain text, escaped here). */
  readonly suggestion: string | null;
  readonly typicalMs: Partial<Record<SlaStage, number>>;
}

/**
 * What the sender's clock said of the latest occurrence, when TMS counted it at another time (it was not
 * plausible: src/core/plausible-time.ts), so nobody wonders why the card's time is not the sender's.
 */
const senderClock = (task: Pick<Task, 'reportedAt'>): string =>
  task.reportedAt
    ? `\nsender's clock says ${slackDate(task.reportedAt, '{date_short} {time}')} (counted at receipt)`
    : '';
/** Labels the card does not list: shown elsewhere on it (`flaky`) or said by the source's own line. */
const UNLISTED_LABELS = new Set(['flaky']);

/**
 * The task's labels, the first `LIMITS.labelsShown` in key order and each cut for display: the task keeps
 * them all (silences and routing match on every one), only the card caps what it shows.
 */
export function labelsLine(labels: Readonly<Record<string, string>>): string | undefined {
  const entries = Object.entries(labels)
    .filter(([key]) => !UNLISTED_LABELS.has(key))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length === 0) return undefined;
  const shown = entries
    .slice(0, LIMITS.labelsShown)
    .map(([key, value]) => `${mrkdwn(key, 60)}=${mrkdwn(value, 120)}`);
  const more = entries.length - shown.length;
  return `:label: ${shown.join(' · ')}${more > 0 ? ` · and ${more} more` : ''}`;
}

/** Who holds the task, and why when on-call put them there and it is still theirs (issue 19). */
function assigneeLine(task: Task): string {
  if (!task.assignee) return 'Unassigned';
  const by = task.assignedBy;
  const why = by && by.user === task.assignee ? `, on call for ${mrkdwn(by.oncall, 100)}` : '';
  return `${mention(task.assignee)}${why}`;
}

/** The card: the notification text and the blocks, everything typed by people or sources escaped. */
export function renderCard(task: Task, options: CardOptions): { text: string; blocks: KnownBlock[] } {
  const { now } = options;
  // Every part typed by a person or a source is bounded as posted (after escaping, which can grow it 5×).
  const title = mrkdwn(task.title, 150);
  const ack = slaClock(task, 'ack', now);
  const resolve = slaClock(task, 'resolve', now);
  const fields = [
    `*Status*\n${statusLine(task)}`,
    `*Assignee*\n${assigneeLine(task)}`,
    `*Service*\n${mrkdwn(task.service, 300)}${task.team ? ` (${mrkdwn(task.team, 100)})` : ''}`,
    `*Source*\n${mrkdwn(task.source, 100)}${task.kind === 'alert' ? ' alert' : ''}`,
    `*Occurrences*\n${task.occurrences}, last ${slackDate(task.lastSeenAt, '{date_short_pretty} {time}')}${senderClock(task)}${task.flapCount > 0 ? `\n:repeat: flapped ${task.flapCount}×` : ''}`,
    `*SLA*\n${clockLine(ack, 'Ack', options.insight?.typicalMs.ack)}\n${clockLine(resolve, 'Resolve', options.insight?.typicalMs.resolve)}`,
  ];
  const context: string[] = [
    `*${task.id}*`,
    `opened ${slackDate(task.createdAt, '{date_short_pretty} {time}')}`,
  ];
  if (task.labels.flaky)
    context.push(
      `:warning: flaky: it passed and failed again within a day (${mrkdwn(task.labels.flaky, 300)})`,
    );
  if (task.unreportedSince && task.status !== 'resolved')
    context.push(
      `:mute: no longer reported (silenced, inhibited or ended) since ${slackDate(task.unreportedSince, '{date_short_pretty} {time}')}`,
    );
  if (task.snoozedUntil && Date.parse(task.snoozedUntil) > now.getTime())
    context.push(`:zzz: snoozed until ${slackDate(task.snoozedUntil, '{date_short_pretty} {time}')}`);
  const escalating = escalationLine(task, now);
  if (escalating) context.push(escalating);
  const blocks = [
    Blocks.Section({ text: `${PRIORITY_ICON[task.priority]} *${task.priority}* · *${title}*` }),
    ...(options.note ? [Blocks.Context().elements(options.note)] : []),
    ...(options.insight?.suggestion
      ? [Blocks.Context().elements(`:bulb: ${mrkdwn(options.insight.suggestion, 280)}`)]
      : []),
    Blocks.Section().fields(...fields),
    ...(task.group ? groupBlocks(task.group) : []),
    ...(task.description ? [Blocks.Section({ text: mrkdwn(task.description, 2_800) })] : []),
    ...(task.resolution ? [Blocks.Section({ text: `*Resolution*\n${mrkdwn(task.resolution, 2_800)}` })] : []),
    ...(task.links.length > 0
      ? [
          Blocks.Context().elements(
            task.links
              .slice(0, 9)
              .map((l) => link(l.url, l.label))
              .join(' · '),
          ),
        ]
      : []),
    ...labelBlocks(task),
    Blocks.Context().elements(context.join(' · ')),
    actionsBlock(task, options.viewer),
  ].filter((b) => b !== undefined);
  const text = `${task.priority} ${task.id}: ${title} (${STATUS_LABEL[task.status].toLowerCase()})`;
  return {
    text: messageText(text),
    blocks: fitBlocks(
      Message()
        .blocks(...blocks)
        .getBlocks() as KnownBlock[],
      'message',
    ),
  };
}

/**
 * Where the task's escalation is (issue 19), while it says something the status does not: escalating and to
 * whom so far, and when its next step is due; ended with nobody acknowledging; stopped by a failed step.
 */
function escalationLine(task: Task, now: Date): string | undefined {
  const escalation = task.escalation;
  if (!escalation || task.status === 'resolved') return undefined;
  const policy = mrkdwn(escalation.policy, 64);
  if (escalation.state === 'failed') return `:warning: escalation (${policy}) stopped: a step failed`;
  if (escalation.state === 'ended')
    return task.status === 'open' ? `:rotating_light: escalation (${policy}) took every step` : undefined;
  if (task.status !== 'open') return undefined;
  const people = escalation.notified
    .filter((key) => isSlackUserId(key))
    .slice(0, 5)
    .map(mention);
  const paged = people.length > 0 ? `, paged ${people.join(', ')}` : '';
  const next =
    escalation.waitUntil && Date.parse(escalation.waitUntil) > now.getTime()
      ? `, next step ${slackDate(escalation.waitUntil, '{time}')}`
      : '';
  return `:rotating_light: escalating (${policy})${paged}${next}`;
}

function labelBlocks(task: Task) {
  // A group task's labels are its group's common ones, which its group section lists.
  const line = task.group ? undefined : labelsLine(task.labels);
  return line ? [Blocks.Context().elements(line)] : [];
}

/** One task in a list: id, priority, title, status, who, and the clock that matters next. */
export function taskLine(task: Task, now: Date, permalink?: string): string {
  const id = permalink ? link(permalink, task.id) : `*${task.id}*`;
  const clock =
    task.status === 'resolved'
      ? ''
      : ` · ${clockLine(slaClock(task, task.acknowledgedAt ? 'resolve' : 'ack', now), task.acknowledgedAt ? 'resolve' : 'ack')}`;
  return `${PRIORITY_ICON[task.priority]} ${id} ${mrkdwn(task.title, 80)} · ${STATUS_LABEL[task.status].toLowerCase()} · ${task.assignee ? mention(task.assignee) : 'unassigned'}${clock}`;
}

export { parseTaskRef, taskRef } from './task-ref.js';
export { actionsBlock as taskActions };
