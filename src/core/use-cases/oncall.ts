import type { TeamConfig } from '../config.js';
import { type OnCall, onCallNow, type Rotation } from '../oncall.js';
import type { OncallStore, OverrideRecord } from '../ports.js';

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

/** How far ahead overrides are read: who is next may lie past several of them. */
const AHEAD_MS = 400 * 86_400_000;

/** A team's overrides that matter from `now` on (none where no store is). */
export async function overridesFrom(
  store: OncallStore | undefined,
  team: string,
  now: Date,
): Promise<OverrideRecord[]> {
  if (!store) return [];
  return store.listOverrides(team, now.toISOString(), new Date(now.getTime() + AHEAD_MS).toISOString());
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
