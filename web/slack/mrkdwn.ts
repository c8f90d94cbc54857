/**
 * Slack's mrkdwn, read into a tree the page draws (render.ts) and node tests examine: no DOM here.
 *
 * Every step is linear in the text, whatever the text: a message is what a sender wrote, and 100,000 `*` or
 * `<` must cost what 100,000 letters cost. So no regular expression ever runs over message text; the closer
 * of each marker is found through tables built in one pass from the right (`nextCloser`), and a span's inside
 * is read only at its own nesting level, which is at most one per marker kind (a marker's first closer ends
 * it, so a span never holds another of its kind).
 */

export type Inline =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'bold' | 'italic' | 'strike'; readonly children: readonly Inline[] }
  | { readonly type: 'code'; readonly text: string }
  | { readonly type: 'link'; readonly url: string; readonly label: string }
  | { readonly type: 'user'; readonly id: string; readonly label?: string }
  | { readonly type: 'channel'; readonly id: string; readonly label?: string }
  | { readonly type: 'usergroup'; readonly id: string; readonly label?: string }
  | { readonly type: 'special'; readonly name: string }
  | {
      readonly type: 'date';
      readonly epoch: number;
      readonly format: string;
      readonly fallback: string;
      readonly link?: string;
    }
  | { readonly type: 'emoji'; readonly name: string; readonly char: string }
  | { readonly type: 'break' };

export type Block =
  | { readonly type: 'paragraph'; readonly children: readonly Inline[] }
  | { readonly type: 'quote'; readonly children: readonly Inline[] }
  | { readonly type: 'pre'; readonly text: string };

/** The emoji TMS writes, and a few a person would: others stay as their `:name:`. */
export const EMOJI: Readonly<Record<string, string>> = Object.assign(Object.create(null), {
  warning: '⚠️',
  white_check_mark: '✅',
  repeat: '🔁',
  chart_with_upwards_trend: '📈',
  zzz: '💤',
  tada: '🎉',
  rotating_light: '🚨',
  red_circle: '🔴',
  white_circle: '⚪',
  large_yellow_circle: '🟡',
  large_orange_circle: '🟠',
  large_blue_circle: '🔵',
  large_green_circle: '🟢',
  speech_balloon: '💬',
  mute: '🔇',
  loudspeaker: '📢',
  label: '🏷️',
  bulb: '💡',
  books: '📚',
  bar_chart: '📊',
  fire: '🔥',
  eyes: '👀',
  x: '❌',
  heavy_check_mark: '✔️',
  hourglass: '⌛',
  bell: '🔔',
  wrench: '🔧',
  thumbsup: '👍',
  '+1': '👍',
  pushpin: '📌',
  link: '🔗',
  clock1: '🕐',
  information_source: 'ℹ️',
});

/** Slack's three escapes, which is all it escapes: `&lt;`, `&gt;`, `&amp;`. */
export function decodeEscapes(text: string): string {
  if (!text.includes('&')) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const amp = text.indexOf('&', i);
    if (amp < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, amp);
    if (text.startsWith('&lt;', amp)) {
      out += '<';
      i = amp + 4;
    } else if (text.startsWith('&gt;', amp)) {
      out += '>';
      i = amp + 4;
    } else if (text.startsWith('&amp;', amp)) {
      out += '&';
      i = amp + 5;
    } else {
      out += '&';
      i = amp + 1;
    }
  }
  return out;
}

/** A whole mrkdwn text: ``` blocks, `>` quoted lines, and paragraphs of inline marks. */
export function parseMrkdwn(text: string): Block[] {
  const blocks: Block[] = [];
  let i = 0;
  while (i <= text.length) {
    const open = text.indexOf('```', i);
    const close = open < 0 ? -1 : text.indexOf('```', open + 3);
    if (open < 0 || close < 0) {
      lines(text.slice(i), blocks);
      break;
    }
    lines(text.slice(i, open), blocks);
    blocks.push({ type: 'pre', text: decodeEscapes(trimNewlines(text.slice(open + 3, close))) });
    i = close + 3;
  }
  return blocks.filter((b) => b.type === 'pre' || b.children.length > 0);
}

