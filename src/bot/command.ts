import { PRIORITIES, type Priority, parseTaskId } from '../core/task.js';
import { reportService } from '../core/use-cases/reports.js';
import { decodeEntities } from './text.js';

/** What `/tms <text>` asked for, read like speech; see USAGE for the forms. */
export type TmsCommand =
  | { readonly name: 'help'; readonly topic?: string }
  | {
      readonly name: 'new';
      /** Absent for a bare `/tms new`: the modal asks for everything. */
      readonly title?: string;
      readonly priority?: Priority;
      readonly service?: string;
      readonly assignee?: string;
      /** Words among the options that were not recognised, so the reply can say so. */
      readonly unrecognised?: Unrecognised;
    }
  | {
      readonly name: 'list';
      readonly scope: 'mine' | 'open' | 'all';
      readonly service?: string;
      readonly priority?: Priority;
    }
  | { readonly name: 'show'; readonly id: string }
  | { readonly name: 'assign'; readonly id: string; readonly assignee: string }
  | { readonly name: 'claim' | 'ack' | 'start' | 'reopen' | 'unsnooze'; readonly id: string }
  | { readonly name: 'priority'; readonly id: string; readonly priority: Priority }
  | { readonly name: 'resolve'; readonly id: string; readonly note?: string }
  | { readonly name: 'comment'; readonly id: string; readonly text: string }
  | { readonly name: 'snooze'; readonly id: string; readonly duration: string }
  | { readonly name: 'silence'; readonly words: readonly string[] }
  | { readonly name: 'silences' }
  | { readonly name: 'lift'; readonly id: string }
  | { readonly name: 'stats' | 'trends'; readonly service?: string; readonly window?: string }
  | { readonly name: 'playbook'; readonly service: string }
  | { readonly name: 'digest' }
  /** Issue 18: the words after `schedule` as typed (decoded); none opens the form. */
  | { readonly name: 'schedule'; readonly words: readonly string[] }
  | { readonly name: 'schedules' }
  | { readonly name: 'unschedule'; readonly id: string }
  | { readonly name: 'heartbeat'; readonly words: readonly string[] }
  | { readonly name: 'heartbeats' }
  | { readonly name: 'maintenance'; readonly words: readonly string[] }
  /** Issue 19: who is on call for a team, or for every team with a rotation. */
  | { readonly name: 'oncall'; readonly words: readonly string[] }
  /** Issue 19: page the next step of a task's escalation now. */
  | { readonly name: 'escalate'; readonly id: string };

/** What `/tms new` saw among its options and could not use: said back to the person, never dropped silently. */
export interface Unrecognised {
  /** A last word after the options that names no configured service: it stays in the title. */
  readonly service?: string;
  /** `@name` typed as text rather than picked from Slack's list: Slack sent no user id for it. */
  readonly person?: string;
}

/**
 * A parsed command, or what is wrong with it: `usage` is the line of what was meant, absent where a usage
 * line would not help (an unknown word, which gets a pointer to `/tms help` or a close match instead).
 */
export type ParseResult =
  | { readonly ok: true; readonly command: TmsCommand }
  | { readonly ok: false; readonly problem: string; readonly usage?: string };

