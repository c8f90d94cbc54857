import type { BotDeps } from '../bot/context.js';
import { slackFailure } from '../bot/slack-errors.js';
import { escapeMrkdwn, mention, mrkdwn, slackDate } from '../bot/text.js';
import type { TeamConfig } from '../core/config.js';
import { type OnCall, type Override, onCallAt, type Rotation, shiftAt } from '../core/oncall.js';
import { type Task, taskNumber, UNRESOLVED } from '../core/task.js';
import { OVERRIDES_AHEAD_MS, rotationOf } from '../core/use-cases/oncall.js';
import { logger } from '../runtime/logger.js';
import { once } from './once.js';

const DAY = 86_400_000;
/** How far back a change of who is on call is looked for: TMS may have been down that long and still say so. */
const LOOKBACK_MIN_MS = 2 * DAY;
/** How many edges (handoffs, override starts and ends) the walk back passes at most. */
const MAX_EDGES = 100;
/** The open tasks a handoff message lists, at most. */
const MAX_TASKS = 10;
const TITLE_MAX = 80;

/** When who is on call last changed, up to `now`: the instant, who was on before, who is on since. */
export interface OncallChange {
  readonly at: Date;
  readonly previous: string;
  readonly current: OnCall;
}

/** The latest instant at or before `t` where a shift starts or an override begins or ends. */
function previousEdge(rotation: Rotation, overrides: readonly Override[], t: Date): number {
  let edge = shiftAt(rotation, t).start.getTime();
  for (const o of overrides)
    for (const iso of [o.start, o.end]) {
      const ms = Date.parse(iso);
      if (ms <= t.getTime() && ms > edge) edge = ms;
    }
  return edge;
}

/**
 * The last time the person on call changed, no earlier than `since`: a handoff to someone else, or an override's
 * edge that put someone else on (a handoff between a person and themselves, or an override of the one on call
 * anyway, is no change). Pure; undefined when nobody else was on call since then (a rotation of one).
 */
export function lastChange(
  rotation: Rotation,
  overrides: readonly Override[],
  now: Date,
  since: Date,
): OncallChange | undefined {
  const current = onCallAt(rotation, overrides, now);
  let t = now;
  for (let step = 0; step < MAX_EDGES; step++) {
    const edge = previousEdge(rotation, overrides, t);
    if (edge < since.getTime()) return undefined;
    const before = onCallAt(rotation, overrides, new Date(edge - 1));
    if (before.user !== current.user) return { at: new Date(edge), previous: before.user, current };
    t = new Date(edge - 1);
  }
  return undefined;
}

/** The team's open tasks, newest first, at most `MAX_TASKS` (and whether there were more). */
async function openTasksOf(deps: BotDeps, team: string): Promise<{ tasks: Task[]; more: boolean }> {
  const services = Object.entries(deps.config.services)
    .filter(([, s]) => s.team === team)
    .map(([name]) => name);
  const tasks: Task[] = [];
  for (const service of services)
    tasks.push(...(await deps.store.list({ service, statuses: UNRESOLVED, limit: MAX_TASKS + 1 })).tasks);
  tasks.sort((a, b) => taskNumber(b.id) - taskNumber(a.id));
  return { tasks: tasks.slice(0, MAX_TASKS), more: tasks.length > MAX_TASKS };
}

/** The handoff message: who is on call until when, who they take over from, the open tasks handed over. */
export function handoffText(
  team: string,
  change: OncallChange,
  open: { tasks: Task[]; more: boolean },
): string {
  const lines = [
    `On call for *${escapeMrkdwn(team)}*: ${mention(change.current.user)} until ${slackDate(change.current.until.toISOString())}, taking over from ${mention(change.previous)}.`,
  ];
  if (open.tasks.length === 0) lines.push('No open tasks to hand over.');
  else {
    lines.push(`Open tasks handed over${open.more ? ` (the newest ${open.tasks.length})` : ''}:`);
    for (const task of open.tasks)
      lines.push(
        `• *${task.id}* ${task.priority} ${mrkdwn(task.title, TITLE_MAX)}${task.assignee ? ` (${mention(task.assignee)})` : ''}`,
      );
  }
  return lines.join('\n');
}

async function sweepTeam(
  deps: BotDeps,
  name: string,
  team: TeamConfig,
  rotation: Rotation,
  now: Date,
  done: { announced: string[]; groups: string[] },
): Promise<void> {
  const since = new Date(now.getTime() - Math.max(LOOKBACK_MIN_MS, 2 * rotation.everyMs));
  const overrides = deps.oncall
    ? await deps.oncall.listOverrides(
        name,
        since.toISOString(),
        new Date(now.getTime() + OVERRIDES_AHEAD_MS).toISOString(),
      )
    : [];
  const change = lastChange(rotation, overrides, now, since);
  if (!change) return;
  // Kept while the change can still be found: past the end of the current person's span, with a day to spare.
  const expires = new Date(Math.max(change.current.until.getTime(), now.getTime()) + DAY).toISOString();
  const key = `${name}:${change.at.toISOString()}`;
  const channel = team.channel;
  if (channel) {
    const outcome = await once(deps, 'oncall-handoff', key, expires, async () => {
      const text = handoffText(name, change, await openTasksOf(deps, name));
      await deps.slack.chat.postMessage({ channel, text, unfurl_links: false });
    });
    if (outcome === 'done') done.announced.push(name);
  }
  const usergroup = team.usergroup;
  if (usergroup) {
    const outcome = await once(deps, 'oncall-usergroup', `${key}:${usergroup}`, expires, async () => {
      await deps.slack.usergroups.users.update({ usergroup, users: change.current.user });
    });
    if (outcome === 'done') done.groups.push(name);
  }
}

/**
 * The sweeper's on-call job (issue 19): when who is on call for a team changed since the last sweep (a handoff,
 * an override's start or end), the team's channel is told once, with the team's open tasks being handed over,
 * and the team's user group is set to the person now on call. Once per (team, instant of the change), however
 * many sweeps see it; a sweep after TMS was down announces only the person on call now. What Slack refused is
 * tried again on the next sweep.
 */
export async function announceHandoffs(
  deps: BotDeps,
  now: Date,
): Promise<{ announced: string[]; groups: string[] }> {
  const done = { announced: [] as string[], groups: [] as string[] };
  for (const [name, team] of Object.entries(deps.config.teams)) {
    const rotation = rotationOf(team);
    if (!rotation || (!team.channel && !team.usergroup)) continue;
    try {
      await sweepTeam(deps, name, team, rotation, now, done);
    } catch (error) {
      logger.warn('on-call handoff not announced; the next sweep tries again', {
        team: name,
        error: slackFailure(error).error,
      });
    }
  }
  return done;
}