/** Inline marks only (a field, a button's text): what a paragraph holds. */
export function parseInline(text: string): Inline[] {
  return new InlineReader(text).read(0, text.length);
}

function trimNewlines(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text[start] === '\n') start++;
  while (end > start && text[end - 1] === '\n') end--;
  return text.slice(start, end);
}

function lines(text: string, into: Block[]): void {
  if (!text) return;
  let paragraph: string[] = [];
  let quote: string[] = [];
  const flush = () => {
    if (paragraph.length > 0) into.push({ type: 'paragraph', children: parseInline(paragraph.join('\n')) });
    if (quote.length > 0) into.push({ type: 'quote', children: parseInline(quote.join('\n')) });
    paragraph = [];
    quote = [];
  };
  for (const line of text.split('\n')) {
    const marker = line.startsWith('>') ? 1 : line.startsWith('&gt;') ? 4 : 0;
    if (marker > 0) {
      if (paragraph.length > 0) flush();
      quote.push(line.slice(line[marker] === ' ' ? marker + 1 : marker));
    } else {
      if (quote.length > 0) flush();
      paragraph.push(line);
    }
  }
  flush();
}

const MARKS = { '*': 'bold', _: 'italic', '~': 'strike' } as const;
type Mark = keyof typeof MARKS;

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\n' || c === '\t' || c === '\r';
}

function isWordChar(c: string | undefined): boolean {
  if (c === undefined) return false;
  const code = c.charCodeAt(0);
  return (
    (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code > 127
  );
}

class InlineReader {
  /** For each position, the first at or after it where each marker could close a span; -1 for none. */
  readonly #closers: Record<Mark | '`', Int32Array>;
  /** For each position, the first `>` at or after it on the same line; -1 for none. */
  readonly #nextGt: Int32Array;
  /** For each position, the first `:` at or after it; -1 for none. */
  readonly #nextColon: Int32Array;
  /** For each position, the first newline at or after it; the text's length for none. */
  readonly #nextNewline: Int32Array;

  constructor(private readonly text: string) {
    const n = text.length;
    const make = () => new Int32Array(n + 1).fill(-1);
    this.#closers = { '*': make(), _: make(), '~': make(), '`': make() };
    this.#nextGt = make();
    this.#nextColon = make();
    this.#nextNewline = new Int32Array(n + 1).fill(n);
    for (let i = n - 1; i >= 0; i--) {
      const c = text[i] as string;
      for (const mark of ['*', '_', '~', '`'] as const) {
        const table = this.#closers[mark];
        table[i] = c === mark && (mark === '`' || this.#canClose(i)) ? i : (table[i + 1] as number);
      }
      this.#nextGt[i] = c === '>' ? i : c === '\n' ? -1 : (this.#nextGt[i + 1] as number);
      this.#nextColon[i] = c === ':' ? i : (this.#nextColon[i + 1] as number);
      this.#nextNewline[i] = c === '\n' ? i : (this.#nextNewline[i + 1] as number);
    }
  }

  #canOpen(i: number): boolean {
    const before = this.text[i - 1];
    const after = this.text[i + 1];
    return !isWordChar(before) && after !== undefined && !isSpace(after);
  }

  #canClose(i: number): boolean {
    const before = this.text[i - 1];
    const after = this.text[i + 1];
    return before !== undefined && !isSpace(before) && !isWordChar(after);
  }

  /** The closer of the marker opened at `i`, before `end` and on the same line; -1 for none. */
  #closer(mark: Mark | '`', i: number, end: number): number {
    const j = this.#closers[mark][i + 1] as number;
    if (j < 0 || j >= end || j === i + 1) return -1;
    return (this.#nextNewline[i + 1] as number) < j ? -1 : j;
  }

  read(start: number, end: number): Inline[] {
    const out: Inline[] = [];
    let plain = start;
    const text = (to: number) => {
      if (to > plain) pushText(out, decodeEscapes(this.text.slice(plain, to)));
    };
    let i = start;
    while (i < end) {
      const c = this.text[i] as string;
      if (c === '`') {
        const j = this.#closer('`', i, end);
        if (j > 0) {
          text(i);
          out.push({ type: 'code', text: decodeEscapes(this.text.slice(i + 1, j)) });
          i = plain = j + 1;
          continue;
        }
      } else if ((c === '*' || c === '_' || c === '~') && this.#canOpen(i)) {
        const j = this.#closer(c, i, end);
        if (j > 0) {
          text(i);
          out.push({ type: MARKS[c], children: this.read(i + 1, j) });
          i = plain = j + 1;
          continue;
        }
      } else if (c === '<') {
        const j = this.#nextGt[i + 1] ?? -1;
        if (j > i + 1 && j < end) {
          text(i);
          out.push(entity(this.text.slice(i + 1, j)));
          i = plain = j + 1;
          continue;
        }
      } else if (c === ':') {
        const j = this.#nextColon[i + 1] ?? -1;
        // An emoji's name is short: looking no further keeps a line of colons linear.
        if (j > i + 1 && j - i <= 40 && j < end) {
          const name = this.text.slice(i + 1, j);
          const char = EMOJI[name];
          if (char) {
            text(i);
            out.push({ type: 'emoji', name, char });
            i = plain = j + 1;
            continue;
          }
        }
      }
      i++;
    }
    text(end);
    return out;
  }
}

