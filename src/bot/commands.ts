import type { View } from '@slack/web-api';
import { DomainError, TransientError } from '../core/errors.js';
import type { LifecycleAction } from '../core/lifecycle.js';
import { snoozeUntil } from '../core/lifecycle.js';
import { authorize, type Role } from '../core/rbac.js';
import { describeMatchers, parseSilence, type Silence } from '../core/silence.js';
import { type Status, type Task, UNRESOLVED } from '../core/task.js';
import type { TimelineEntry } from '../core/timeline.js';
import { actOnTask } from '../core/use-cases/act-on-task.js';
import { openTask } from '../core/use-cases/open-task.js';
import { renderCard, taskLine } from './card.js';
import { helpText, parseCommand, type Subcommand, type TmsCommand, USAGE } from './command.js';
import type { BotDeps } from './context.js';
import { playbookCommand, postDigest, statsCommand, trendsCommand } from './reports.js';
import { slackFailure, slackText } from './slack-errors.js';
import { escapeMrkdwn, mention, mrkdwn, slackDate } from './text.js';
import { newTaskModal, resolveModal } from './views.js';

/** What a command is answered with: a message only the person sees, or a modal to open. */
export type Reply = { readonly text: string; readonly blocks?: unknown[] } | { readonly modal: View };

export interface CommandInput {
  readonly user: string;
  readonly channel: string;
  readonly text: string;
}

const text = (t: string): Reply => ({ text: t });

/** `/tms …`: parsed, authorized, applied; every mistake answered with the usage of what was meant. */
export async function runCommand(deps: BotDeps, input: CommandInput): Promise<Reply> {
  const parsed = parseCommand(input.text, Object.keys(deps.config.services));
  if (!parsed.ok) return text(`${escapeMrkdwn(parsed.problem)}.\nUsage: ${parsed.usage}`);
  const { command } = parsed;
  const role = await deps.directory.roleOf(input.user);
  const ctx = { actor: { type: 'user' as const, id: input.user }, via: 'slack' as const };

  switch (command.name) {
    case 'help':
      return text(command.topic && command.topic in USAGE ? USAGE[command.topic as Subcommand] : helpText());
    case 'stats':
      return statsCommand(deps, command.service, command.window);
    case 'trends':
      return trendsCommand(deps, command.service, command.window);
    case 'playbook':
      return playbookCommand(deps, command.service);
    case 'digest':
      try {
        await postDigest(deps, input.channel, deps.clock.now(), { scheduled: false });
        return text('Posted this channel’s digest here.');
      } catch (error) {
        const why = slackFailure(error).error;
        if (error instanceof DomainError || error instanceof TransientError) throw error;
        return text(
          `The digest could not be posted here (${escapeMrkdwn(why)}).${why === 'not_in_channel' ? ' Invite TMS to this channel first.' : ''}`,
        );
      }
    case 'new': {
      if (!command.title) {
        if (role === 'viewer') return text('You have read-only access to TMS, so you cannot open tasks.');
        return { modal: newTaskModal(deps.config, input.channel) };
      }
      const opened = await openTask(deps, {
        title: command.title,
        ...(command.priority ? { priority: command.priority } : {}),
        ...(command.service ? { service: command.service } : {}),
        channel: input.channel,
        assignee: command.assignee ?? null,
        role,
        ctx: { ...ctx, now: deps.clock.now() },
      });
      if (!opened.ok) return text(`${slackText(opened.error)}.\nUsage: ${USAGE.new}`);
      return text(
        opened.value.channel === input.channel
          ? `Opened *${opened.value.id}* (${opened.value.priority}): its card is on its way here.`
          : `Opened *${opened.value.id}* (${opened.value.priority}) for ${escapeMrkdwn(opened.value.service)}: its card is in <#${opened.value.channel}>.`,
      );
    }
    case 'list':
      return list(deps, input.user, command);
    case 'show':
      return show(deps, command.id, { id: input.user, role });
    case 'resolve':
      if (!command.note) {
        const task = await deps.store.get(command.id);
        if (!task) return text(`There is no task ${command.id}.`);
        if (task.status === 'resolved') return text(`${task.id} is already resolved.`);
        return { modal: resolveModal(task, input.channel) };
      }
      return act(deps, command.id, { type: 'resolve', resolution: command.note }, role, input.user);
    case 'snooze': {
      const until = snoozeUntil(command.duration, deps.clock.now());
      if (!until.ok) return text(`${slackText(until.error)}.\nUsage: ${USAGE.snooze}`);
      return act(deps, command.id, { type: 'snooze', until: until.value }, role, input.user);
    }
    case 'claim':
      return act(deps, command.id, { type: 'claim' }, role, input.user);
    case 'ack':
      return act(deps, command.id, { type: 'acknowledge' }, role, input.user);
    case 'start':
      return act(deps, command.id, { type: 'start' }, role, input.user);
    case 'reopen':
      return act(deps, command.id, { type: 'reopen' }, role, input.user);
    case 'assign':
      return act(deps, command.id, { type: 'assign', assignee: command.assignee }, role, input.user);
    case 'priority':
      return act(deps, command.id, { type: 'set_priority', priority: command.priority }, role, input.user);
    case 'comment':
      return act(deps, command.id, { type: 'comment', text: command.text }, role, input.user);
    case 'silence':
    case 'silences':
    case 'lift':
      return silenceCommand(deps, command, role, input.user);
  }
}

