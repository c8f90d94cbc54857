import { Blocks } from 'slack-block-builder';
import { nextShiftsOf, type Override, onCallAt, type Rotation } from '../core/oncall.js';
import type { Deps } from '../core/use-cases/deps.js';
import { OVERRIDES_AHEAD_MS, overridesFrom, rotationOf } from '../core/use-cases/oncall.js';
import { logger } from '../runtime/logger.js';
import { mrkdwn, slackDate } from './text.js';

/**
 * "Your on-call shifts" on the App Home (issue 19): when the viewer is on call now, and their next shifts across
 * every team with a rotation, the overrides counted (one giving them time shows, one taking theirs away hides
 * it). Someone in no rotation whom no override puts on call gets no section: the Home shows only what is the
 * viewer's, as it shows only their teams, and `/tms oncall` answers anyone who asks who is on call.
 */

/** One team's rotation and the overrides read for it. */
export interface TeamOncall {
  readonly team: string;
  readonly rotation: Rotation;
  readonly overrides: readonly Override[];
  /** The overrides could not be read: the shifts are the rotation's alone. */
  readonly overridesFailed?: boolean;
}

/** A span of time the viewer is on call for a team without a break. */
export interface ViewerShift {
  readonly team: string;
  readonly start: Date;
  readonly end: Date;
}

export interface ViewerShifts {
  /** The teams the viewer is on call for now, each until when (its `start` is now). */
  readonly now: readonly ViewerShift[];
  /** Their next shifts, soonest first. */
  readonly next: readonly ViewerShift[];
  /** Teams whose overrides could not be read. */
  readonly unread: readonly string[];
}

/** How many next shifts the Home lists. */
export const NEXT_SHIFTS = 3;
/** How far ahead shifts are looked for: as far as `overridesFrom` reads overrides. */
const HORIZON_MS = OVERRIDES_AHEAD_MS;
/** Steps through one team's spans: each lands on an instant the viewer may come on call, so few are needed. */
const MAX_STEPS = 200;
/** The most teams whose overrides one Home reads, and how many at a time. */
export const MAX_TEAMS = 50;
const PARALLEL = 10;

/**
 * The next instant after `at` the viewer may come on call: the start of one of their rotation's shifts, the
 * start of an override naming them, or the end of any override (which may give their own shift back). Nothing
 * else changes who is on call to them.
 */
function nextChance(rotation: Rotation, overrides: readonly Override[], user: string, at: Date): number {
  const t = at.getTime();
  let next = nextShiftsOf(rotation, user, at, 1)[0]?.start.getTime() ?? Number.POSITIVE_INFINITY;
  for (const o of overrides) {
    const start = Date.parse(o.start);
    const end = Date.parse(o.end);
    if (o.user === user && start > t && start < next) next = start;
    if (end > t && end < next) next = end;
  }
  return next;
}

/** The spans `user` is on call for one team from `now` on, at most `count` starting after now, merged where they touch. */
function spansOf(oncall: TeamOncall, user: string, now: Date, count: number): ViewerShift[] {
  const { team, rotation, overrides } = oncall;
  const horizon = now.getTime() + HORIZON_MS;
  const spans: { team: string; start: Date; end: Date }[] = [];
  const upcoming = () => spans.filter((s) => s.start > now).length;
  let at = now;
  for (let step = 0; step < MAX_STEPS && at.getTime() < horizon; step++) {
    const on = onCallAt(rotation, overrides, at);
    if (on.user === user) {
      const last = spans.at(-1);
      if (last && last.end.getTime() === at.getTime()) last.end = on.until;
      else {
        // A shift past the `count` wanted: the one before it is whole, and nothing more is needed.
        if (upcoming() === count) break;
        spans.push({ team, start: at, end: on.until });
      }
      at = on.until;
    } else {
      const next = nextChance(rotation, overrides, user, at);
      if (!Number.isFinite(next)) break;
      at = new Date(next);
    }
  }
  return spans;
}

/** The viewer's shifts now and next across teams; undefined when they are in no rotation and on no shift. */
export function viewerShifts(
  teams: readonly TeamOncall[],
  user: string,
  now: Date,
  count = NEXT_SHIFTS,
): ViewerShifts | undefined {
  const spans = teams.flatMap((t) => spansOf(t, user, now, count));
  const inRotation = teams.some((t) => t.rotation.participants.includes(user));
  if (spans.length === 0 && !inRotation) return undefined;
  const byStart = (a: ViewerShift, b: ViewerShift) =>
    a.start.getTime() - b.start.getTime() || a.end.getTime() - b.end.getTime();
  return {
    now: spans.filter((s) => s.start.getTime() === now.getTime()).sort(byStart),
    next: spans
      .filter((s) => s.start > now)
      .sort(byStart)
      .slice(0, count),
    unread: teams.filter((t) => t.overridesFailed).map((t) => t.team),
  };
}

const team = (name: string) => mrkdwn(name, 100);

/** The section's blocks: a heading, the lines, and a note when some overrides could not be read. */
export function homeShiftsBlocks(shifts: ViewerShifts) {
  const lines = shifts.now.map(
    (s) => `:pager: On call now for *${team(s.team)}* until ${slackDate(s.end.toISOString())}`,
  );
  if (shifts.next.length > 0) {
    lines.push('*Next*');
    for (const s of shifts.next)
      lines.push(
        `• ${team(s.team)}: from ${slackDate(s.start.toISOString())} to ${slackDate(s.end.toISOString())}`,
      );
  }
  if (lines.length === 0) lines.push('No shift of yours in the next 400 days.');
  const blocks = [Blocks.Header({ text: 'Your on-call shifts' }), Blocks.Section({ text: lines.join('\n') })];
  if (shifts.unread.length > 0)
    return [
      ...blocks,
      Blocks.Context().elements(
        `:warning: The on-call overrides of ${shifts.unread.map(team).join(', ')} could not be read: shifts there are shown from the rotation alone.`,
      ),
    ];
  return blocks;
}

/**
 * Reads what the section needs: the overrides of every team with a rotation (one query each), since an override
 * may name anyone. At most MAX_TEAMS, the viewer's own rotations first (past the bound, a team the viewer is not
 * in could only have given them a shift). A lookup that fails is logged and its team shown from the rotation.
 */
export async function homeShifts(
  deps: Pick<Deps, 'config' | 'oncall' | 'warn'>,
  user: string,
  now: Date,
): Promise<ViewerShifts | undefined> {
  const rotations = Object.entries(deps.config.teams).flatMap(([name, settings]) => {
    const rotation = rotationOf(settings);
    return rotation ? [{ team: name, rotation }] : [];
  });
  const mine = (r: { rotation: Rotation }) => r.rotation.participants.includes(user);
  const queried = [...rotations.filter(mine), ...rotations.filter((r) => !mine(r))].slice(0, MAX_TEAMS);
  const warn = deps.warn ?? ((message, context) => logger.warn(message, context));
  const teams: TeamOncall[] = [];
  for (let i = 0; i < queried.length; i += PARALLEL) {
    const batch = queried.slice(i, i + PARALLEL);
    teams.push(
      ...(await Promise.all(
        batch.map(async ({ team, rotation }): Promise<TeamOncall> => {
          try {
            return { team, rotation, overrides: await overridesFrom(deps.oncall, team, now) };
          } catch (error) {
            warn('on-call overrides could not be read; App Home shows the rotation alone', {
              team,
              error: error instanceof Error ? error.message : String(error),
            });
            return { team, rotation, overrides: [], overridesFailed: true };
          }
        }),
      )),
    );
  }
  return viewerShifts(teams, user, now);
}
