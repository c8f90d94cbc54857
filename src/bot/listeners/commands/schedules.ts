import type { DomainError } from '../../../core/errors.js';
import { authorize } from '../../../core/rbac.js';
import { fail, ok, type Result } from '../../../core/result.js';
import { everyText, type Schedule, type ScheduleRequest, upcomingRuns } from '../../../core/schedule.js';
import { readScheduleCommand } from '../../../core/schedule-command.js';
import {
  createSchedule,
  listSchedules,
  removeSchedule,
  type ScheduleDeps,
} from '../../../core/use-cases/schedules.js';
import { USAGE } from '../../command.js';
import type { BotDeps } from '../../context.js';
import { asSentence, slackText } from '../../slack-errors.js';
import { escapeMrkdwn, link, mention, mrkdwn, slackDate } from '../../text.js';
import { type Asker, type CommandOf, type Reply, sections, text } from './reply.js';

/** How many schedules `/tms schedules` lists before it says how many more there are. */
const LISTED = 40;
/** A section's text stays well inside Slack's 3,000 characters: the lines are split over sections. */
const NOT_HERE = 'Schedules are not available here.';

/** `/tms schedule …` (a bare one opens the form), `/tms schedules`, `/tms unschedule <id>`. */
export async function schedules(
  deps: BotDeps,
  command: CommandOf<'schedule' | 'schedules' | 'unschedule'>,
  asker: Asker,
): Promise<Reply> {
  const scheduling = scheduleDeps(deps);
  if (!scheduling) return text(NOT_HERE);
  switch (command.name) {
    case 'schedules':
      return listed(deps, scheduling);
    case 'unschedule': {
      const removed = await removeSchedule(scheduling, command.id, asker);
      if (!removed.ok) return text(asSentence(slackText(removed.error)));
      return text(
        `Removed *${removed.value.id}* “${mrkdwn(removed.value.title, 300)}”: it runs no more; its past runs stay in its history.`,
      );
    }
    case 'schedule': {
      if (command.words.length === 0) {
        // Refused before the form opens, by the same table createSchedule checks when the form comes back.
        const allowed = authorize(asker.role, 'create', asker.user);
        if (!allowed.ok) return text(asSentence(slackText(allowed.error)));
        const { scheduleModal } = await import('../../schedule-modal.js');
        return {
          modal: scheduleModal(deps.config, asker.channel, await deps.directory.timeZoneOf(asker.user)),
        };
      }
      const timeZone = await deps.directory.timeZoneOf(asker.user);
      const read = readScheduleCommand(
        command.words,
        deps.clock.now(),
        timeZone,
        serviceNames(deps),
        asker.channel,
      );
      if (!read.ok)
        return text(`${asSentence(escapeMrkdwn(capitalised(read.error)))}\nUsage: ${USAGE.schedule}`);
      const made = await makeSchedule(deps, read.value.request, asker);
      if (!made.ok) {
        const refusal = asSentence(slackText(made.error));
        return text(made.error.code === 'INVALID_INPUT' ? `${refusal}\nUsage: ${USAGE.schedule}` : refusal);
      }
      return text(made.value);
    }
  }
}

const capitalised = (sentence: string) => sentence.charAt(0).toUpperCase() + sentence.slice(1);

/** What the schedules use case needs, from the bot's deps; none where this deployment keeps no schedules. */
export function scheduleDeps(deps: BotDeps): ScheduleDeps | undefined {
  if (!deps.schedules) return undefined;
  return {
    schedules: deps.schedules,
    clock: deps.clock,
    config: deps.config,
    newId: deps.newId,
    webhooksEnabled: deps.webhooksEnabled ?? deps.webhooks !== undefined,
  };
}

/** The names a schedule may name as its service: the configured ones and the default. */
export const serviceNames = (deps: Pick<BotDeps, 'config'>): string[] => [
  ...new Set([...Object.keys(deps.config.services), deps.config.defaults.service]),
];

/** Makes a schedule (from the command or the form) and says how it was read, or why it was not made. */
export async function makeSchedule(
  deps: BotDeps,
  request: ScheduleRequest,
  asker: Pick<Asker, 'user' | 'role' | 'channel'>,
): Promise<Result<string, DomainError>> {
  const scheduling = scheduleDeps(deps);
  if (!scheduling) throw new Error(NOT_HERE);
  const made = await createSchedule(scheduling, request, {
    user: asker.user,
    role: asker.role,
    origin: 'slack',
  });
  if (!made.ok) return fail(made.error);
  return ok(scheduledText(deps, made.value, asker.channel));
}