function pushText(out: Inline[], text: string): void {
  const last = out[out.length - 1];
  if (last?.type === 'text') out[out.length - 1] = { type: 'text', text: last.text + text };
  else out.push({ type: 'text', text });
}

const SAFE_URL = ['http://', 'https://', 'mailto:'];

/** What is between `<` and `>`: a mention, a channel, a special mention, a date or a link. */
function entity(inner: string): Inline {
  const bar = inner.indexOf('|');
  const head = bar < 0 ? inner : inner.slice(0, bar);
  const label = bar < 0 ? undefined : decodeEscapes(inner.slice(bar + 1));
  const withLabel = label ? { label } : {};
  if (head.startsWith('@')) return { type: 'user', id: head.slice(1), ...withLabel };
  if (head.startsWith('#')) return { type: 'channel', id: head.slice(1), ...withLabel };
  if (head.startsWith('!subteam^')) return { type: 'usergroup', id: head.slice(9), ...withLabel };
  if (head.startsWith('!date^')) {
    // <!date^epoch^format^optional_link|fallback>
    const parts = head.slice(6).split('^');
    const epoch = Number(parts[0]);
    if (parts.length >= 2 && parts[0] !== '' && inDateRange(epoch))
      return {
        type: 'date',
        epoch,
        format: parts[1] ?? '',
        fallback: label ?? '',
        ...(parts[2] && isSafeUrl(parts[2]) ? { link: parts[2] } : {}),
      };
    return { type: 'text', text: label ?? decodeEscapes(inner) };
  }
  if (head.startsWith('!')) return { type: 'special', name: head.slice(1) };
  const url = decodeEscapes(head);
  if (isSafeUrl(url)) return { type: 'link', url, label: label ?? url };
  // Not something Slack links (a javascript: URL, a stray `<…>`): shown as its words.
  return { type: 'text', text: label ?? `<${decodeEscapes(inner)}>` };
}

/** Whether `epoch` (seconds) is a time a JS Date holds (±8.64e15 ms): any other is shown as its fallback. */
export function inDateRange(epoch: number): boolean {
  return Number.isFinite(epoch) && Math.abs(epoch * 1000) <= 8.64e15;
}

function isSafeUrl(url: string): boolean {
  const lower = url.slice(0, 8).toLowerCase();
  return SAFE_URL.some((scheme) => lower.startsWith(scheme));
}

const DAY = 86_400_000;