/** One line of usage per subcommand: what a mistake is answered with. */
export const USAGE = {
  help: '`/tms help` — what TMS can do',
  new: '`/tms new <title> [p1..p4] [service] [@user]` — open a task (`/tms new` alone opens a form)',
  list: '`/tms list [mine|open|all] [service] [p1..p4]` — tasks, newest first',
  show: '`/tms show <id>` — a task and its history (`TMS-42` or `42`)',
  assign: '`/tms assign <id> @user` — give a task to someone',
  claim: '`/tms claim <id>` — take a task and acknowledge it',
  ack: '`/tms ack <id>` — acknowledge a task',
  start: '`/tms start <id>` — mark a task in progress',
  priority: '`/tms priority <id> p1..p4` — change a task’s priority',
  resolve: '`/tms resolve <id> [note]` — resolve a task (no note: a form asks for it)',
  reopen: '`/tms reopen <id>` — reopen a resolved task',
  comment: '`/tms comment <id> <text>` — add a note to a task’s history',
  snooze: '`/tms snooze <id> <30m|2h|1d>` — quiet a task’s reminders for a while',
  unsnooze: '`/tms unsnooze <id>` — end a task’s snooze now',
  silence:
    '`/tms silence <service or key=value …> <30m|2h|1d> [reason]` — matching alerts open no task for a while',
  silences: '`/tms silences` — the silences in force; `/tms silences lift <id>` ends one',
  stats:
    '`/tms stats [service] [7d]` — MTTA, MTTR, MTBF and SLA adherence over a window (default 7d, up to 90d)',
  trends: '`/tms trends [service] [1h]` — what is firing well above its usual rate',
  playbook: '`/tms playbook <service>` — a service’s recurring issues and what fixed them',
  digest: '`/tms digest` — post this channel’s digest here now',
  schedule:
    '`/tms schedule "<title>" [p1..p4] [service] [@user] at <time> [every day|week|month|weekday|<cron>] [remind #channel|webhook <url>]` — a chore, reminder or webhook on time (`/tms schedule` alone opens a form)',
  schedules: '`/tms schedules` — schedules with their next run and how the last one went',
  unschedule: '`/tms unschedule <id>` — remove a schedule (its runs stay in its history)',
  heartbeat:
    '`/tms heartbeat <name> every <1d> [grace <1h>] [service]` — a task opens when a job stops pinging (`/tms heartbeat <name> remove` ends it)',
  heartbeats: '`/tms heartbeats` — each heartbeat with its last ping and whether it is late',
  maintenance:
    '`/tms maintenance <service or key=value …> from <time> to <time> [every …] [reason]` — hold alerts back during planned work',
  oncall:
    '`/tms oncall [team]` — who is on call now, until when, and who is next; ' +
    '`/tms oncall override <@person> <2h|from <time> to <time>> [team]`, `/tms oncall swap <@person> [team]` ' +
    '(your next shifts), `/tms oncall take [team]` (the rest of this shift), `/tms oncall overrides [team]`, ' +
    '`/tms oncall remove <id> [team]`',
  escalate: '`/tms escalate <id>` — page the next step of a task’s escalation now, without waiting',
} as const;
export type Subcommand = keyof typeof USAGE;

/** A word that could name a service (the reports' own reading is `reportService`). */
const SERVICE = /^[a-z0-9][a-z0-9._-]*$/;
const WINDOW = /^\d+[smhdw]$/;

const MENTION = /^<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>$/;
const USER_ID = /^@?([UW][A-Z0-9]{2,})$/;
/** A user id typed by hand after an @ (`@U01BBB`): Slack sends it as typed, not as a mention. */
const TYPED_USER_ID = /^@([UW][A-Z0-9]{2,})$/;
/** `@ben` typed as text: Slack turned no mention into an id, so TMS cannot know who is meant. */
const TYPED_NAME = /^@[\w.-]{1,80}$/;
const PRIORITY = /^p([1-4])$/i;

export function helpText(): string {
  return ['*TMS* — tasks and incidents, from Slack.', ...Object.values(USAGE).map((u) => `• ${u}`)].join(
    '\n',
  );
}

/**
 * Reads the text of a slash command. `services` are the configured service names, which `new` and `list`
 * recognise among their last words. Mentions arrive as `<@U…|name>` (the manifest asks Slack to escape
 * them); everything else a person typed arrives with `&`, `<` and `>` encoded and is decoded here.
 */