/** `/tms silence …`, `/tms silences`, `/tms silences lift <id>`. */
async function silenceCommand(
  deps: BotDeps,
  command: Extract<TmsCommand, { name: 'silence' | 'silences' | 'lift' }>,
  role: Role,
  user: string,
): Promise<Reply> {
  const store = deps.silences;
  if (!store) return text('Silences are not available here.');
  const now = deps.clock.now();
  if (command.name === 'silences') {
    // Read each one afresh: the list of silences in force may be cached, their counts are not.
    const listed = await store.activeSilences(now.toISOString());
    const active = (await Promise.all(listed.map(async (s) => (await store.getSilence(s.id)) ?? s)))
      .filter((s) => !s.liftedAt)
      .sort((a, b) => (a.endsAt < b.endsAt ? -1 : 1));
    if (active.length === 0) return text('No silence is in force.');
    const lines = active.map(
      (s) =>
        `• *${s.id}* ${escapeMrkdwn(describeMatchers(s.matchers))} until ${slackDate(s.endsAt)} by ${mention(s.createdBy)}` +
        `${s.reason ? ` — ${escapeMrkdwn(s.reason)}` : ''} (${s.matched} held back)`,
    );
    return text(`*Silences in force*\n${lines.join('\n')}\n${USAGE.silences}`);
  }
  const allowed = authorize(role, 'silence', user);
  if (!allowed.ok) return text(slackText(allowed.error));
  if (command.name === 'lift') {
    if (!(await store.liftSilence(command.id, user, now.toISOString())))
      return text(`There is no silence ${command.id} in force.`);
    return text(`Lifted *${command.id}*: matching alerts open tasks again.`);
  }
  const parsed = parseSilence(command.words, Object.keys(deps.config.services));
  if (!parsed.ok) return text(`${slackText(parsed.error)}.\nUsage: ${USAGE.silence}`);
  const silence: Silence = {
    id: `S-${deps
      .newId()
      .replace(/[^0-9a-z]/gi, '')
      .slice(0, 8)
      .toLowerCase()}`,
    matchers: parsed.value.matchers,
    reason: parsed.value.reason,
    createdBy: user,
    createdAt: now.toISOString(),
    endsAt: new Date(now.getTime() + parsed.value.durationMs).toISOString(),
    matched: 0,
  };
  await store.createSilence(silence);
  return text(
    `Silenced ${escapeMrkdwn(describeMatchers(silence.matchers))} until ${slackDate(silence.endsAt)} (*${silence.id}*)` +
      `${silence.reason ? `: ${escapeMrkdwn(silence.reason)}` : ''}. Alerts it holds back open no task and post nothing; ` +
      `\`/tms silences lift ${silence.id}\` ends it.`,
  );
}

const DONE: Record<LifecycleAction['type'], string> = {
  acknowledge: 'You acknowledged',
  claim: 'You claimed',
  start: 'You started work on',
  resolve: 'You resolved',
  reopen: 'You reopened',
  assign: 'You assigned',
  snooze: 'You snoozed',
  unsnooze: 'You woke',
  set_priority: 'You changed the priority of',
  comment: 'You commented on',
  occur: 'Recorded an occurrence of',
};

/** A change to one task, by a person: the same path for a command, a button and a modal. */
export async function act(
  deps: BotDeps,
  taskId: string,
  command: LifecycleAction,
  role: Role,
  user: string,
): Promise<{ readonly ok: boolean; readonly text: string; readonly version?: number }> {
  const result = await actOnTask(deps, {
    taskId,
    command,
    role,
    ctx: { actor: { type: 'user', id: user }, via: 'slack' },
  });
  if (!result.ok) return { ok: false, text: slackText(result.error) };
  const task = result.value.task;
  const detail =
    command.type === 'assign' && command.assignee
      ? ` to ${mention(command.assignee)}`
      : command.type === 'set_priority'
        ? ` to ${command.priority}`
        : command.type === 'snooze'
          ? ` until ${slackDate(command.until)}`
          : '';
  return { ok: true, text: `${DONE[command.type]} *${task.id}*${detail}.`, version: task.version };
}

async function list(
  deps: BotDeps,
  user: string,
  command: Extract<ReturnType<typeof parseCommand>, { ok: true }>['command'] & { name: 'list' },
): Promise<Reply> {
  const statuses: readonly Status[] | undefined = command.scope === 'all' ? undefined : UNRESOLVED;
  const page = await deps.store.list({
    ...(statuses ? { statuses } : {}),
    ...(command.service ? { service: command.service } : {}),
    ...(command.scope === 'mine' ? { assignee: user } : {}),
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

export async function permalinks(deps: BotDeps, tasks: readonly Task[]): Promise<Map<string, string>> {
  const cards = await Promise.all(tasks.map((t) => deps.cards.card(t.id)));
  const links = new Map<string, string>();
  for (const card of cards) if (card?.permalink) links.set(card.taskId, card.permalink);
  return links;
}

async function show(deps: BotDeps, id: string, viewer: { id: string; role: Role }): Promise<Reply> {
  const task = await deps.store.get(id);
  if (!task) return text(`There is no task ${id}.`);
  const now = deps.clock.now();
  const card = renderCard(task, { now, viewer });
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
