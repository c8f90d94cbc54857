import { own } from '../../../core/bounds.js';
import type { TeamConfig } from '../../../core/config.js';
import {
  nextShiftsOf,
  type OnCall,
  onCallAt,
  onCallNow,
  type Rotation,
  shiftAt,
} from '../../../core/oncall.js';
import {
  type OncallRequest,
  overrideIdFrom,
  parseOncallWords,
  teamFor,
} from '../../../core/oncall-command.js';
import type { OncallStore, OverrideRecord } from '../../../core/ports.js';
import { authorize } from '../../../core/rbac.js';
import { overridesFrom, rotationOf } from '../../../core/use-cases/oncall.js';
import { USAGE } from '../../command.js';
import type { BotDeps } from '../../context.js';
import { asSentence, slackText } from '../../slack-errors.js';
import { escapeMrkdwn, mention, slackDate } from '../../text.js';
import { type Asker, type CommandOf, type Reply, text } from './reply.js';

/** The most overrides `/tms oncall overrides` lists. */
const LIST_MAX = 20;

/** `/tms oncall …`: who is on call, and the overrides people make (src/core/oncall-command.ts reads the words). */
export async function oncall(deps: BotDeps, command: CommandOf<'oncall'>, asker: Asker): Promise<Reply> {
  const now = deps.clock.now();
  const names = Object.keys(deps.config.teams);
  const writesTimes = command.words[0]?.toLowerCase() === 'override';
  const timeZone = writesTimes ? await deps.directory.timeZoneOf(asker.user) : 'UTC';
  const parsed = parseOncallWords(command.words, { now, timeZone, teams: names });
  if (!parsed.ok) return text(`${asSentence(escapeMrkdwn(parsed.error))}\nUsage: ${USAGE.oncall}`);
  const request = parsed.value;
  if (request.kind === 'show') return show(deps, request.team, now);

  const rotations = Object.entries(deps.config.teams)
    .filter(([, team]) => team.oncall)
    .map(([name]) => name);
  const team = teamFor(request.team, await deps.directory.teamsOf(asker.user), rotations);
  if (!team.ok) return text(asSentence(escapeMrkdwn(team.error)));
  const rotation = rotationOf(own(deps.config.teams, team.value) as TeamConfig) as Rotation;
  const store = deps.oncall;
  if (!store) return text('On-call overrides are not kept here: `/tms oncall` shows the rotations alone.');
  const overrides = await overridesFrom(store, team.value, now);
  if (request.kind === 'overrides') return listOverrides(team.value, overrides);

  const allowed = authorize(asker.role, 'create', asker.user);
  if (!allowed.ok) return text(asSentence(slackText(allowed.error)));
  return change(deps, store, request, { team: team.value, rotation, overrides, now, timeZone, asker });
}

async function show(deps: BotDeps, named: string | undefined, now: Date): Promise<Reply> {
  if (named !== undefined) {
    const team = own(deps.config.teams, named);
    if (!team)
      return text(
        `There is no team *${escapeMrkdwn(named)}*; the config's teams: ${Object.keys(deps.config.teams).map(escapeMrkdwn).join(', ') || 'none'}.`,
      );
    const rotation = rotationOf(team);
    if (!rotation)
      return text(
        `*${escapeMrkdwn(named)}* has no on-call rotation in the config (\`teams.${escapeMrkdwn(named)}.oncall\`).`,
      );
    return text(lineOf(named, rotation, await overridesFrom(deps.oncall, named, now), now));
  }
  const teams = Object.entries(deps.config.teams).filter(([, team]) => team.oncall);
  if (teams.length === 0)
    return text('No team has an on-call rotation yet: add `oncall:` to a team in the config.');
  const lines = await Promise.all(
    teams.map(async ([name, team]) =>
      lineOf(name, rotationOf(team) as Rotation, await overridesFrom(deps.oncall, name, now), now),
    ),
  );
  return text(`*On call*\n${lines.join('\n')}`);
}

function lineOf(name: string, rotation: Rotation, overrides: readonly OverrideRecord[], now: Date): string {
  const { now: on, next } = onCallNow(rotation, overrides, now);
  const by = on.overrideId ? ` (override *${on.overrideId}*)` : '';
  return `• *${escapeMrkdwn(name)}*: ${mention(on.user)}${by} until ${slackDate(on.until.toISOString())}, then ${mention(next.user)} (${escapeMrkdwn(rotation.timezone)})`;
}

