import { emptyHistogram, type Histogram, parseHistogram, percentile, record } from '../histogram.js';
import type { SlaClock, SlaStage } from '../sla.js';
import type { Priority, Task } from '../task.js';
import { emptyTopK, offer, parseTopK, type TopK, top } from '../top-k.js';
import type { TaskFacts } from './facts.js';

/** Notes and resolvers kept per key: enough to name what usually fixes an issue and who usually does. */
export const NOTES_KEPT = 10;
export const RESOLVERS_KEPT = 5;
const RECENT_KEPT = 5;
/**
 * How long a task's counted version is kept: longer than a record can still be delivered (the event source
 * mapping gives up on records older than an hour), short enough that a busy service's statistics stay small.
 */
export const APPLIED_FOR_MS = 3 * 3_600_000;

/**
 * Which history a task is compared with: its issue's (tasks that are the same issue for a person, whatever
 * their dedup keys: src/core/similar.ts), else its service's at its priority. `issue` is the task's issue key,
 * or, for a task written before issue keys, its fingerprint (where its history was kept then).
 */
export type StatsKey =
  | { readonly kind: 'issue'; readonly service: string; readonly issue: string }
  | { readonly kind: 'service'; readonly service: string; readonly priority: Priority };

/** The issue a task's history is kept under: its issue key, else (a task from before them) its fingerprint. */
export const issueOf = (task: Pick<Task, 'issueKey' | 'fingerprint'>): string | null =>
  task.issueKey ?? task.fingerprint;

/** How a recurring issue (or a service at a priority) was handled so far. */
export interface ResolutionStats {
  readonly key: StatsKey;
  /** The latest task's title and id, to name the issue and link to it. */
  readonly title: string | null;
  readonly lastTaskId: string | null;
  /** Times the issue happened: its tasks opened or reopened. */
  readonly times: number;
  readonly resolved: number;
  readonly autoResolved: number;
  readonly tta: Histogram;
  readonly ttr: Histogram;
  /** Resolution notes, compared case- and punctuation-blind; `noteText` keeps how each was written last. */
  readonly notes: TopK;
  readonly noteText: Readonly<Record<string, string>>;
  readonly resolvers: TopK;
  readonly recent: readonly {
    readonly taskId: string;
    readonly at: string;
    readonly ttrMs: number;
    readonly by: string | null;
    readonly note: string | null;
  }[];
  /** The last version of each task counted, while it could still be delivered again, so it counts once. */
  readonly applied: Readonly<Record<string, { readonly version: number; readonly at: string }>>;
}

export const emptyStats = (key: StatsKey): ResolutionStats => ({
  key,
  title: null,
  lastTaskId: null,
  times: 0,
  resolved: 0,
  autoResolved: 0,
  tta: emptyHistogram(),
  ttr: emptyHistogram(),
  notes: emptyTopK(NOTES_KEPT),
  noteText: {},
  resolvers: emptyTopK(RESOLVERS_KEPT),
  recent: [],
  applied: {},
});

/**
 * The keys a change is counted under: its issue's stats for anything (how often it happened is the
 * playbook's), its service's at its priority only for what predictions read (times to acknowledge and resolve).
 */
export function statsKeysOf({ task, facts }: TaskFacts): StatsKey[] {
  const timed = facts.some((f) => f.type === 'acknowledged' || f.type === 'resolved');
  const issue = issueOf(task);
  return [
    ...(issue ? [{ kind: 'issue' as const, service: task.service, issue }] : []),
    ...(timed ? [{ kind: 'service' as const, service: task.service, priority: task.priority }] : []),
  ];
}

/** A note as it is compared: lower case, single spaces, no closing punctuation. */
export const normalizeNote = (note: string): string =>
  note
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/[\s.!;,]+$/u, '')
    .trim()
    .slice(0, 200);

/** Whether a change counts in these stats at all: only the facts that resolution statistics keep. */
export const countsInStats = (change: TaskFacts): boolean => change.facts.some((f) => f.type !== 'occurred');

/**
 * The stats with the changes added, each task's changes counted once and in order (a change at or below the
 * version already counted for its task is skipped: a stream record delivered twice). Pure.
 */
