import { fail, ok, type Result } from './result.js';
import { readEvery, type ScheduleRequest } from './schedule.js';
import { parseWhen } from './schedule-time.js';
import { PRIORITIES, type Priority } from './task.js';
import { checkWebhookUrl } from './webhook-target.js';

/**
 * `/tms schedule "<title>" [p1..p4] [service] [@user] at <time> [every …] [remind #channel|webhook <url>]`
 * read into a schedule request (issue 18). Pure: the words as Slack sent them (entities decoded), the time and
 * the person's time zone in. Every word is either read or named back as a mistake: a schedule that runs
 * unattended must not run something other than what was typed.
 */

/** What was read besides the request itself, for the reply that says how it was read. */
export interface ScheduleReading {
  /** The words read as the first run, as typed ("tomorrow 09:00"). */
  readonly at: string;
  /** A bare `remind`: the reminder goes to the channel the command was typed in. */
  readonly remindHere: boolean;
}

export interface ReadSchedule {
  readonly request: ScheduleRequest;
  readonly reading: ScheduleReading;
}

/** Longer text is no schedule anyone typed (Slack's own limit on a command's text is 4,000). */
const MAX_TEXT = 3_000;
const MAX_WORDS = 200;
/** `at` reads up to this many words: "next tuesday at 9am" is the longest form parseWhen knows. */
const AT_WORDS = 4;

const OPENING_QUOTES = '"“”„';
const CLOSING_QUOTES = '"”“';
const PRIORITY = /^p([1-4])$/i;
/** A user as Slack sends a picked mention (`<@U…|name>`), or an id typed after an @. */
const MENTION = /^<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>$/;
const TYPED_USER_ID = /^@([UW][A-Z0-9]{2,})$/;
const TYPED_NAME = /^@[^\s<>]{1,80}$/;
/** A channel as Slack sends a picked one (`<#C…|name>`), or a name typed after a # that Slack did not link. */
const CHANNEL = /^<#([CG][A-Z0-9]{2,})(?:\|[^>]*)?>$/;
const TYPED_CHANNEL = /^#[^\s<>]{1,80}$/;
/** A link as Slack wraps it: `<https://…>` or `<https://…|label>`. */
const WRAPPED_LINK = /^<([^|<>]+)(?:\|[^<>]*)?>$/;

const KEYWORDS = new Set(['at', 'every', 'remind', 'webhook']);

const HOW =
  'write it as `/tms schedule "Rotate the keys" p3 at mon 9am every week` (quote a title that holds such words)';

const said = (word: string) => `"${word.slice(0, 60)}"`;

/**
 * Reads the words after `/tms schedule`. `timeZone` is the person's (what a time without an offset means),
 * `services` the configured service names, `here` the channel the command was typed in (a task's card goes
 * there when no service is named; a bare `remind` reminds there).
 */
export function readScheduleCommand(
  words: readonly string[],
  now: Date,
  timeZone: string,
  services: readonly string[],
  here?: string,
): Result<ReadSchedule, string> {
  if (words.length > MAX_WORDS || words.join(' ').length > MAX_TEXT)
    return fail(`a schedule is at most ${MAX_TEXT} characters`);
  const title = readTitle(words, services);
  if (!title.ok) return title;
  const rest = title.value.rest;

  let priority: Priority | undefined;
  let service: string | undefined;
  let assignee: string | undefined;
  let at: { date: Date; text: string } | undefined;
  let every: string | undefined;
  let remind: { channel?: string } | undefined;
  let url: string | undefined;
  const twice = (what: string) => fail(`${what} is given twice; a schedule has one`);

  for (let i = 0; i < rest.length; i++) {
    const word = rest[i] as string;
    const lower = word.toLowerCase();
    const priorityMatch = PRIORITY.exec(word);
    if (priorityMatch) {
      if (priority) return twice('the priority');
      priority = PRIORITIES[Number(priorityMatch[1]) - 1];
      continue;
    }
    const person = MENTION.exec(word) ?? TYPED_USER_ID.exec(word);
    if (person) {
      if (assignee) return twice('the assignee');
      assignee = person[1];
      continue;
    }
    if (TYPED_NAME.test(word))
      return fail(
        `${said(word)} is not a person Slack recognised: pick them from Slack's list as you type @`,
      );
    const named = serviceNamed(word, services);
    if (named !== undefined) {
      if (service) return twice('the service');
      service = named;
      continue;
    }
    if (lower === 'at') {
      if (at) return twice('`at`');
      const read = readAt(rest, i + 1, now, timeZone);
      if (!read.ok) return read;
      at = { date: read.value.date, text: read.value.text };
      i += read.value.words;
      continue;
    }
    if (lower === 'every') {
      if (every) return twice('`every`');
      const read = readEveryWords(rest, i + 1);
      if (!read.ok) return read;
      every = read.value.every;
      i += read.value.words;
      continue;
    }
    if (lower === 'remind') {
      if (remind) return twice('`remind`');
      const next = rest[i + 1];
      const channel = next === undefined ? undefined : CHANNEL.exec(next);
      if (channel) {
        remind = { channel: channel[1] as string };
        i += 1;
      } else if (next !== undefined && TYPED_CHANNEL.test(next)) {
        return fail(
          `${said(next)} is not a channel Slack recognised: pick it from Slack's list as you type #, or write \`remind\` alone for this channel`,
        );
      } else {
        remind = {};
      }
      continue;
    }
    if (lower === 'webhook') {
      if (url) return twice('`webhook`');
      const next = rest[i + 1];
      if (next === undefined) return fail('`webhook` needs the URL it calls: `webhook https://host/path`');
      const unwrapped = WRAPPED_LINK.exec(next)?.[1] ?? next;
      const checked = checkWebhookUrl(unwrapped);
      if (!checked.ok) return fail(checked.error);
      url = unwrapped;
      i += 1;
      continue;
    }
    return fail(`${said(word)} is not something \`/tms schedule\` reads here; ${HOW}`);
  }

  if (remind && url) return fail('a schedule does one thing: `remind` or `webhook`, not both');
  if (!at) return fail('say when it first runs: `at tomorrow 09:00`, `at mon 9am`, `at in 2h`');
  const channel = remind ? (remind.channel ?? here) : url ? undefined : here;
  if (remind && !channel) return fail('`remind` names the channel it reminds: `remind #channel`');
  return ok({
    request: {
      title: title.value.title,
      at: at.date,
      ...(every !== undefined ? { every } : {}),
      timezone: timeZone,
      action: url ? 'webhook' : remind ? 'message' : 'task',
      ...(channel !== undefined ? { channel } : {}),
      ...(url !== undefined ? { url } : {}),
      ...(priority ? { priority } : {}),
      ...(service !== undefined ? { service } : {}),
      ...(assignee !== undefined ? { assignee } : {}),
    },
    reading: { at: at.text, remindHere: remind !== undefined && remind.channel === undefined },
  });
}