/**
 * A `<!date^…>` token's format, in `timeZone` (the browser's by default): `{date_num}`, `{date}`,
 * `{date_short}`, `{date_long}`, their `_pretty` forms (today, yesterday, tomorrow), `{time}`, `{time_secs}`
 * and `{ago}`; other text as written.
 */
export function formatSlackDate(epoch: number, format: string, now: number, timeZone?: string): string {
  const at = new Date(epoch * 1000);
  if (Number.isNaN(at.getTime())) return '';
  const zone = timeZone ? { timeZone } : {};
  const part = (options: Intl.DateTimeFormatOptions) =>
    new Intl.DateTimeFormat('en-US', { ...zone, ...options }).format(at);
  const dayOf = (ms: number) =>
    new Intl.DateTimeFormat('en-CA', { ...zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
      new Date(ms),
    );
  const pretty = (fallback: () => string) => {
    const day = dayOf(at.getTime());
    if (day === dayOf(now)) return 'today';
    if (day === dayOf(now - DAY)) return 'yesterday';
    if (day === dayOf(now + DAY)) return 'tomorrow';
    return fallback();
  };
  const ordinal = (d: number) => {
    const tens = d % 100;
    if (tens >= 11 && tens <= 13) return `${d}th`;
    return `${d}${['th', 'st', 'nd', 'rd'][d % 10] ?? 'th'}`;
  };
  const dayNumber = () => Number(part({ day: 'numeric' }));
  const tokens: Record<string, () => string> = {
    date_num: () => dayOf(at.getTime()),
    date: () => `${part({ month: 'long' })} ${ordinal(dayNumber())}, ${part({ year: 'numeric' })}`,
    date_short: () => part({ month: 'short', day: 'numeric', year: 'numeric' }),
    date_long: () =>
      `${part({ weekday: 'long' })}, ${part({ month: 'long' })} ${ordinal(dayNumber())}, ${part({ year: 'numeric' })}`,
    time: () => part({ hour: 'numeric', minute: '2-digit' }),
    time_secs: () => part({ hour: 'numeric', minute: '2-digit', second: '2-digit' }),
    ago: () => ago(now - at.getTime()),
  };
  tokens.date_pretty = () => pretty(tokens.date as () => string);
  tokens.date_short_pretty = () => pretty(tokens.date_short as () => string);
  tokens.date_long_pretty = () => pretty(tokens.date_long as () => string);
  let out = '';
  let i = 0;
  while (i < format.length) {
    const open = format.indexOf('{', i);
    const close = open < 0 ? -1 : format.indexOf('}', open);
    if (open < 0 || close < 0) {
      out += format.slice(i);
      break;
    }
    const name = format.slice(open + 1, close);
    const token = Object.hasOwn(tokens, name) ? tokens[name] : undefined;
    out += format.slice(i, open) + (token ? token() : format.slice(open, close + 1));
    i = close + 1;
  }
  return out;
}

function ago(ms: number): string {
  const future = ms < 0;
  const s = Math.abs(ms) / 1000;
  const [n, unit] =
    s < 60
      ? [Math.round(s), 'second']
      : s < 3600
        ? [Math.round(s / 60), 'minute']
        : s < 86_400
          ? [Math.round(s / 3600), 'hour']
          : [Math.round(s / 86_400), 'day'];
  const words = `${n} ${unit}${n === 1 ? '' : 's'}`;
  return future ? `in ${words}` : `${words} ago`;
}

/** A plain_text object's text with its `:emoji:` shown, as Slack shows it when `emoji` is true. */
export function emojify(text: string): string {
  if (!text.includes(':')) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf(':', i);
    if (open < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, open);
    // A name is short: looking at most 40 characters ahead keeps a line of colons linear.
    const close = text.slice(open + 1, open + 42).indexOf(':');
    const name = close > 0 ? text.slice(open + 1, open + 1 + close) : '';
    const char = name ? EMOJI[name] : undefined;
    if (char) {
      out += char;
      i = open + close + 2;
    } else {
      out += ':';
      i = open + 1;
    }
  }
  return out;
}
