import { createHash } from 'node:crypto';

/**
 * Every bound on what a sender controls, in one place. Whatever a sender sends, an alert cut to these makes
 * a task item (with the copy of its `opened` entry) well under DynamoDB's 400 KB, and keys within its limits
 * (2,048 bytes for a partition key, GSI ones included; 1,024 for a sort key, where a fingerprint or service
 * is part of one in the aggregates). Worst case, in UTF-8 bytes: title 1.2 KB, description 16 KB, labels
 * 64 KB (`labelBytes`), links 20 × (2,048 + 320) = 47 KB twice; about 180 KB.
 */
export const LIMITS = {
  /** A glob in a silence matcher or a config `match` rule. */
  globLength: 256,
  /** Service and team names, in UTF-8 bytes (a key such as `SERVICE#<name>` or `AGG#svc:<name>`). */
  nameBytes: 200,
  /** A fingerprint, in UTF-8 bytes (`FP#<fingerprint>` is a key; longer ones are hashed). */
  fingerprintBytes: 512,
  titleLength: 300,
  descriptionLength: 4000,
  summaryLength: 300,
  /**
   * Every label a sender sent is kept whole (silences and `match.labels` rules look at all of them), within
   * this many UTF-8 bytes for all of them (keys, values and `labelOverheadBytes` each); what does not fit is
   * left out whole and named. Only the card caps how many it shows (`labelsShown`).
   */
  labelBytes: 64 * 1024,
  /** What a label costs beyond its key and value, as DynamoDB stores a map entry (and to bound their count). */
  labelOverheadBytes: 8,
  /** How many labels a card shows; the rest are counted ("and 12 more"). */
  labelsShown: 12,
  /** A silence's label key (a silence matcher is typed by a person). */
  labelKeyLength: 64,
  labelValueLength: 256,
  linkCount: 20,
  linkLabelLength: 80,
  /** A link's URL, canonical (non-ASCII percent-encoded, so characters are bytes). */
  urlLength: 2048,
  /** A log line read for patterns and normalised; the rest of the line is not looked at. */
  logLineLength: 8192,
} as const;

export const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/** The longest prefix of `text` within `max` UTF-8 bytes, never splitting a character. */
export function cutBytes(text: string, max: number): string {
  if (utf8Bytes(text) <= max) return text;
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const size = utf8Bytes(char);
    if (bytes + size > max) break;
    bytes += size;
    end += char.length;
  }
  return text.slice(0, end);
}

/**
 * At most `max` characters (UTF-16 units, which is also what Slack's limits count), an ellipsis saying it was
 * cut: cut between two characters, never inside a surrogate pair. The one truncation of plain text in TMS
 * (stored fields, Slack's plain_text objects, a notification's subject).
 */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 1);
  const last = text.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end -= 1; // a lone high surrogate is not a character
  return `${text.slice(0, end)}…`;
}

/** An http(s) address, parsed; undefined for anything else (other schemes, text that is no URL). */
export function httpUrl(text: string): URL | undefined {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url : undefined;
  } catch {
    return undefined;
  }
}

export const isUrl = (text: string | undefined): text is string => text !== undefined && !!httpUrl(text);

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * Within `max` bytes and still one-to-one in practice: a text that fits is itself; a longer one is its
 * prefix and a hash of the whole, so two long names that share a prefix stay apart.
 */
export function boundKey(text: string, max: number, hashLength = 16): string {
  if (utf8Bytes(text) <= max) return text;
  return `${cutBytes(text, max - hashLength - 1)}~${digest(text).slice(0, hashLength)}`;
}

export const boundName = (name: string): string => boundKey(name, LIMITS.nameBytes);
export const boundFingerprint = (fingerprint: string): string =>
  boundKey(fingerprint, LIMITS.fingerprintBytes, 32);

/** A record without a prototype: `constructor`, `__proto__` or `toString` are keys like any other. */
export function record<V>(entries: Iterable<readonly [string, V]>): Record<string, V> {
  const out = Object.create(null) as Record<string, V>;
  for (const [key, value] of entries) out[key] = value;
  return out;
}

/** `table[key]` when the table has that key of its own; never what its prototype has. */
export function own<V>(table: Readonly<Record<string, V>> | undefined, key: string): V | undefined {
  return table !== undefined && Object.hasOwn(table, key) ? table[key] : undefined;
}

/**
 * Labels a store keeps: every one, whole (a cut value would match what the sender did not send), in key
 * order, within `LIMITS.labelBytes`; a label that does not fit is left out whole and its key is returned, so
 * the task can say what is missing.
 */
export function boundLabels(labels: Readonly<Record<string, string>>): {
  labels: Record<string, string>;
  dropped: number;
  droppedKeys: string[];
} {
  const entries = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const kept: (readonly [string, string])[] = [];
  const droppedKeys: string[] = [];
  let budget = LIMITS.labelBytes;
  for (const [key, value] of entries) {
    const cost = utf8Bytes(key) + utf8Bytes(value) + LIMITS.labelOverheadBytes;
    if (cost <= budget) {
      kept.push([key, value]);
      budget -= cost;
    } else droppedKeys.push(key);
  }
  return { labels: record(kept), dropped: droppedKeys.length, droppedKeys };
}

/** A link's URL as stored: canonical http(s) within the bound, else undefined (the link is dropped). */
export function boundUrl(text: string): string | undefined {
  if (text.length > LIMITS.urlLength * 4) return undefined; // not worth parsing: it cannot fit
  const url = httpUrl(text);
  if (!url) return undefined;
  return url.href.length <= LIMITS.urlLength ? url.href : undefined;
}

export function boundLinks(links: readonly { readonly label: string; readonly url: string }[]): {
  links: { label: string; url: string }[];
  dropped: number;
} {
  const kept: { label: string; url: string }[] = [];
  for (const link of links) {
    if (kept.length >= LIMITS.linkCount) break;
    const url = boundUrl(link.url);
    const label = cut(link.label.trim(), LIMITS.linkLabelLength);
    if (url && label) kept.push({ label, url });
  }
  return { links: kept, dropped: links.length - kept.length };
}

/**
 * Matches `*` (any run of characters, none included) and everything else literally, in O(n·m) at worst:
 * the classic greedy matcher that, on a mismatch, only ever goes back to the last star (a regex built from
 * the glob backtracks over every star: `*a*a*a*a*a*a*b` took seconds on one alert).
 */
export function globMatch(pattern: string, value: string): boolean {
  let p = 0;
  let v = 0;
  let star = -1;
  let resume = 0;
  while (v < value.length) {
    if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      resume = v;
    } else if (p < pattern.length && pattern[p] === value[v]) {
      p++;
      v++;
    } else if (star >= 0) {
      p = star + 1;
      v = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}
