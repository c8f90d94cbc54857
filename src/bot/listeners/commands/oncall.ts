import { own } from '../../../core/bounds.js';
import type { TeamConfig } from '../../../core/config.js';
import { onCallNow, type Rotation } from '../../../core/oncall.js';
import type { BotDeps } from '../../context.js';
import { escapeMrkdwn, mention, slackDate } from '../../text.js';
import { type CommandOf, type Reply, text } from './reply.js';

/** A team's rotation as the core reads it, from the config. */
export function rotationOf(team: TeamConfig): Rotation | undefined {
  const oncall = team.oncall;
  if (!oncall) return undefined;
  return {
    participants: oncall.rotation,
    everyMs: oncall.every,
    handoff: oncall.handoff,
    timezone: oncall.timezone,
  };
}

/** `/tms oncall [team]`: who is on call now, until when, and who comes next, for one team or every one. */
export async function oncall(deps: BotDeps, command: CommandOf<'oncall'>): Promise<Reply> {
  const now = deps.clock.now();
  const teams = Object.entries(deps.config.teams).filter(([, team]) => team.oncall);
  if (command.team !== undefined) {
    const team = own(deps.config.teams, command.team);
    if (!team)
      return text(
        `There is no team *${escapeMrkdwn(command.team)}*; the config's teams: ${Object.keys(deps.config.teams).map(escapeMrkdwn).join(', ') || 'none'}.`,
      );
    const rotation = rotationOf(team);
    if (!rotation)
      return text(
        `*${escapeMrkdwn(command.team)}* has no on-call rotation in the config (\`teams.${escapeMrkdwn(command.team)}.oncall\`).`,
      );
    return text(lineOf(command.team, rotation, now));
  }
  if (teams.length === 0)
    return text('No team has an on-call rotation yet: add `oncall:` to a team in the config.');
  return text(
    `*On call*\n${teams.map(([name, team]) => lineOf(name, rotationOf(team) as Rotation, now)).join('\n')}`,
  );
}

function lineOf(name: string, rotation: Rotation, now: Date): string {
  const { now: on, next } = onCallNow(rotation, [], now);
  return `• *${escapeMrkdwn(name)}*: ${mention(on.user)} until ${slackDate(on.until.toISOString())}, then ${mention(next.user)} (${escapeMrkdwn(rotation.timezone)})`;
}