/** A word that names a configured service, as configured (names are compared without case). */
function serviceNamed(word: string, services: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  return services.find((s) => s === word) ?? services.find((s) => s.toLowerCase() === lower);
}

/** Whether a word begins the options: after an unquoted title, the first such word ends it. */
function isOption(word: string, services: readonly string[]): boolean {
  return (
    KEYWORDS.has(word.toLowerCase()) ||
    PRIORITY.test(word) ||
    MENTION.test(word) ||
    TYPED_USER_ID.test(word) ||
    serviceNamed(word, services) !== undefined
  );
}

/**
 * The title: a quoted string (straight or Slack's smart quotes, over as many words as it spans), or the words
 * before the first option. Then the words left for the options.
 */
function readTitle(
  words: readonly string[],
  services: readonly string[],
): Result<{ title: string; rest: string[] }, string> {
  const first = words[0];
  if (first === undefined) return fail(`a schedule needs a title and a time; ${HOW}`);
  if (OPENING_QUOTES.includes(first[0] as string)) {
    const text = words.join(' ');
    let close = -1;
    for (let i = 1; i < text.length; i++) {
      if (CLOSING_QUOTES.includes(text[i] as string)) {
        close = i;
        break;
      }
    }
    if (close < 0) return fail(`the title's quote is not closed; ${HOW}`);
    const after = text.slice(close + 1);
    if (after.length > 0 && !after.startsWith(' '))
      return fail(`the title's closing quote is followed by ${said(after.split(' ')[0] as string)}; ${HOW}`);
    const title = text.slice(1, close).trim();
    if (!title) return fail(`the quotes hold no title; ${HOW}`);
    return ok({ title, rest: after.split(' ').filter(Boolean) });
  }
  const end = words.findIndex((word) => isOption(word, services));
  const titleWords = end < 0 ? words : words.slice(0, end);
  if (titleWords.length === 0) return fail(`a schedule needs a title before its options; ${HOW}`);
  return ok({ title: titleWords.join(' '), rest: end < 0 ? [] : words.slice(end) });
}

/** `at <time>`: the longest of the next few words that parseWhen reads. */
function readAt(
  words: readonly string[],
  from: number,
  now: Date,
  timeZone: string,
): Result<{ date: Date; text: string; words: number }, string> {
  const available = Math.min(AT_WORDS, words.length - from);
  if (available <= 0) return fail('`at` needs a time: `at tomorrow 09:00`, `at mon 9am`, `at in 2h`');
  let problem: string | undefined;
  for (let n = available; n >= 1; n--) {
    const text = words.slice(from, from + n).join(' ');
    const read = parseWhen(text, now, timeZone);
    if (read.ok) return ok({ date: read.value, text, words: n });
    // A time that was read but cannot be (passed, no such date) says more than "not a time" of a shorter one.
    if (problem === undefined && !/is not a time TMS reads|^say when/.test(read.error)) problem = read.error;
    if (n === 1) return fail(problem ?? read.error);
  }
  return fail('`at` needs a time');
}

/** `every <day|week|…>`, `every <five cron fields>` or `every "<cron>"`. */
function readEveryWords(
  words: readonly string[],
  from: number,
): Result<{ every: string; words: number }, string> {
  const first = words[from];
  if (first === undefined)
    return fail('`every` needs how often: day, week, month, weekday or a cron pattern such as "0 9 * * 1-5"');
  if (OPENING_QUOTES.includes(first[0] as string)) {
    let end = -1;
    for (let i = from; i < words.length; i++) {
      const word = words[i] as string;
      const tail = i === from ? word.slice(1) : word;
      if (tail.length > 0 && CLOSING_QUOTES.includes(tail[tail.length - 1] as string)) {
        end = i;
        break;
      }
    }
    if (end < 0) return fail('the quote around the cron pattern is not closed');
    const text = words.slice(from, end + 1).join(' ');
    const read = readEvery(text.slice(1, -1));
    return read.ok ? ok({ every: read.value, words: end - from + 1 }) : fail(read.error);
  }
  const one = readEvery(first);
  if (one.ok) return ok({ every: one.value, words: 1 });
  if (words.length - from >= 5) {
    const cron = readEvery(words.slice(from, from + 5).join(' '));
    if (cron.ok) return ok({ every: cron.value, words: 5 });
    if (/^[0-9*]/.test(first)) return fail(cron.error);
  }
  return fail(
    `${said(first)} is not how often a schedule runs: write day, week, month, weekday or five cron fields such as "0 9 * * 1-5"`,
  );
}
