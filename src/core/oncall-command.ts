import { fail, ok, type Result } from './result.js';
import { parseWhen } from './schedule-time.js';
import { parseDuration } from './time.js';

/**
 * The words of `/tms oncall …` (issue 19), read into what is asked. Pure: the instant, the asker's time zone
 * and the teams are arguments. The words arrive as Slack sent them, mentions as `<@U…|name>`.
 *
 *   oncall [team]                                              who is on call
 *   oncall override <@U…> <duration|from <time> to <time>> [team]
 *   oncall swap <@U…> [team]                                   the asker and that person swap their next shifts
 *   oncall take [team]                                         the asker takes the rest of the current shift
 *   oncall overrides [team]                                    the overrides to come, with their ids
 *   oncall remove <id> [team]
 */
export type OncallRequest =
  | { readonly kind: 'show'; readonly team?: string }
  | {
      readonly kind: 'override';
      readonly team?: string;
      readonly user: string;
      readonly start: Date;
      readonly end: Date;
    }
  | { readonly kind: 'swap'; readonly team?: string; readonly user: string }
  | { readonly kind: 'take'; readonly team?: string }
  | { readonly kind: 'overrides'; readonly team?: string }
  | { readonly kind: 'remove'; readonly team?: string; readonly id: string };

export interface OncallParseContext {
  readonly now: Date;
  /** The asker's time zone, in which the times they write are read. */
  readonly timeZone: string;
  /** The config's team names: a last word that is one names the team. */
  readonly teams: readonly string[];
}

/** The longest override TMS makes: a holiday's cover, not a new rotation. */
export const MAX_OVERRIDE_MS = 31 * 86_400_000;

const MENTION = /^<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>$/;
const TYPED_ID = /^@([UW][A-Z0-9]{2,})$/;
const OVERRIDE_ID = /^OV-[0-9a-z]{8}$/;
const TEAM = /^[a-z0-9][a-z0-9._-]*$/;
const SUBCOMMANDS = new Set(['override', 'swap', 'take', 'overrides', 'remove']);

/** An override's id, from a random token: `OV-` and eight letters or digits. */
export function overrideIdFrom(token: string): string {
  return `OV-${token
    .replace(/[^0-9a-z]/gi, '')
    .toLowerCase()
    .padEnd(8, '0')
    .slice(0, 8)}`;
}

const shown = (word: string) => `"${word.slice(0, 40)}"`;

function userOf(word: string | undefined): string | undefined {
  if (!word) return undefined;
  return MENTION.exec(word)?.[1] ?? TYPED_ID.exec(word)?.[1];
}

function whoProblem(word: string | undefined, form: string): string {
  if (!word) return `\`${form}\` needs a person: mention them, as in \`/tms oncall ${form} @ben\``;
  return `${shown(word)} is not a person: mention them with @ so Slack sends who they are`;
}

export function parseOncallWords(
  input: readonly string[],
  context: OncallParseContext,
): Result<OncallRequest, string> {
  const words = [...input];
  const first = words[0]?.toLowerCase();
  if (first === undefined) return ok({ kind: 'show' });
  if (!SUBCOMMANDS.has(first)) {
    if (words.length > 1) return fail('Name one team, or none for every team');
    if (!TEAM.test(first)) return fail(`${shown(words[0] as string)} is not a team name`);
    return ok({ kind: 'show', team: first });
  }
  words.shift();
  // A last word that names a team is the team (no time or person is spelt like one).
  const last = words.at(-1)?.toLowerCase();
  const team = last !== undefined && context.teams.includes(last) ? last : undefined;
  if (team) words.pop();
  const withTeam = team ? { team } : {};
  switch (first) {
    case 'take':
    case 'overrides':
      if (words.length > 0)
        return fail(
          `\`${first}\` takes only a team, and ${shown(words.join(' '))} is not one of the config's teams`,
        );
      return ok({ kind: first, ...withTeam });
    case 'remove': {
      const id = words[0];
      if (!id)
        return fail('Name the override to remove, such as OV-1a2b3c4d (`/tms oncall overrides` lists them)');
      if (!OVERRIDE_ID.test(id))
        return fail(`${shown(id)} is not an override: their ids look like OV-1a2b3c4d`);
      if (words.length > 1) return fail('Remove one override at a time (and name a team the config has)');
      return ok({ kind: 'remove', id, ...withTeam });
    }
    case 'swap': {
      const user = userOf(words[0]);
      if (!user) return fail(whoProblem(words[0], 'swap'));
      if (words.length > 1)
        return fail(`\`swap\` takes a person and a team; ${shown(words.slice(1).join(' '))} is neither`);
      return ok({ kind: 'swap', user, ...withTeam });
    }
    default:
      return readOverride(words, context, withTeam);
  }
}