/**
 * How a new schedule was read, so a mistake shows before it runs: its title, what it does and where, its
 * priority and assignee, how often and in which time zone, its next three runs (each reader sees them in their
 * own time zone), its id and how to remove it.
 */
export function scheduledText(
  deps: Pick<BotDeps, 'config' | 'clock'>,
  schedule: Schedule,
  here: string,
): string {
  const runs = upcomingRuns(schedule, deps.clock.now(), 3);
  const task =
    schedule.action === 'task'
      ? `, at ${schedule.priority ?? `${deps.config.defaults.priority} (the default priority)`}, ${
          schedule.assignee ? `assigned to ${mention(schedule.assignee)}` : 'unassigned'
        }`
      : '';
  const often = schedule.every === undefined ? 'once' : everyText(schedule.every);
  return [
    `Scheduled *${schedule.id}* “${mrkdwn(schedule.title, 300)}”: ${actionText(deps, schedule, here)}${task}; ${often}, times read in ${escapeMrkdwn(schedule.timezone)}.`,
    `${runs.length > 1 ? 'Next runs' : 'Runs'}: ${runs.map((r) => slackDate(r.toISOString())).join(', ') || 'none ahead'}.`,
    `\`/tms unschedule ${schedule.id}\` removes it; \`/tms schedules\` lists them all.`,
  ].join('\n');
}

/** What a schedule does when it runs, in words: a task and where its card goes, a reminder, a webhook. */
function actionText(deps: Pick<BotDeps, 'config'>, schedule: Schedule, here?: string): string {
  if (schedule.action === 'message') return `reminds <#${schedule.channel}>`;
  if (schedule.action === 'webhook') {
    let host = '';
    try {
      host = new URL(schedule.url ?? '').host;
    } catch {
      // checked when it was made: a URL it is
    }
    return `calls a webhook on ${mrkdwn(host, 200)} (a signed POST)`;
  }
  const service = schedule.service;
  const channel =
    (service !== undefined && Object.hasOwn(deps.config.services, service)
      ? deps.config.services[service]?.channel
      : undefined) ??
    schedule.channel ??
    deps.config.defaults.channel;
  if (service !== undefined) return `opens a task in ${mrkdwn(service, 100)}’s channel <#${channel}>`;
  return channel === here ? 'opens a task in this channel' : `opens a task in <#${channel}>`;
}

/** `/tms schedules`: each with what it does, how often, its next run and how its last one went. */
async function listed(deps: BotDeps, scheduling: ScheduleDeps): Promise<Reply> {
  const all = await listSchedules(scheduling);
  if (all.length === 0)
    return text(
      'No schedules yet. `/tms schedule "Rotate the keys" p3 at mon 9am every week` makes one; `/tms schedule` alone opens a form.',
    );
  const shown = all.slice(0, LISTED);
  const cards = await Promise.all(
    shown.map((s) => (s.lastRun?.taskId ? deps.cards.card(s.lastRun.taskId) : Promise.resolve(undefined))),
  );
  const lines = shown.map((s, i) => `• ${scheduleLine(deps, s, cards[i]?.permalink)}`);
  if (all.length > shown.length) lines.push(`…and ${all.length - shown.length} more, due later.`);
  const heading = `*Schedules* · ${all.length}, soonest first`;
  const footer = `${USAGE.unschedule}`;
  return {
    text: [heading, ...lines, footer].join('\n'),
    blocks: sections([heading, ...lines, footer]),
  };
}

function scheduleLine(deps: Pick<BotDeps, 'config'>, s: Schedule, permalink: string | undefined): string {
  const often = s.every === undefined ? 'once' : everyText(s.every);
  const next = s.nextRunAt ? `next ${slackDate(s.nextRunAt)}` : 'no run ahead';
  const origin = s.origin === 'config' ? ' (from the config)' : '';
  return `*${s.id}* “${mrkdwn(s.title, 150)}” — ${actionText(deps, s)}, ${often}${origin} · ${next} · ${lastRunText(s, permalink)}`;
}

function lastRunText(s: Schedule, permalink: string | undefined): string {
  const run = s.lastRun;
  if (!run) return 'not run yet';
  const when = slackDate(run.finishedAt ?? run.scheduledFor);
  const task = run.taskId
    ? ` ${permalink ? link(permalink, run.taskId) : `*${escapeMrkdwn(run.taskId)}*`}`
    : '';
  if (run.status === 'running') return `running since ${when}${task}`;
  if (run.status === 'completed') return `last ${when} ✓${task}`;
  return `last ${when} ✗ ${mrkdwn(run.error ?? 'failed', 200)}${task}`;
}