const span = (o: { start: string; end: string }) => `from ${slackDate(o.start)} to ${slackDate(o.end)}`;

function listOverrides(team: string, overrides: readonly OverrideRecord[]): Reply {
  if (overrides.length === 0)
    return text(`*${escapeMrkdwn(team)}* has no override in force or to come; its rotation decides.`);
  const sorted = [...overrides].sort((a, b) => (a.start < b.start ? -1 : 1));
  const lines = sorted
    .slice(0, LIST_MAX)
    .map((o) => `• *${o.id}* ${mention(o.user)} ${span(o)} — ${o.reason} by ${mention(o.createdBy)}`);
  const more = sorted.length > LIST_MAX ? [`…and ${sorted.length - LIST_MAX} more.`] : [];
  return text(
    [
      `*On-call overrides for ${escapeMrkdwn(team)}*`,
      ...lines,
      ...more,
      `\`/tms oncall remove <id> ${escapeMrkdwn(team)}\` removes one.`,
    ].join('\n'),
  );
}

interface ChangeContext {
  readonly team: string;
  readonly rotation: Rotation;
  readonly overrides: readonly OverrideRecord[];
  readonly now: Date;
  readonly timeZone: string;
  readonly asker: Asker;
}

async function change(
  deps: BotDeps,
  store: OncallStore,
  request: Exclude<OncallRequest, { kind: 'show' | 'overrides' }>,
  context: ChangeContext,
): Promise<Reply> {
  const { team, rotation, now, asker } = context;
  const teamName = escapeMrkdwn(team);
  const make = async (
    user: string,
    start: Date,
    end: Date,
    reason: OverrideRecord['reason'],
  ): Promise<OverrideRecord> => {
    const override: OverrideRecord = {
      id: overrideIdFrom(deps.newId()),
      team,
      user,
      start: start.toISOString(),
      end: end.toISOString(),
      createdAt: now.toISOString(),
      createdBy: asker.user,
      reason,
    };
    await store.createOverride(override);
    return override;
  };
  const undo = (id: string) => `\`/tms oncall remove ${id} ${teamName}\` undoes it.`;

  switch (request.kind) {
    case 'remove': {
      if (!(await store.removeOverride(team, request.id)))
        return text(
          `*${teamName}* has no override ${request.id}: \`/tms oncall overrides ${teamName}\` lists them.`,
        );
      return text(`Removed override *${request.id}* of *${teamName}*.`);
    }
    case 'override': {
      const override = await make(request.user, request.start, request.end, 'override');
      return text(
        `Read as: ${mention(request.user)} on call for *${teamName}* ${span(override)} ` +
          `(times read in ${escapeMrkdwn(context.timeZone)}). Override *${override.id}*; ${undo(override.id)}`,
      );
    }
    case 'take': {
      const shift = shiftAt(rotation, now);
      const on: OnCall = onCallAt(rotation, context.overrides, now);
      if (on.user === asker.user && on.until >= shift.end)
        return text(`You are on call for *${teamName}* already, until ${slackDate(on.until.toISOString())}.`);
      const override = await make(asker.user, now, shift.end, 'take');
      return text(
        `Read as: you take the rest of ${mention(shift.user)}'s shift of *${teamName}*: you are on call ${span(override)}. ` +
          `Override *${override.id}*; ${undo(override.id)}`,
      );
    }
    case 'swap': {
      if (request.user === asker.user)
        return text('Swap with someone else: a swap with yourself changes nothing.');
      const mine = nextShiftsOf(rotation, asker.user, now, 1)[0];
      const theirs = nextShiftsOf(rotation, request.user, now, 1)[0];
      if (!mine) return text(`You are not in the rotation of *${teamName}*, so you have no shift to swap.`);
      if (!theirs) return text(`${mention(request.user)} is not in the rotation of *${teamName}*.`);
      const given = await make(request.user, mine.start, mine.end, 'swap');
      const taken = await make(asker.user, theirs.start, theirs.end, 'swap');
      return text(
        `Read as: you and ${mention(request.user)} swap your next shifts of *${teamName}*. ` +
          `${mention(request.user)} is on call ${span(given)} (*${given.id}*), and you ${span(taken)} (*${taken.id}*). ` +
          `\`/tms oncall remove <id> ${teamName}\` undoes either.`,
      );
    }
  }
}