export function parseCommand(text: string, services: readonly string[]): ParseResult {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const name = (words.shift() ?? 'help').toLowerCase();
  const usage = (sub: Subcommand, problem: string): ParseResult => ({
    ok: false,
    problem,
    usage: USAGE[sub],
  });
  const ok = (command: TmsCommand): ParseResult => ({ ok: true, command });
  const idOr = (sub: Subcommand): string | ParseResult => {
    const raw = words.shift();
    if (!raw) return usage(sub, `\`${sub}\` needs a task id`);
    const id = parseTaskId(decodeEntities(raw));
    return id ?? usage(sub, `"${decodeEntities(raw)}" is not a task id such as TMS-42 or 42`);
  };
  const rest = () => decodeEntities(words.join(' ')).trim();

  switch (name) {
    case 'help':
    case '?':
      return ok({ name: 'help', ...(words[0] ? { topic: words[0].toLowerCase() } : {}) });
    case 'new':
    case 'create':
    case 'open': {
      if (words.length === 0) return ok({ name: 'new' });
      const read = readNewOptions(words, services);
      const title = decodeEntities(read.titleWords.join(' ')).trim();
      if (!title)
        return usage('new', `A task needs a title before its options; this read ${read.took.join(' and ')}`);
      const unrecognised = {
        ...(read.unknownService ? { service: read.unknownService } : {}),
        ...(read.unknownPerson ? { person: read.unknownPerson } : {}),
      };
      return ok({
        name: 'new',
        title,
        ...(read.priority ? { priority: read.priority } : {}),
        ...(read.service ? { service: read.service } : {}),
        ...(read.assignee ? { assignee: read.assignee } : {}),
        ...(Object.keys(unrecognised).length > 0 ? { unrecognised } : {}),
      });
    }
    case 'list':
    case 'ls': {
      let scope: 'mine' | 'open' | 'all' = 'open';
      let service: string | undefined;
      let priority: Priority | undefined;
      for (const word of words.map((w) => decodeEntities(w).toLowerCase())) {
        const level = PRIORITY.exec(word)?.[1];
        if (word === 'mine' || word === 'open' || word === 'all') scope = word;
        else if (level) priority = PRIORITIES[Number(level) - 1];
        else if (services.includes(word)) service = word;
        else return usage('list', `"${word}" is not mine, open, all, a priority or a service`);
      }
      return ok({ name: 'list', scope, ...(service ? { service } : {}), ...(priority ? { priority } : {}) });
    }
    case 'show':
    case 'claim':
    case 'ack':
    case 'acknowledge':
    case 'start':
    case 'reopen':
    case 'unsnooze':
    case 'wake': {
      const sub = (name === 'acknowledge' ? 'ack' : name === 'wake' ? 'unsnooze' : name) as
        | 'show'
        | 'claim'
        | 'ack'
        | 'start'
        | 'reopen'
        | 'unsnooze';
      const id = idOr(sub);
      if (typeof id !== 'string') return id;
      if (words.length > 0) return usage(sub, `\`${sub}\` takes only a task id`);
      return ok({ name: sub, id });
    }
    case 'assign': {
      const id = idOr('assign');
      if (typeof id !== 'string') return id;
      // A mention as Slack escapes it, or a bare user id (from a script, or a workspace without escaping).
      const user = MENTION.exec(words[0] ?? '')?.[1] ?? USER_ID.exec(words[0] ?? '')?.[1];
      if (!user || words.length > 1) return usage('assign', 'Name one person, as @someone');
      return ok({ name: 'assign', id, assignee: user });
    }
    case 'priority':
    case 'prio': {
      const id = idOr('priority');
      if (typeof id !== 'string') return id;
      const level = PRIORITY.exec(words[0] ?? '')?.[1];
      if (!level || words.length > 1) return usage('priority', 'Give one priority: p1, p2, p3 or p4');
      return ok({ name: 'priority', id, priority: PRIORITIES[Number(level) - 1] as Priority });
    }
    case 'resolve':
    case 'close': {
      const id = idOr('resolve');
      if (typeof id !== 'string') return id;
      const note = rest();
      return ok({ name: 'resolve', id, ...(note ? { note } : {}) });
    }
    case 'comment':
    case 'note': {
      const id = idOr('comment');
      if (typeof id !== 'string') return id;
      const text = rest();
      if (!text) return usage('comment', 'A comment needs some text');
      return ok({ name: 'comment', id, text });
    }
    case 'snooze': {
      const id = idOr('snooze');
      if (typeof id !== 'string') return id;
      if (words.length !== 1) return usage('snooze', 'Say for how long: 30m, 2h or 1d');
      return ok({ name: 'snooze', id, duration: decodeEntities(words[0] as string) });
    }
    case 'silence': {
      if (words.length === 0) return usage('silence', 'Say what to silence, and for how long');
      return ok({ name: 'silence', words: words.map(decodeEntities) });
    }
    case 'silences':
    case 'unsilence': {
      if (name === 'silences' && words.length === 0) return ok({ name: 'silences' });
      const lifting = name === 'unsilence' || words[0]?.toLowerCase() === 'lift';
      const named = decodeEntities((name === 'unsilence' ? words[0] : words[1]) ?? '');
      const extra = name === 'unsilence' ? words.length > 1 : words.length > 2;
      if (!lifting)
        return usage('silences', `"${decodeEntities(words[0] ?? '')}" is not something silences does`);
      if (!named)
        return usage('silences', 'Name the silence to lift, such as S-1a2b3c (`/tms silences` lists them)');
      if (extra) return usage('silences', 'Lift one silence at a time');
      if (WINDOW_ID.test(named)) return ok({ name: 'lift', id: `MW-${named.slice(3).toLowerCase()}` });
      if (!SILENCE_ID.test(named))
        return usage(
          'silences',
          `"${named}" is not a silence: silence ids look like S-1a2b3c, and \`/tms silences\` lists the ones in force`,
        );
      return ok({ name: 'lift', id: `S-${named.slice(2).toLowerCase()}` });
    }
    case 'stats':
    case 'trends': {
      let service: string | undefined;
      let window: string | undefined;
      for (const word of words.map((w) => decodeEntities(w).toLowerCase())) {
        if (WINDOW.test(word) && !window) window = word;
        else if (reportService(word) && !service) service = word;
        else return usage(name, `"${word}" is not a service or a window such as 1h or 7d`);
      }
      return ok({ name, ...(service ? { service } : {}), ...(window ? { window } : {}) });
    }
    case 'playbook': {
      const service = reportService(decodeEntities(words[0] ?? ''));
      if (!service || words.length > 1) return usage('playbook', 'Name one service');
      return ok({ name: 'playbook', service });
    }
    case 'digest':
      if (words.length > 0) return usage('digest', '`digest` takes nothing more');
      return ok({ name: 'digest' });
    case 'schedule':
      return ok({ name: 'schedule', words: words.map(decodeEntities) });
    case 'schedules':
      if (words.length > 0) return usage('schedules', '`schedules` takes nothing more');
      return ok({ name: 'schedules' });
    case 'unschedule': {
      const raw = decodeEntities(words[0] ?? '');
      if (!raw)
        return usage('unschedule', 'Name the schedule, such as SCH-1a2b3c4d (`/tms schedules` lists them)');
      if (words.length > 1) return usage('unschedule', 'Remove one schedule at a time');
      if (!/^SCH-[0-9a-z]{8}$/i.test(raw))
        return usage('unschedule', `"${raw.slice(0, 40)}" is not a schedule id such as SCH-1a2b3c4d`);
      return ok({ name: 'unschedule', id: `SCH-${raw.slice(4).toLowerCase()}` });
    }
    case 'heartbeat':
      if (words.length === 0) return usage('heartbeat', 'Name the heartbeat and how often it pings');
      return ok({ name: 'heartbeat', words: words.map(decodeEntities) });
    case 'heartbeats':
      if (words.length > 0) return usage('heartbeats', '`heartbeats` takes nothing more');
      return ok({ name: 'heartbeats' });
    case 'maintenance':
      if (words.length === 0)
        return usage('maintenance', 'Say what the window holds back, from when and to when');
      return ok({ name: 'maintenance', words: words.map(decodeEntities) });
    case 'escalate': {
      const id = idOr('escalate');
      if (typeof id !== 'string') return id;
      if (words.length > 0) return usage('escalate', '`escalate` takes only a task id');
      return ok({ name: 'escalate', id });
    }
    case 'oncall':
      // Read by src/core/oncall-command.ts, which needs the asker's time zone and teams; mentions stay whole.
      return ok({ name: 'oncall', words: words.map((w) => (MENTION.test(w) ? w : decodeEntities(w))) });
    default:
      return unknownCommand(decodeEntities(name));
  }
}