export function foldStats(stats: ResolutionStats, changes: readonly TaskFacts[], now: Date): ResolutionStats {
  let s = stats;
  const applied: Record<string, { version: number; at: string }> = { ...stats.applied };
  for (const change of changes) {
    const { task } = change;
    if ((applied[task.id]?.version ?? 0) >= task.version || !countsInStats(change)) continue;
    applied[task.id] = { version: task.version, at: now.toISOString() };
    s = { ...s, title: task.title, lastTaskId: task.id };
    for (const fact of change.facts) {
      if (fact.type === 'opened' || fact.type === 'reopened') s = { ...s, times: s.times + 1 };
      if (fact.type === 'acknowledged' && fact.byPerson) s = { ...s, tta: record(s.tta, fact.tookMs) };
      if (fact.type === 'resolved') {
        // A source's recovery text is not a fix someone applied: only people's notes are offered as fixes.
        const normalized = fact.note && !fact.automatic ? normalizeNote(fact.note) : '';
        const noteText = { ...s.noteText };
        let notes = s.notes;
        if (normalized) {
          notes = offer(notes, normalized);
          noteText[normalized] = (fact.note ?? '').trim().slice(0, 200);
        }
        // Keep the text of the notes still counted only.
        const kept = new Set(notes.entries.map((e) => e.value));
        for (const name of Object.keys(noteText)) if (!kept.has(name)) delete noteText[name];
        s = {
          ...s,
          resolved: s.resolved + 1,
          autoResolved: s.autoResolved + (fact.automatic ? 1 : 0),
          ttr: record(s.ttr, fact.tookMs),
          notes,
          noteText,
          resolvers: !fact.automatic && fact.by ? offer(s.resolvers, fact.by) : s.resolvers,
          recent: [
            {
              taskId: task.id,
              at: fact.at,
              ttrMs: fact.tookMs,
              by: fact.by,
              note: fact.automatic ? null : fact.note,
            },
            ...s.recent,
          ].slice(0, RECENT_KEPT),
        };
      }
    }
  }
  const horizon = now.getTime() - APPLIED_FOR_MS;
  for (const [taskId, entry] of Object.entries(applied))
    if (Date.parse(entry.at) < horizon) delete applied[taskId];
  return { ...s, applied };
}

/** Stored stats read back; what is missing or malformed starts empty. */
export function parseStats(key: StatsKey, raw: Record<string, unknown> | undefined): ResolutionStats {
  if (!raw) return emptyStats(key);
  const recent = Array.isArray(raw.recent) ? (raw.recent as ResolutionStats['recent']) : [];
  return {
    key,
    title: typeof raw.title === 'string' ? raw.title : null,
    lastTaskId: typeof raw.lastTaskId === 'string' ? raw.lastTaskId : null,
    times: Number(raw.times) || 0,
    resolved: Number(raw.resolved) || 0,
    autoResolved: Number(raw.autoResolved) || 0,
    tta: parseHistogram(raw.tta),
    ttr: parseHistogram(raw.ttr),
    notes: parseTopK(raw.notes, NOTES_KEPT),
    noteText: (raw.noteText as Record<string, string>) ?? {},
    resolvers: parseTopK(raw.resolvers, RESOLVERS_KEPT),
    recent,
    applied: withMarks((raw.applied as ResolutionStats['applied']) ?? {}, raw),
  };
}

/**
 * Counted versions a store wrote as attributes of their own (`a.<task>`: a write that did not read the item
 * cannot add to its `applied` map when the item does not exist yet); the next full write folds them in.
 */
export const APPLIED_MARK = 'a.';

function withMarks(
  applied: ResolutionStats['applied'],
  raw: Record<string, unknown>,
): ResolutionStats['applied'] {
  const all: Record<string, { version: number; at: string }> = { ...applied };
  for (const [name, value] of Object.entries(raw)) {
    if (!name.startsWith(APPLIED_MARK) || typeof value !== 'object' || value === null) continue;
    const { version, at } = value as { version?: unknown; at?: unknown };
    const taskId = name.slice(APPLIED_MARK.length);
    if (typeof version === 'number' && typeof at === 'string' && version > (all[taskId]?.version ?? 0))
      all[taskId] = { version, at };
  }
  return all;
}

