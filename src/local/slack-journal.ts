import {
  appendFileSync,
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';

/**
 * The offline Slack's messages and views, kept in TMS_DATA_DIR beside the store, so that a restart finds the
 * cards the store says were posted (with their ts and edits) instead of an empty Slack the bot must post every
 * card to again. Two files: a snapshot (written whole to a temporary file, then renamed over the old one, so it
 * is never half written) and a journal of the changes since, one JSON line each, appended before the emulator
 * answers the call: what the bot was told Slack did survives a kill -9, as what the store acknowledged does.
 * The journal is folded into the snapshot at start, at close, and when it grows past a bound; the snapshot
 * keeps the newest messages and views up to their bounds.
 */

const Message = z.object({
  channel: z.string(),
  ts: z.string(),
  thread_ts: z.string().optional(),
  text: z.string(),
  blocks: z.array(z.unknown()).optional(),
  edits: z.number().int().min(0),
  ephemeral_user: z.string().optional(),
  response_url: z.string().optional(),
});
export type JournalMessage = z.infer<typeof Message>;

const View = z.object({
  id: z.string(),
  type: z.enum(['modal', 'home']),
  user: z.string().nullable(),
  view: z.record(z.string(), z.unknown()),
  updates: z.number().int().min(0),
});
export type JournalView = z.infer<typeof View>;

/** One change: a message's whole state after it (posted or edited), a message removed, a view's whole state. */
const Change = z.union([
  z.strictObject({ message: Message }),
  z.strictObject({ removed: z.string() }),
  z.strictObject({ view: View }),
]);
export type SlackChange = z.infer<typeof Change>;

const Snapshot = z.object({
  version: z.literal(1),
  messages: z.array(Message),
  views: z.array(View),
});

export interface SlackState {
  readonly messages: readonly JournalMessage[];
  readonly views: readonly JournalView[];
}

export interface JournalLimits {
  /** Messages kept across a restart: ephemeral ones and replies through a response_url go first, then the oldest. */
  readonly messages: number;
  readonly views: number;
  /** The journal is folded into the snapshot once it is this long. */
  readonly journalBytes: number;
}

export const JOURNAL_LIMITS: JournalLimits = {
  messages: 20_000,
  views: 2_000,
  journalBytes: 8 * 1024 * 1024,
};

export const SNAPSHOT_FILE = 'slack-sandbox.json';
export const JOURNAL_FILE = 'slack-sandbox.jsonl';

export class SlackJournal {
  readonly #snapshot: string;
  readonly #journal: string;
  #journalBytes = 0;

  constructor(
    folder: string,
    private readonly limits: JournalLimits = JOURNAL_LIMITS,
  ) {
    this.#snapshot = join(folder, SNAPSHOT_FILE);
    this.#journal = join(folder, JOURNAL_FILE);
  }

  /**
   * What was kept: the snapshot with the journal's changes on top (each change is a whole state, so one the
   * snapshot already holds changes nothing). A line that does not read (the last one, cut by a kill) is skipped
   * and counted.
   */
  load(): { state: SlackState; skipped: number } {
    const messages = new Map<string, JournalMessage>();
    const views = new Map<string, JournalView>();
    let skipped = 0;
    if (existsSync(this.#snapshot)) {
      const parsed = Snapshot.safeParse(readJson(this.#snapshot));
      if (parsed.success) {
        for (const m of parsed.data.messages) messages.set(m.ts, m);
        for (const v of parsed.data.views) views.set(v.id, v);
      } else skipped++;
    }
    if (existsSync(this.#journal)) {
      for (const line of readFileSync(this.#journal, 'utf8').split('\n')) {
        if (!line) continue;
        const change = Change.safeParse(parseLine(line));
        if (!change.success) {
          skipped++;
          continue;
        }
        apply(change.data, messages, views);
      }
    }
    return { state: { messages: [...messages.values()], views: [...views.values()] }, skipped };
  }

  /** Appended before the emulator answers; folds the journal into a snapshot once it is long. */
  record(change: SlackChange, state: () => SlackState): void {
    const line = `${JSON.stringify(change)}\n`;
    appendFileSync(this.#journal, line);
    this.#journalBytes += Buffer.byteLength(line);
    if (this.#journalBytes >= this.limits.journalBytes) this.compact(state());
  }

  /** The state written whole as the new snapshot (temporary file, fsync, rename), then the journal emptied. */
  compact(state: SlackState): void {
    const kept = bounded(state, this.limits);
    const temporary = `${this.#snapshot}.${process.pid}.tmp`;
    const fd = openSync(temporary, 'w');
    try {
      writeSync(fd, JSON.stringify({ version: 1, ...kept }));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.#snapshot);
    // Emptied only once the snapshot holds it all: a kill in between replays changes the snapshot already has.
    if (existsSync(this.#journal) && statSync(this.#journal).size > 0) truncateSync(this.#journal, 0);
    this.#journalBytes = 0;
  }
}

function apply(
  change: SlackChange,
  messages: Map<string, JournalMessage>,
  views: Map<string, JournalView>,
): void {
  if ('message' in change) {
    messages.set(change.message.ts, change.message); // an edited message keeps its place: the order of posting
  } else if ('removed' in change) messages.delete(change.removed);
  else views.set(change.view.id, change.view);
}

/** The newest within the bounds; ephemeral messages and response_url replies (gone in Slack on reload) go first. */
function bounded(state: SlackState, limits: JournalLimits): SlackState {
  let messages = [...state.messages];
  if (messages.length > limits.messages) {
    const transient = (m: JournalMessage) => Boolean(m.ephemeral_user || m.response_url);
    let excess = messages.length - limits.messages;
    const dropped = new Set<JournalMessage>();
    for (const m of messages) {
      if (excess === 0) break;
      if (transient(m)) {
        dropped.add(m);
        excess--;
      }
    }
    messages = messages.filter((m) => !dropped.has(m));
    messages = messages.slice(messages.length - limits.messages);
  }
  const homes = state.views.filter((v) => v.type === 'home');
  const modals = state.views.filter((v) => v.type === 'modal');
  const room = Math.max(0, limits.views - homes.length);
  const views = [
    ...homes.slice(-limits.views),
    ...modals.slice(modals.length - Math.min(room, modals.length)),
  ];
  return { messages, views };
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