const SILENCE_ID = /^S-[0-9a-z]{6,}$/i;
const WINDOW_ID = /^MW-[0-9a-z]{6,8}$/i;

/** Every word `parseCommand` takes as a subcommand, for "did you mean". */
const COMMAND_WORDS = [
  ...Object.keys(USAGE),
  'create',
  'open',
  'ls',
  'acknowledge',
  'wake',
  'prio',
  'close',
  'note',
  'unsilence',
];

/**
 * A word that is no subcommand: the closest one when it is a slip of the keyboard (`lsit`, `ackk`), else a
 * one-line pointer to `/tms help`; never the whole help, which buries the answer.
 */
function unknownCommand(word: string): ParseResult {
  const shown = word.length > 40 ? `${word.slice(0, 40)}…` : word;
  const close = closestCommand(word.toLowerCase());
  if (close)
    return {
      ok: false,
      problem: `\`${shown}\` is not a TMS command: did you mean \`${close}\`?`,
      usage: USAGE[close],
    };
  return { ok: false, problem: `\`${shown}\` is not a TMS command; \`/tms help\` lists what TMS can do` };
}

/** The subcommand within one edit (two for longer words) of `word`, transpositions counting as one. */
export function closestCommand(word: string): Subcommand | undefined {
  if (word.length > 20) return undefined; // no subcommand is near so long a word; keeps the work bounded
  const allowed = word.length <= 4 ? 1 : 2;
  let best: { word: string; distance: number } | undefined;
  for (const candidate of COMMAND_WORDS) {
    const distance = editDistance(word, candidate);
    if (distance <= allowed && (!best || distance < best.distance)) best = { word: candidate, distance };
  }
  if (!best) return undefined;
  return (ALIAS_OF[best.word] ?? best.word) as Subcommand;
}