/** Time to resolve at a percentile (0.5 median, 0.75 for predictions); null without history. */
export const resolveTimeAt = (stats: ResolutionStats, p: number): number | null => percentile(stats.ttr, p);

/** Most common resolution notes, as written, with how often at least (the top-K's guaranteed count). */
export function commonFixes(stats: ResolutionStats, n = 3): { note: string; count: number }[] {
  return guaranteed(stats.notes, n).map((e) => ({
    note: stats.noteText[e.value] ?? e.value,
    count: e.count,
  }));
}

export const usualResolvers = (stats: ResolutionStats, n = 3): { user: string; count: number }[] =>
  guaranteed(stats.resolvers, n).map((e) => ({ user: e.value, count: e.count }));

/** Top values by what they were surely seen (count less possible overcount): a newcomer never outranks a regular. */
const guaranteed = (topK: TopK, n: number) =>
  top(topK)
    .map((e) => ({ value: e.value, count: e.count - e.error }))
    .filter((e) => e.count > 0)
    .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value))
    .slice(0, n);

/** Minutes, hours or days, rounded for reading: 12 min, 3.5 h, 24 h, 2 d. */
export function readableDuration(ms: number): string {
  if (ms < 60_000) return `${Math.max(1, Math.round(ms / 1000))} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 2 * 86_400_000) return `${Math.round(ms / 360_000) / 10} h`.replace('.0 h', ' h');
  return `${Math.round(ms / 8_640_000) / 10} d`.replace('.0 d', ' d');
}

/**
 * What a new task's card says when its issue has been resolved before: "last 3 times: restarted the
 * consumer — median 12 min". Plain text (the card escapes it); null without history.
 */
export function suggestionOf(stats: ResolutionStats): string | null {
  if (stats.resolved === 0) return null;
  const n = Math.min(stats.resolved, 3);
  const median = resolveTimeAt(stats, 0.5);
  const fix = commonFixes(stats, 1)[0]?.note ?? stats.recent.find((r) => r.note)?.note;
  const how =
    fix ?? (stats.autoResolved === stats.resolved ? 'it recovered by itself' : 'resolved without a note');
  return `${n === 1 ? 'Last time' : `Last ${n} times`}: ${how}${median !== null ? ` — median ${readableDuration(median)}` : ''}`;
}

/** A prediction needs this many similar tasks done: fewer say more about luck than about the issue. */
export const MIN_SIMILAR = 3;

/**
 * How long similar tasks took for a stage, at their 75th percentile: those of the same issue, else of the
 * service at the same priority; null while neither has `MIN_SIMILAR` done.
 */
export function typicalTime(
  similar: {
    readonly issue?: ResolutionStats | undefined;
    readonly service?: ResolutionStats | undefined;
  },
  stage: SlaStage,
): { readonly ms: number; readonly basis: 'issue' | 'service' } | null {
  for (const basis of ['issue', 'service'] as const) {
    const histogram = stage === 'ack' ? similar[basis]?.tta : similar[basis]?.ttr;
    if (!histogram || histogram.total < MIN_SIMILAR) continue;
    const ms = percentile(histogram, 0.75);
    if (ms !== null) return { ms, basis };
  }
  return null;
}

/** Why a stage is warned about: its clock at risk or breached, or predicted at risk from history. */
export type WarningLevel =
  | { readonly state: 'at_risk'; readonly typicalMs?: number }
  | { readonly state: 'breached' };

/**
 * Whether a stage needs a warning now. At risk: `sla.atRisk` of its window used, or (predicted) less time
 * left than similar tasks took (`typicalTime`). Both are the same warning: a stage is warned about once at
 * risk, and once more when breached.
 */
export function warningLevel(clock: SlaClock, typicalMs: number | undefined): WarningLevel | undefined {
  if (clock.state === 'breached') return { state: 'breached' };
  if (clock.state === 'at_risk') return { state: 'at_risk' };
  if (clock.state === 'ok' && typicalMs !== undefined && clock.remainingMs < typicalMs)
    return { state: 'at_risk', typicalMs };
  return undefined;
}
