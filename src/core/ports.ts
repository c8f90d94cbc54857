import type { Status, Task } from './task.js';
import type { TimelineEntry } from './timeline.js';

export type { Clock } from './time.js';

/** Which tasks to list; the most selective filter picks the index, the rest filter it. Newest first. */
export interface TaskQuery {
  /** Any of these statuses; all statuses when absent. */
  readonly statuses?: readonly Status[];
  readonly service?: string;
  readonly assignee?: string;
  readonly limit: number;
  /** Only tasks numbered below this: the `next` of the previous page. */
  readonly before?: number | null;
}

export interface TaskPage {
  readonly tasks: Task[];
  /** The `before` of the next page; null on the last page. Callers outside encode it with `encodeCursor`. */
  readonly next: number | null;
}

/**
 * The index from an alert fingerprint to its open task. `claim` is a short-lived lock taken while a new
 * task is opened for the fingerprint, so two deliveries of one alert at the same moment open one task.
 */
export interface FingerprintRecord {
  readonly fingerprint: string;
  readonly openTaskId?: string;
  readonly claim?: string;
  readonly claimedAt?: string;
  /** The last task of this fingerprint that was resolved, for reopening a flapping alert. */
  readonly lastTaskId?: string;
  readonly lastResolvedAt?: string;
}

/** A payload as it arrived, archived before it is processed so a crash loses nothing. */
export interface RawEvent {
  readonly source: string;
  /** Unique per source: the sender's delivery id, or a hash of the body. */
  readonly deliveryId: string;
  readonly receivedAt: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** When the store may drop it (TTL). */
  readonly expiresAt: string;
  readonly processedAt?: string;
  readonly taskIds?: readonly string[];
}

export type SaveOutcome = 'saved' | 'conflict';

/**
 * Where tasks live. Every write is a single-item conditional write: no transactions, deterministic
 * keys, so the same code runs on DynamoDB, on dynalite and on the in-memory fake.
 */
export interface TaskStore {
  /** The next number of the `TMS-<n>` sequence; atomic, never handed out twice. */
  nextTaskNumber(): Promise<number>;
  /** Creates the task if no task has its id; `exists` when one does (the caller lost a race). */
  create(task: Task, entries: readonly TimelineEntry[]): Promise<'created' | 'exists'>;
  get(id: string): Promise<Task | undefined>;
  /** Writes the task if the stored version is still `expectedVersion`; `conflict` when someone changed it first. */
  save(task: Task, entries: readonly TimelineEntry[], expectedVersion: number): Promise<SaveOutcome>;
  /**
   * One more occurrence of an open task's alert, in a single atomic write that reads no version first, so a
   * storm of one alert does not contend: occurrences + 1, version + 1, last seen moved forward (never back).
   * The updated task, or undefined when the task is not open (resolved meanwhile, or missing).
   */
  recordOccurrence(id: string, at: string, now: string): Promise<Task | undefined>;
  /** Writes timeline entries as they are (idempotent: an entry's key is its task, version and position). */
  appendTimeline(entries: readonly TimelineEntry[]): Promise<void>;
  list(query: TaskQuery): Promise<TaskPage>;
  /** The task's history, oldest first. */
  timeline(id: string): Promise<TimelineEntry[]>;

  fingerprint(fingerprint: string): Promise<FingerprintRecord | undefined>;
  /**
   * Takes the fingerprint's claim if it has no open task and no live claim (one taken at or after
   * `staleBefore`): the record as it stands under the claim, or undefined when someone else holds it.
   */
  claimFingerprint(
    fingerprint: string,
    token: string,
    at: string,
    staleBefore: string,
  ): Promise<FingerprintRecord | undefined>;
  /** Points the fingerprint at its open task and drops the claim, if `token` still holds it. */
  bindFingerprint(fingerprint: string, token: string, taskId: string): Promise<boolean>;
  /** Drops a claim that `token` holds, when the task it was taken for did not open. */
  dropClaim(fingerprint: string, token: string): Promise<void>;
  /** The fingerprint's task was resolved: it has no open task now; remember it for reopening. */
  releaseFingerprint(fingerprint: string, taskId: string, resolvedAt: string): Promise<void>;

  /** `duplicate` when an event with this source and delivery id is already archived. */
  archiveRaw(event: RawEvent): Promise<'archived' | 'duplicate'>;
  getRaw(source: string, deliveryId: string): Promise<RawEvent | undefined>;
  markRawProcessed(source: string, deliveryId: string, at: string, taskIds: readonly string[]): Promise<void>;
  /** Archived events not yet processed, oldest first, received before `before`. */
  unprocessedRaw(before: string, limit: number): Promise<RawEvent[]>;
}

/** A message for people outside Slack (on AWS, the SNS notification topic: email, SMS, PagerDuty...). */
export interface Notification {
  readonly subject: string;
  readonly message: string;
  readonly attributes?: Readonly<Record<string, string>>;
}

export interface Notifier {
  publish(notification: Notification): Promise<void>;
}
