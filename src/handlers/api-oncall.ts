import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { own } from '../core/bounds.js';
import { onCallFor, rotationOf } from '../core/use-cases/oncall.js';
import { type HttpResult, json, problem } from '../http/respond.js';
import type { HouseDeps } from '../runtime/deps.js';

/**
 * `GET /api/oncall[?team=]` (issue 19): who is on call for each team with a rotation, or for the one named,
 * until when, and who is next: the answer of `/tms oncall`, the overrides counted. Every role may read it.
 */
export async function oncallRoute(deps: HouseDeps, event: APIGatewayProxyEventV2): Promise<HttpResult> {
  const query = event.queryStringParameters ?? {};
  const unknown = Object.keys(query).find((name) => name !== 'team');
  if (unknown !== undefined)
    return problem(
      400,
      'INVALID_INPUT',
      `${unknown.slice(0, 40)}: not a parameter of this route (it takes team)`,
    );
  const named = query.team?.trim().toLowerCase();
  const now = deps.clock.now();
  let teams: [string, NonNullable<ReturnType<typeof rotationOf>>][];
  if (named) {
    const team = own(deps.config.teams, named);
    if (!team) return problem(404, 'TEAM_NOT_FOUND', `There is no team ${named.slice(0, 64)}`);
    const rotation = rotationOf(team);
    if (!rotation) return problem(404, 'TEAM_NOT_FOUND', `The team ${named} has no on-call rotation`);
    teams = [[named, rotation]];
  } else {
    teams = Object.entries(deps.config.teams).flatMap(([name, team]) => {
      const rotation = rotationOf(team);
      return rotation ? [[name, rotation] as [string, typeof rotation]] : [];
    });
  }
  const oncall = await Promise.all(
    teams.map(async ([team, rotation]) => {
      const on = await onCallFor(deps.oncall, team, rotation, now);
      return {
        team,
        now: { user: on.now.user, until: on.now.until.toISOString() },
        next: { user: on.next.user, from: on.next.from.toISOString() },
      };
    }),
  );
  return json(200, { oncall });
}
