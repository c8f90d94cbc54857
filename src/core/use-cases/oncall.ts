import { own } from '../bounds.js';
import type { TeamConfig } from '../config.js';
import { type OnCall, onCallAt, onCallNow, type Rotation } from '../oncall.js';
import type { OncallStore, OverrideRecord } from '../ports.js';
import { isSlackUserId, type Task } from '../task.js';
import type { Deps } from './deps.js';

/**
 * Who is on call for a team (issue 19), as `/tms oncall` and `GET /api/oncall` both answer it: the config's
 * rotation, with the overrides people made.
 */

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

/** How far ahead overrides are read (who is next may lie past several of them): every on-call view's horizon. */
export const OVERRIDES_AHEAD_MS = 400 * 86_400_000;

/** A team's overrides that matter from `now` on (none where no store is). */
export async function overridesFrom(
  store: OncallStore | undefined,
  team: string,
  now: Date,
): Promise<OverrideRecord[]> {
  if (!store) return [];
  return store.listOverrides(
    team,
    now.toISOString(),
    new Date(now.getTime() + OVERRIDES_AHEAD_MS).toISOString(),
  );
}

/** Who is on call for the team now, until when, and who is next, from when. */
export async function onCallFor(
  store: OncallStore | undefined,
  team: string,
  rotation: Rotation,
  now: Date,
): Promise<{ now: OnCall; next: { user: string; from: Date } }> {
  return onCallNow(rotation, await overridesFrom(store, team, now), now);
}

/** Who a new task goes to as on call for its team, and the reason the task keeps (`Task.assignedBy`). */
export interface OnCallAssignment {
  readonly assignee: string;
  readonly assignedBy: NonNullable<Task['assignedBy']>;
}

/**
 * Whom a new alert task of `team` is assigned to at `at` (issue 19): whoever is on call then, the overrides in
 * force counted. One query (the overrides covering that instant), none for a team without a rotation, which
 * stays unassigned. An override lookup that fails falls back to the rotation alone, so ingest never fails
 * for it; the failure is reported through `warn`.
 */
export async function onCallAssignment(
  deps: Pick<Deps, 'config' | 'oncall' | 'warn'>,
  team: string | null,
  at: Date,
): Promise<OnCallAssignment | undefined> {
  const settings = team ? own(deps.config.teams, team) : undefined;
  const rotation = settings ? rotationOf(settings) : undefined;
  if (!team || !rotation) return undefined;
  let overrides: OverrideRecord[] = [];
  if (deps.oncall) {
    const from = at.toISOString();
    try {
      overrides = await deps.oncall.listOverrides(team, from, new Date(at.getTime() + 1).toISOString());
    } catch (error) {
      deps.warn?.('on-call overrides could not be read; assigned from the rotation alone', {
        team,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  const user = onCallAt(rotation, overrides, at).user;
  return isSlackUserId(user) ? { assignee: user, assignedBy: { oncall: team, user } } : undefined;
}