const ALIAS_OF: Readonly<Record<string, Subcommand>> = {
  create: 'new',
  open: 'new',
  ls: 'list',
  acknowledge: 'ack',
  wake: 'unsnooze',
  prio: 'priority',
  close: 'resolve',
  note: 'comment',
  unsilence: 'silences',
};

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps cost one. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = rows[i] as number[];
      const above = rows[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(
        (above[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (above[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(row[j] as number, ((rows[i - 2] as number[])[j - 2] as number) + 1);
    }
  }
  return (rows[a.length] as number[])[b.length] as number;
}

interface NewOptions {
  readonly titleWords: readonly string[];
  readonly priority?: Priority;
  readonly service?: string;
  readonly assignee?: string;
  readonly unknownService?: string;
  readonly unknownPerson?: string;
  /** The option words taken, as typed: said back when they leave no title. */
  readonly took: readonly string[];
}

/**
 * `/tms new`'s options, read from its last words in any order, each at most once: a priority (`p2`), a
 * configured service, and a person (`<@U…>`, `<@U…|ben>`, or `@U…` typed by hand). An `@name` that Slack sent
 * as text is taken out of the title and reported. A last word that is no option, right after options
 * (`Something p2 nosuchservice`), reads as a service that does not exist: it stays in the title and is
 * reported too. The first other word ends the options; everything before it is the title.
 */
function readNewOptions(words: readonly string[], services: readonly string[]): NewOptions {
  let priority: Priority | undefined;
  let service: string | undefined;
  let assignee: string | undefined;
  let unknownPerson: string | undefined;
  /** The last word, held while it is unclear whether it is a mistyped service or the title's end. */
  let held: string | undefined;
  let heldConfirmed = false;
  const took: string[] = [];
  let end = words.length;
  for (let i = words.length - 1; i >= 0; i--) {
    const word = words[i] as string;
    const lower = decodeEntities(word).toLowerCase();
    const user = MENTION.exec(word)?.[1] ?? TYPED_USER_ID.exec(word)?.[1];
    const level = PRIORITY.exec(word)?.[1];
    const as = decodeEntities(word);
    if (user && !assignee && !unknownPerson) {
      assignee = user;
      took.push(`"${as}" as the person to assign`);
    } else if (!user && TYPED_NAME.test(word) && !assignee && !unknownPerson) {
      unknownPerson = word;
      took.push(`"${as}" as a person`);
    } else if (level && !priority) {
      priority = PRIORITIES[Number(level) - 1];
      took.push(`"${as}" as its priority`);
    } else if (services.includes(lower) && !service) {
      service = lower;
      took.push(`"${as}" as its service`);
    } else if (i === words.length - 1 && SERVICE.test(lower) && !held) {
      held = word;
      end = i;
      continue;
    } else break;
    if (held) heldConfirmed = true;
    end = i;
  }
  const title = words.slice(0, end);
  return {
    // A held word stays in the title either way: a mistyped service is reported, not lost.
    titleWords: held !== undefined ? [...title, held] : title,
    ...(priority ? { priority } : {}),
    ...(service ? { service } : {}),
    ...(assignee ? { assignee } : {}),
    ...(held && heldConfirmed ? { unknownService: decodeEntities(held) } : {}),
    ...(unknownPerson ? { unknownPerson: decodeEntities(unknownPerson) } : {}),
    took: took.reverse(),
  };
}