function readOverride(
  words: string[],
  context: OncallParseContext,
  withTeam: { team?: string },
): Result<OncallRequest, string> {
  const user = userOf(words[0]);
  if (!user) return fail(whoProblem(words[0], 'override'));
  const rest = words.slice(1);
  if (rest.length === 0) return fail('Say for how long, as in `2h` or `3d`, or `from <time> to <time>`');
  let start: Date;
  let end: Date;
  if (rest[0]?.toLowerCase() === 'from') {
    const to = rest.findIndex((w) => w.toLowerCase() === 'to');
    if (to < 0) return fail('`from <time>` needs its end: `from <time> to <time>`');
    const fromText = rest.slice(1, to).join(' ');
    const toText = rest.slice(to + 1).join(' ');
    if (!fromText) return fail('Say when it starts after `from` (or `from now`)');
    if (!toText) return fail('Say when it ends after `to`');
    const from = fromText.toLowerCase() === 'now' ? ok(context.now) : timeOf(fromText, context);
    if (!from.ok) return fail(`from: ${from.error}`);
    const until = timeOf(toText, context);
    if (!until.ok) return fail(`to: ${until.error}`);
    start = from.value;
    end = until.value;
    if (end <= start) return fail(`It ends (${end.toISOString()}) before it starts (${start.toISOString()})`);
  } else {
    const ms = parseDuration(rest[0] as string);
    if (ms === undefined)
      return fail(
        `${shown(rest[0] as string)} is not a duration such as 30m, 2h or 3d, nor \`from <time> to <time>\``,
      );
    if (rest.length > 1) return fail(`${shown(rest.slice(1).join(' '))} is not one of the config's teams`);
    start = context.now;
    end = new Date(context.now.getTime() + ms);
  }
  if (end.getTime() - start.getTime() > MAX_OVERRIDE_MS)
    return fail('An override lasts at most 31 days: for longer, change the rotation in the config');
  return ok({ kind: 'override', user, start, end, ...withTeam });
}

function timeOf(text: string, context: OncallParseContext): Result<Date, string> {
  const at = parseWhen(text, context.now, context.timeZone);
  // parseWhen speaks of schedules; the rule is the same here.
  return at.ok ? at : fail(at.error.replace("a schedule's first run", 'an override'));
}

/**
 * The team a change is for: the one named, else the asker's only team with a rotation. `rotations` are the
 * config's teams that have one; `mine` the asker's teams.
 */
export function teamFor(
  named: string | undefined,
  mine: readonly string[],
  rotations: readonly string[],
): Result<string, string> {
  if (named !== undefined) {
    if (!rotations.includes(named))
      return fail(`*${named}* has no on-call rotation; those that do: ${rotations.join(', ') || 'none'}`);
    return ok(named);
  }
  const candidates = mine.filter((t) => rotations.includes(t));
  if (candidates.length === 1) return ok(candidates[0] as string);
  if (candidates.length === 0)
    return fail(`Name the team (you are on no team with a rotation): ${rotations.join(', ') || 'none'}`);
  return fail(`Name the team: you are on ${candidates.join(', ')}`);
}
