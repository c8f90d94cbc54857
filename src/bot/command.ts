import { PRIORITIES, type Priority, parseTaskId } from '../core/task.js';
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
    }
  | {
      readonly name: 'list';
      readonly scope: 'mine' | 'open' | 'all';
      readonly service?: string;
      readonly priority?: Priority;
    }
  | { readonly name: 'show'; readonly id: string }
  | { readonly name: 'assign'; readonly id: string; readonly assignee: string }
  | { readonly name: 'claim' | 'ack' | 'start' | 'reopen'; readonly id: string }
  | { readonly name: 'priority'; readonly id: string; readonly priority: Priority }
  | { readonly name: 'resolve'; readonly id: string; readonly note?: string }
  | { readonly name: 'comment'; readonly id: string; readonly text: string }
  | { readonly name: 'snooze'; readonly id: string; readonly duration: string }
  | { readonly name: 'silence'; readonly words: readonly string[] }
  | { readonly name: 'silences' }
  | { readonly name: 'lift'; readonly id: string }
  | { readonly name: 'stats' | 'trends'; readonly service?: string; readonly window?: string }
  | { readonly name: 'playbook'; readonly service: string }
  | { readonly name: 'digest' };

export type ParseResult =
  | { readonly ok: true; readonly command: TmsCommand }
  | { readonly ok: false; readonly problem: string; readonly usage: string };

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
  silence:
    '`/tms silence <service or key=value …> <30m|2h|1d> [reason]` — matching alerts open no task for a while',
  silences: '`/tms silences` — the silences in force; `/tms silences lift <id>` ends one',
  stats:
    '`/tms stats [service] [7d]` — MTTA, MTTR, MTBF and SLA adherence over a window (default 7d, up to 90d)',
  trends: '`/tms trends [service] [1h]` — what is firing well above its usual rate',
  playbook: '`/tms playbook <service>` — a service’s recurring issues and what fixed them',
  digest: '`/tms digest` — post this channel’s digest here now',
} as const;
export type Subcommand = keyof typeof USAGE;

/** A service as the reports name it: configured or named by its alerts. */
const SERVICE = /^[a-z0-9][a-z0-9._-]*$/;
const WINDOW = /^\d+[smhdw]$/;

const MENTION = /^<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>$/;
const USER_ID = /^@?([UW][A-Z0-9]{2,})$/;
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
      let priority: Priority | undefined;
      let service: string | undefined;
      let assignee: string | undefined;
      // Options are read from the end, each at most once; the words before them are the title.
      while (words.length > 1) {
        const last = words.at(-1) as string;
        const user = MENTION.exec(last)?.[1];
        const level = PRIORITY.exec(last)?.[1];
        if (user && !assignee) assignee = user;
        else if (level && !priority) priority = PRIORITIES[Number(level) - 1];
        else if (services.includes(last.toLowerCase()) && !service) service = last.toLowerCase();
        else break;
        words.pop();
      }
      const title = rest();
      if (!title) return usage('new', 'A task needs a title');
      return ok({
        name: 'new',
        title,
        ...(priority ? { priority } : {}),
        ...(service ? { service } : {}),
        ...(assignee ? { assignee } : {}),
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
    case 'reopen': {
      const sub = (name === 'acknowledge' ? 'ack' : name) as 'show' | 'claim' | 'ack' | 'start' | 'reopen';
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
      const id =
        (name === 'unsilence' ? words[0] : words[0]?.toLowerCase() === 'lift' ? words[1] : undefined) ?? '';
      const extra = name === 'unsilence' ? words.length > 1 : words.length > 2;
      if (!/^S-[0-9a-z]{6,}$/i.test(id) || extra)
        return usage('silences', 'Name the silence to lift, such as S-1a2b3c');
      return ok({ name: 'lift', id: `S-${id.slice(2).toLowerCase()}` });
    }
    case 'stats':
    case 'trends': {
      let service: string | undefined;
      let window: string | undefined;
      for (const word of words.map((w) => decodeEntities(w).toLowerCase())) {
        if (WINDOW.test(word) && !window) window = word;
        else if (SERVICE.test(word) && !service) service = word;
        else return usage(name, `"${word}" is not a service or a window such as 1h or 7d`);
      }
      return ok({ name, ...(service ? { service } : {}), ...(window ? { window } : {}) });
    }
    case 'playbook': {
      const service = decodeEntities(words[0] ?? '').toLowerCase();
      if (!SERVICE.test(service) || words.length > 1) return usage('playbook', 'Name one service');
      return ok({ name: 'playbook', service });
    }
    case 'digest':
      if (words.length > 0) return usage('digest', '`digest` takes nothing more');
      return ok({ name: 'digest' });
    default:
      return {
        ok: false,
        problem: `\`${decodeEntities(name)}\` is not a TMS command`,
        usage: helpText(),
      };
  }
}
