import type { Contribution, HourCounters, ItemDelta, Scope } from './aggregates/counters.js';
import type { ResolutionStats, StatsKey } from './aggregates/resolutions.js';
import type { TrendEpisode } from './aggregates/trends.js';
import type { Alert } from './alert.js';
import type { TaskGroup } from './group.js';
import type { LiveChange, LiveConnection } from './live.js';
import type { MaintenanceWindow } from './maintenance.js';
import type { Override } from './oncall.js';
import type { RunSummary, Schedule, ScheduleRun, ScheduleStatus } from './schedule.js';
import type { Silence } from './silence.js';
import type { Priority, Status, Task } from './task.js';
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
  /** How often processing was started (its own request counts as the first). */
  readonly attempts?: number;
  /** Why the last attempt failed. */
  readonly lastError?: string;
  /** Given up on after too many attempts: out of the pending list until replayed (`npm run replay -- --dead`). */
  readonly deadAt?: string;
  /** Nobody else processes it before this time: its own request, or whoever re-drives it, holds it. */
  readonly leaseUntil?: string;
}

/** An archived event as a listing gives it: enough to find it, order it and take it (`claimRaw`). */
export type RawRef = Pick<RawEvent, 'source' | 'deliveryId' | 'receivedAt' | 'attempts' | 'deadAt'>;

/** The order of archived events: by time received, then source and delivery id. */
export const rawOrder = (event: Pick<RawEvent, 'receivedAt' | 'source' | 'deliveryId'>): string =>
  `${event.receivedAt}#${event.source}#${event.deliveryId}`;

/**
 * The token of one alert of one delivery, `<source>#<deliveryId>#<alertIndex>`: every change ingest makes
 * for it carries it in its timeline entry, written in the same item write as the change, so a re-drive after
 * a crash can tell whether the alert was counted already.
 */
export const deliveryToken = (source: string, deliveryId: string, alertIndex: number): string =>
  `${source}#${deliveryId}#${alertIndex}`;

/** The `occurred` entry of an occurrence, before the store gives it its version and count. */
export type OccurrenceEntry = Omit<
  Extract<TimelineEntry, { type: 'occurred' }>,
  'version' | 'seq' | 'occurrences'
>;

export type SaveOutcome = 'saved' | 'conflict';

/** Who deleted a task, and when: on the task item as it goes, for whoever reads its REMOVE record. */
export interface TaskDeletion {
  readonly by: string;
  readonly at: string;
  /** The alert the task was for, kept with its tombstone so a retried delete still lets go of it. */
  readonly fingerprint?: string;
}

/**
 * What an occurrence counted on a task its writer did not read requires of the task, besides being open: that
 * it is the fingerprint's, that its group lists it (no `unreportedSince`), and that its resolve deadline is the
 * one the writer's cache knew (it moves when the task reopens or its priority changes, and with it the time
 * occurrences are counted from).
 */
export interface UnreadTask {
  readonly fingerprint: string;
  readonly resolveDueAt: string;
}

/** Task fields an occurrence writes in the same item update as its count: SET when given, REMOVEd when null. */
export interface OccurrenceFields {
  /** What the sender's clock said of this occurrence (see `Task.reportedAt`); null: it agreed, nothing to show. */
  readonly reportedAt?: string | null;
  /** The Alertmanager group's summary as this notification gives it (see `Task.group`). */
  readonly group?: TaskGroup;
  /**
   * This occurrence happened before the task's first sight (the queue delivered it late): the task was seen
   * first then, and its SLA clocks start then. Written only while the task's first sight is still `was` and its
   * deadlines still `dueWas` (the new ones are computed from the task as read: a priority set or a reopen since
   * changed them, and the occurrence then decides again on the task as it is).
   */
  readonly firstSeen?: {
    readonly was: string;
    readonly dueWas: { readonly ackDueAt: string; readonly resolveDueAt: string };
    readonly at: string;
    readonly ackDueAt: string;
    readonly resolveDueAt: string;
  };
}

/**
 * Where tasks live: their numbers, their current state and their timeline. Every write is a single-item
 * conditional write: no transactions, deterministic keys, so the same code runs on DynamoDB, on dynalite and
 * on the in-memory fake.
 */
export interface TaskRepository {
  /**
   * The next number of the `TMS-<n>` sequence; never handed out twice. A store may reserve numbers in blocks,
   * so numbers are ordered roughly by time, and one reserved by a process that ends unused is a gap.
   */
  nextTaskNumber(): Promise<number>;
  /** Creates the task if no task has its id; `exists` when one does (the caller lost a race). */
  create(task: Task, entries: readonly TimelineEntry[]): Promise<'created' | 'exists'>;
  get(id: string): Promise<Task | undefined>;
  /** Writes the task if the stored version is still `expectedVersion`; `conflict` when someone changed it first. */
  save(task: Task, entries: readonly TimelineEntry[], expectedVersion: number): Promise<SaveOutcome>;
  /**
   * Deletes the task if the stored version is still `expectedVersion` (`conflict` when someone changed it first,
   * or deleted it): the item is first marked with who deletes it and when, so the stream's REMOVE record (its
   * old image) says so to the card. Its timeline is left to `dropHistory`.
   */
  deleteTask(id: string, expectedVersion: number, deletion: TaskDeletion): Promise<SaveOutcome>;
  /**
   * Who deleted the task, if it was: its tombstone, kept for good (a few bytes a deleted task), written before
   * the task goes. A task id is never handed out twice, except to the one writer that finds its alert bound to
   * an id whose task was never written: that writer must not bring a deleted task back under its old id.
   */
  deletion(id: string): Promise<TaskDeletion | undefined>;
  /**
   * Deletes what is left of a deleted task (its timeline entries), in pages, whatever their number; nothing
   * while its task item exists. Idempotent: a deleter that died halfway leaves what the next call removes.
   */
  dropHistory(id: string): Promise<void>;
  /**
   * One more occurrence of an open task's alert, in a single atomic write that reads no version first, so a
   * storm of one alert does not contend: occurrences + 1, version + 1, last seen moved forward (never back),
   * and `occurrenceKey` remembered when given. `entry`, stamped with the new version and count, is written in
   * that same write (as the task's latest entries) and then to the timeline, and `also` in that same write too.
   * The updated task; `repeat` when the task's latest occurrence
   * has that key already (another delivery of it won the race); undefined when the task is not open.
   * `unread`: the caller did not read the task (its id came from a cache), so the write also requires what a
   * read would have shown (see `UnreadTask`); undefined when that does not hold.
   * Several entries count several occurrences in that one write (occurrences + n, version + 1, the entries
   * numbered 0..n-1 within it): what a processor that batches the repeats of one task asks, so a storm of one
   * alert costs one write per batch; `at` is then the latest, and `occurrenceKey` the latest's.
   */
  recordOccurrence(
    id: string,
    at: string,
    now: string,
    occurrenceKey?: string,
    entry?: OccurrenceEntry | readonly OccurrenceEntry[],
    also?: OccurrenceFields,
    unread?: UnreadTask,
  ): Promise<Task | 'repeat' | undefined>;
  /**
   * A later notification of an open group task's Alertmanager group that is no new occurrence (alerts only
   * resolved, or the same firing alerts with other resolved ones): its summary, and the occurrence key of its
   * firing set, written in one atomic write without counting an occurrence (version + 1, so the card shows it).
   * A summary older than the task's (`notifiedAt`) is not written. The updated task; undefined when not written.
   */
  updateGroup(id: string, group: TaskGroup, now: string, occurrenceKey?: string): Promise<Task | undefined>;
  list(query: TaskQuery): Promise<TaskPage>;
  /** The task's history, oldest first; only the changes after `afterVersion` when it is given. */
  timeline(id: string, afterVersion?: number): Promise<TimelineEntry[]>;
  /**
   * Whether a change of the task carries the delivery token `delivery`: its entries are read newest first,
   * back to those made at `since`, and no further. A change whose entries are still being written (or were
   * lost with their writer) leaves that unknown: then a TransientError, never `false`.
   */
  hasDelivery(id: string, delivery: string, since: string): Promise<boolean>;
}

/**
 * The index from an alert's fingerprint to its open task (`FingerprintRecord`). A task and its fingerprint are
 * written one after the other, never together: the claim is taken, then bound to the task's id, then the task is
 * written (src/core/use-cases/ingest-alert.ts says why that order loses nothing), so the index is a port of its own.
 */
export interface FingerprintIndex {
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
  /**
   * Claims and binds in one write, for a task `taskId` not yet written: the fingerprint points at it if it has
   * no open task, no live claim (one taken at or after `staleBefore`) and no resolved task (`lastTaskId`: one
   * may have been reopened by a person whose bind did not happen, which only the claim path reads). Else the
   * record as it stands, and `taskId`'s number was not used (`nextTaskNumber` may hand it out again).
   */
  openFingerprint(
    fingerprint: string,
    taskId: string,
    staleBefore: string,
  ): Promise<{ readonly bound: true } | { readonly bound: false; readonly record?: FingerprintRecord }>;
  /** Points the fingerprint at its open task and drops the claim, if `token` still holds it. */
  bindFingerprint(fingerprint: string, token: string, taskId: string): Promise<boolean>;
  /** Drops a claim that `token` holds, when the task it was taken for did not open. */
  dropClaim(fingerprint: string, token: string): Promise<void>;
  /** The fingerprint's task was resolved: it has no open task now; remember it for reopening. */
  releaseFingerprint(fingerprint: string, taskId: string, resolvedAt: string): Promise<void>;
  /**
   * The task was deleted: the fingerprint no longer names it, as its open task nor as the last one to reopen,
   * so the alert firing again opens a new task (a claim in flight is left alone).
   */
  forgetTask(fingerprint: string, taskId: string): Promise<void>;
}

/**
 * What TMS remembers of an Alertmanager group in `grouping: alert` mode, so an alert its group's notifications
 * stop listing (silenced, inhibited, ended without a resolve) is noticed: one item per group, addressed by a
 * hash of its `groupKey`, bounded (`MAX_GROUP_MEMBERS` task ids in all).
 */
export interface AlertGroupRecord {
  /** A hash of the group's `groupKey`. */
  readonly key: string;
  /** The tasks of the alerts the group's latest notification listed as firing. */
  readonly members: readonly string[];
  /** Tasks whose alert a later notification no longer listed, and since when (ISO). */
  readonly unreported: Readonly<Record<string, string>>;
  /** 1 when first written, one more each write. */
  readonly version: number;
}

export interface AlertGroupIndex {
  alertGroup(key: string): Promise<AlertGroupRecord | undefined>;
  /** Writes the record if the stored one has `record.version - 1` (none when it is 1); `conflict` otherwise. */
  saveAlertGroup(record: AlertGroupRecord): Promise<SaveOutcome>;
  /** Groups with a task unreported since before `before` (ISO), the longest unreported first, at most `limit`. */
  unreportedAlertGroups(before: string, limit: number): Promise<string[]>;
}

/**
 * The delivery inbox: every payload as it arrived (`RawEvent`), archived before it is processed, then taken,
 * failed, moved aside when dead and revived by a replay, until it is marked processed with the tasks it made.
 */
export interface DeliveryInbox {
  /**
   * `duplicate` when an event with this source and delivery id is already archived. Any body up to the largest
   * source's limit fits (the store compresses it, and splits what is still too large for one item).
   */
  archiveRaw(event: RawEvent): Promise<'archived' | 'duplicate'>;
  getRaw(source: string, deliveryId: string): Promise<RawEvent | undefined>;
  markRawProcessed(source: string, deliveryId: string, at: string, taskIds: readonly string[]): Promise<void>;
  /**
   * Archived events not yet processed (nor dead), oldest first, received before `before`; after `after` when
   * given, an exclusive bound on `rawOrder(event)` (so a caller pages on by the last event it was given).
   */
  unprocessedRaw(before: string, limit: number, after?: string): Promise<RawRef[]>;
  /**
   * Takes a pending event to process it, read consistently: if it is neither processed nor dead and nobody
   * holds it (its lease ended before `now`), it is held by `token` until `until` and its attempts counted.
   * The event as it now stands, or undefined when it is not there to take.
   */
  claimRaw(
    source: string,
    deliveryId: string,
    token: string,
    now: string,
    until: string,
  ): Promise<RawEvent | undefined>;
  /**
   * The attempt that `token` holds failed with `error`: the lease is dropped, the error kept, and when `deadAt`
   * is given the event is moved aside (out of the pending list, into the dead one). False when `token` no longer
   * holds it.
   */
  failRaw(
    source: string,
    deliveryId: string,
    token: string,
    error: string,
    deadAt?: string,
  ): Promise<boolean>;
  /** Dead events, oldest first, after `after` (as `unprocessedRaw`). */
  deadRaw(limit: number, after?: string): Promise<RawRef[]>;
  /** A dead event back in the pending list with its attempts counted from zero (a replay asked for it). */
  reviveRaw(source: string, deliveryId: string): Promise<boolean>;
  /**
   * One chunk of an event the ingest queue's processor handled (src/ingest/queue.ts). Done: its index and what
   * it `touched` (opaque to the store) are added to the event's sets, returned as they now stand, so the chunk
   * that completes them knows it does (a redelivered chunk adds nothing). Failed: only `error` is kept, and the
   * event stays held, as the queue retries the chunk. Undefined when the event is not archived (or is processed).
   */
  queuedChunk(source: string, deliveryId: string, chunk: QueuedChunk): Promise<QueuedProgress | undefined>;
}

export type QueuedChunk =
  | {
      readonly chunk: number;
      readonly touched: readonly string[];
      /** How many chunks the delivery has: what they touched is read back only once all are in. */
      readonly of?: number;
    }
  | { readonly error: string };
export interface QueuedProgress {
  readonly chunks: readonly number[];
  /** What every chunk in touched: whole when `chunks` holds all `of` (or `of` was not said). */
  readonly touched: readonly string[];
}

/**
 * The three ports of the task table together: what the entry points build, and what the work that spans all
 * three takes (the ingest pipeline and the re-drive: the inbox, and the tasks and fingerprints its alerts
 * change). One adapter implements all three because DynamoTaskStore keeps them in one table
 * (src/adapters/dynamo/table.ts), as the in-memory fake keeps them side by side. No write spans two of them
 * (each is a single-item conditional write, no transaction), so code that needs less takes the narrow type:
 * ingest and acting on a task take `TaskRepository & FingerprintIndex`, opening a task and reports
 * `TaskRepository`.
 */
export interface TaskStore extends TaskRepository, FingerprintIndex, DeliveryInbox, AlertGroupIndex {}

/** A message for people outside Slack (on AWS, the SNS notification topic: email, SMS, PagerDuty...). */
export interface Notification {
  readonly subject: string;
  readonly message: string;
  readonly attributes?: Readonly<Record<string, string>>;
}

/**
 * Where escalations run (issue 19): Step Functions on AWS, `aws-local-stepfunctions` in the local stack. An
 * execution is named by its task and run (src/jobs/escalation-machine.ts `executionName`).
 */
export interface Escalator {
  /** Starts run `run` of the task's escalation; a run started before (running or finished) is left as it is. */
  start(taskId: string, run: number): Promise<void>;
  /** Stops the run's execution now; one that has ended, or never started, is no failure. */
  stop(taskId: string, run: number, cause: string): Promise<void>;
}

export interface Notifier {
  publish(notification: Notification): Promise<void>;
}

/**
 * A task's Slack card: where it was posted and what it shows. The card is a projection of the task, written
 * by whoever holds its lease; one that fell behind (Slack refused, the writer died) is due again at `retryAt`.
 */
export interface CardRecord {
  readonly taskId: string;
  /** Where the card is, once posted. */
  readonly channel?: string;
  readonly ts?: string;
  readonly permalink?: string;
  /** The task version the card shows; 0 before it is posted. */
  readonly shownVersion: number;
  /** The thread holds the changes up to this task version. */
  readonly threadVersion: number;
  /** Occurrences the thread has reported, and when it last did, so repeats are summarized, not posted one by one. */
  readonly occurrencesReported: number;
  readonly occurrencesReportedAt?: string;
  /** The last post or update, so a burst of changes is coalesced into few updates. */
  readonly renderedAt?: string;
  /** When the card should be brought up to date again; absent when it is. */
  readonly retryAt?: string;
  readonly attempts: number;
  readonly lastError?: string;
  /** What history said when the card was last rendered, so an edit need not read it again (see card-sync). */
  readonly insight?: StoredInsight;
  readonly lease?: string;
  readonly leaseUntil?: string;
  /** A task version someone saw while another writer held the lease: that writer shows it before releasing. */
  readonly wanted?: number;
  /** Who deleted the card's task and when (`markCardDeleted`), for the card's last words. */
  readonly deletedBy?: string;
  readonly deletedAt?: string;
}

/** A card's history line as read, for the task status it was read at and when. */
export interface StoredInsight {
  readonly suggestion: string | null;
  readonly typicalMs: { readonly ack?: number; readonly resolve?: number };
  readonly status: string;
  readonly at: string;
}

export type CardState = Omit<CardRecord, 'taskId' | 'lease' | 'leaseUntil' | 'wanted'>;

export interface CardStore {
  card(taskId: string): Promise<CardRecord | undefined>;
  /**
   * Takes the card's lease until `until` (the record is created on first use) and marks it due at `until`,
   * so a writer that dies holding it is retried: the record, or undefined while another writer holds it.
   */
  /**
   * `below`: only if the card shows an older version than this (a stream record's version), so a record the
   * card already shows costs one refused write and nothing else.
   */
  leaseCard(
    taskId: string,
    token: string,
    now: string,
    until: string,
    below?: number,
  ): Promise<CardRecord | undefined>;
  /**
   * Writes what the card now shows and drops the lease, if `token` still holds it and, for a card that says it
   * is up to date (no `retryAt`), no newer version was `wanted` meanwhile: false when it did not write.
   */
  releaseCard(taskId: string, token: string, state: CardState): Promise<boolean>;
  /**
   * Tells the writer holding the card's lease (one alive at `now`) that the task reached `version`, so it does
   * not release the card showing less: false when no such writer holds it (or it was told already).
   */
  wantCard(taskId: string, version: number, now: string): Promise<boolean>;
  /** Cards due for another attempt at or before `now`, oldest due first. */
  dueCards(now: string, limit: number): Promise<string[]>;
  /**
   * The card's task is being deleted: the card remembers who deleted it and is due at `now`, so that it is
   * retired (said deleted, its buttons gone) even should the stream's record of the deletion never reach it.
   * Nothing when the task has no card.
   */
  markCardDeleted(taskId: string, deletion: TaskDeletion, now: string): Promise<void>;
  /**
   * Tasks whose card shows an older version than the task (or that have no card) and no retry scheduled:
   * what a lost or expired stream record leaves behind. Each call reads the `page` newest tasks and the next
   * `page` tasks of a cursor that walks every task number, so every task is looked at within a bounded
   * number of calls and each call costs a few reads, whatever the table's size.
   */
  cardsBehind(page: number): Promise<string[]>;
}

/** Silences, and which are in force. */
export interface SilenceStore {
  createSilence(silence: Silence): Promise<void>;
  /** Silences not lifted whose end is after `now`. */
  activeSilences(now: string): Promise<Silence[]>;
  getSilence(id: string): Promise<Silence | undefined>;
  /** Ends a silence now; false when there is none in force with this id. */
  liftSilence(id: string, by: string, at: string): Promise<boolean>;
  /** Counts an alert the silence held back. */
  countSilenced(id: string, at: string): Promise<void>;
}

/** What `SeenStore.begin` found: the key is now the caller's, someone else's for a while, or done. */
export type BeginOutcome = 'begun' | 'in-progress' | 'done';

/** A holder's claim on a key: its own token, and until when it counts as alive (its invocation's end). */
export interface SeenClaim {
  readonly token: string;
  readonly now: string;
  readonly leaseUntil: string;
}

/**
 * At-most-once markers: a replayed signature (`firstSighting`), and work that must happen once though it
 * may be asked for twice (a double click, a Slack retry, a sweep run twice) or die halfway (`begin`, then
 * `complete` or `release`). A marker taken by `begin` is in progress only until its lease ends: a holder
 * that died (a killed process, a Lambda timed out) leaves it to the next caller instead of for ever.
 */
export interface SeenStore {
  /** True the first time a key is seen in its scope; the marker is kept (done) until `expiresAt`. */
  firstSighting(scope: string, key: string, expiresAt: string): Promise<boolean>;
  /**
   * Takes the key for `claim.token` (`begun`) when it has no marker, its done marker expired, or its holder's
   * lease ended before `claim.now`; else says what stands: `in-progress` (a live holder) or `done`.
   */
  begin(scope: string, key: string, claim: SeenClaim): Promise<BeginOutcome>;
  /**
   * The work is done: the marker is kept until `expiresAt`, if `token` still holds it, with what the work
   * came to (`outcome`, read back by `outcomeOf`) when it is given.
   */
  complete(scope: string, key: string, token: string, expiresAt: string, outcome?: string): Promise<void>;
  /** What a done marker's work came to, as `complete` was told; undefined when none was given or no marker. */
  outcomeOf(scope: string, key: string): Promise<string | undefined>;
  /** The work did not happen: drops the marker, if `token` still holds it, so the next caller does it. */
  release(scope: string, key: string, token: string): Promise<void>;
}

/** A task opened or reopened, as `AggregateStore.countOpenings` counts it. */
export interface Opening {
  readonly taskId: string;
  readonly version: number;
  readonly title: string;
  readonly times: number;
}

/**
 * Where the aggregator keeps what reports read instead of history: hourly counters per scope, resolution
 * statistics, trend episodes and when each channel's digest last went out.
 */
export interface AggregateStore {
  /**
   * Adds a batch's contributions to one hourly item, each task's changes counted once: a contribution at or
   * below the version the item already counted for its task is skipped (a stream record delivered again).
   * The contributions counted now (not those counted before).
   */
  applyCounters(delta: ItemDelta): Promise<readonly Contribution[]>;
  /** The hourly items of a scope from `fromHour` to `toHour` (inclusive), oldest first. */
  hours(scope: Scope, fromHour: string, toHour: string): Promise<HourCounters[]>;
  stats(key: StatsKey): Promise<ResolutionStats>;
  /** Several statistics items in one read (eventually consistent, as `stats`), in the order of `keys`. */
  statsOf(keys: readonly StatsKey[]): Promise<ResolutionStats[]>;
  /**
   * Read, fold, write back if nobody wrote in between (else again): the stats as written. The stats the fold
   * is given hold in `applied` the version counted of each task in `tasks` (the tasks it may count), wherever
   * the store keeps them (the statistics item keeps a few at most, so it stays small however many).
   */
  updateStats(
    key: StatsKey,
    fold: (stats: ResolutionStats) => ResolutionStats,
    tasks?: readonly string[],
  ): Promise<ResolutionStats>;
  /**
   * Tasks opened or reopened, counted in the statistics in one write without reading them: `times` raised by
   * each one's `times`, the last one named (title, task), each task's version marked counted. False, with
   * nothing written, when one of them was counted at that version already or the item cannot take more marks
   * without `updateStats` tidying it (which then does the count).
   */
  countOpenings(key: StatsKey, openings: readonly Opening[], at: string): Promise<boolean>;
  /** The recurring issues of a service: its issues' stats (and its fingerprints', from before issue keys). */
  issueStats(service: string): Promise<ResolutionStats[]>;
  /** Every trend episode still kept (ongoing or recently over). */
  trends(): Promise<TrendEpisode[]>;
  /**
   * The rule holds for the episode's scope at `episode.lastHeldAt`: a new episode (`started`) unless one
   * is still going, that is, held after `endedBefore` (then it is extended: `ongoing`).
   */
  recordTrend(episode: TrendEpisode, endedBefore: string): Promise<'started' | 'ongoing'>;
  /** The episode that started at `startedAt` was posted (or is covered by another trend's post). */
  markTrendPosted(scope: string, startedAt: string, postedAt: string, coveredBy?: string): Promise<void>;
  lastDigest(channel: string): Promise<string | undefined>;
  recordDigest(channel: string, at: string): Promise<void>;
}

/**
 * The live updates' WebSocket connections and the log a reconnecting client catches up from (in the one table,
 * src/adapters/dynamo/live-store.ts). Connections are listed without a scan; both kinds of item expire by TTL.
 */
export interface LiveConnectionStore {
  /** Keeps a connection `$connect` accepted (a second put of the same id replaces it). */
  connect(connection: LiveConnection): Promise<void>;
  /** The connection, unless it is gone or expired at `now`. */
  connection(id: string, now: string): Promise<LiveConnection | undefined>;
  /** Moves its expiry on (a ping); false when it is not kept any more. */
  refresh(id: string, expiresAt: string): Promise<boolean>;
  /** Forgets it (`$disconnect`, or API Gateway said it is gone); no error when it was not kept. */
  disconnect(id: string): Promise<void>;
  /** Every connection not expired at `now`. */
  connections(now: string): Promise<LiveConnection[]>;
  /** Logs changes for catch-up, kept until `expiresAt`. */
  logChanges(changes: readonly LiveChange[], expiresAt: string): Promise<void>;
  /**
   * The changes logged at or after `since` up to `now`, oldest first, at most `limit`; `complete` false when
   * there were more.
   */
  changesSince(
    since: string,
    now: string,
    limit: number,
  ): Promise<{ changes: LiveChange[]; complete: boolean }>;
}

/** What sending a connection a message came to: `gone` when it is closed (API Gateway's 410). Throws otherwise. */
export interface LiveSender {
  send(connectionId: string, message: string): Promise<'sent' | 'gone'>;
}

/** One call of a schedule's webhook (issue 18): the same `deliveryId` on every attempt, so a receiver drops a repeat. */
export interface WebhookRequest {
  readonly url: string;
  /** The JSON body, as sent and signed. */
  readonly body: string;
  readonly deliveryId: string;
}

/** What a webhook call came to, after its retries: `address` is the one connected to (checked, then pinned). */
export type WebhookResult =
  | { readonly ok: true; readonly status: number; readonly attempts: number; readonly address: string }
  | {
      readonly ok: false;
      /** Why, in a line a person can act on (a refusal names the address and the config key that allows it). */
      readonly error: string;
      readonly attempts: number;
      readonly status?: number;
    };

/** Calls webhooks: signed, with a timeout and retries, and never to an address the SSRF rules refuse. */
export interface WebhookSender {
  send(request: WebhookRequest): Promise<WebhookResult>;
}

/** How a run's lease came out (ScheduleStore.beginRun). */
export type RunLease =
  /** The run is the caller's: new, or taken over from a holder whose lease ran out (`run` says how far it got). */
  | { readonly outcome: 'begun'; readonly run: ScheduleRun }
  /** Another sweeper holds it and is alive. */
  | { readonly outcome: 'in-progress' }
  /** It ran: completed or failed, once. */
  | { readonly outcome: 'done'; readonly run: ScheduleRun };

/**
 * Schedules and their runs (issue 18). Due schedules are found by a sparse index ordered by next run, never by
 * a scan; a run is keyed by (schedule, the time it was due), which makes it happen once however often a tick
 * comes and however many sweepers run.
 */
export interface ScheduleStore {
  /** Refuses (throws) a second schedule with the same id. */
  createSchedule(schedule: Schedule): Promise<void>;
  getSchedule(id: string): Promise<Schedule | undefined>;
  /** Every schedule, soonest next run first (those without one last). */
  listSchedules(): Promise<Schedule[]>;
  /** Schedules whose next run is at or before `now`, soonest first, at most `limit`. */
  dueSchedules(now: string, limit: number): Promise<Schedule[]>;
  /** Removes a schedule (its runs are kept until their TTL); false when there was none. */
  deleteSchedule(id: string): Promise<boolean>;
  /**
   * Moves a schedule on after the run due at `expectedNextRunAt`: false when another sweeper already did (or it
   * was deleted), so a run advances its schedule once.
   */
  advanceSchedule(
    id: string,
    expectedNextRunAt: string,
    change: {
      readonly nextRunAt: string | null;
      readonly lastRun: RunSummary;
      readonly status: ScheduleStatus;
    },
  ): Promise<boolean>;
  /**
   * Takes the run due at `run.scheduledFor` for `holder` until `leaseUntil` (ISO), unless another holder's lease
   * is alive or the run is done. A run taken over keeps what its dead holder recorded (its task id).
   */
  beginRun(run: ScheduleRun, holder: string, leaseUntil: string, now: string): Promise<RunLease>;
  /** Records the task a run is about to open, before it opens it, so a holder that takes over opens the same one. */
  noteRunTask(scheduleId: string, scheduledFor: string, holder: string, taskId: string): Promise<boolean>;
  /** Ends a run the caller holds; false when its lease was lost (another holder took over). */
  finishRun(run: ScheduleRun, holder: string): Promise<boolean>;
  /** A schedule's runs, newest first. */
  listRuns(scheduleId: string, limit: number): Promise<ScheduleRun[]>;
}

/** A heartbeat as it is kept: its definition, where it came from, and what its pings said. */
export interface HeartbeatRecord {
  readonly name: string;
  readonly everyMs: number;
  readonly graceMs: number;
  readonly service?: string;
  readonly priority?: Priority;
  readonly origin: 'config' | 'slack';
  readonly createdBy: string;
  readonly createdAt: string;
  readonly lastPingAt?: string;
  /**
   * Since when it is late, set once its late task was opened; kept past the ping that ends the lateness, until
   * that task's resolve was sent (`clearLate`), so a crash in between leaves the resolve to the next sweep.
   */
  readonly lateSince?: string;
  /** The ping the lateness was counted from (absent: none yet); a later `lastPingAt` means a resolve is owed. */
  readonly lateFrom?: string;
}

export interface HeartbeatStore {
  /** Makes or redefines a heartbeat, keeping its pings, its state and when it was first made (`createdAt`). */
  putHeartbeat(
    beat: Omit<HeartbeatRecord, 'lastPingAt' | 'lateSince' | 'lateFrom' | 'createdAt'> & {
      readonly createdAt: string;
    },
  ): Promise<void>;
  getHeartbeat(name: string): Promise<HeartbeatRecord | undefined>;
  /** Every heartbeat, by name. */
  listHeartbeats(): Promise<HeartbeatRecord[]>;
  removeHeartbeat(name: string): Promise<boolean>;
  /**
   * Records a ping; the heartbeat as it was before, undefined when there is none (a ping makes none). Its
   * lateness stays until `clearLate`.
   */
  ping(name: string, at: string): Promise<HeartbeatRecord | undefined>;
  /**
   * Marks it late since `since`, counted from `lastPingAt`, once: false when it already is marked, or was pinged
   * after `lastPingAt` (or is gone).
   */
  markLate(name: string, since: string, lastPingAt: string | undefined): Promise<boolean>;
  /** Ends the lateness marked since `since` (its task's resolve was sent): false when it is not so marked. */
  clearLate(name: string, since: string): Promise<boolean>;
}

/** An alert a maintenance window held back during one occurrence: kept once per fingerprint, counted. */
export interface HeldAlert {
  readonly windowId: string;
  readonly occurrenceStart: string;
  readonly occurrenceEnd: string;
  readonly fingerprint: string;
  /** The latest of its deliveries (src/core/maintenance.ts `heldAlertOf` bounds it). */
  readonly alert: Alert;
  /** False once a resolve came: nothing opens at the occurrence's end (a later trigger makes it true again). */
  readonly firing: boolean;
  readonly count: number;
  readonly firstHeldAt: string;
  readonly lastHeldAt: string;
  /** When the sweep let it through (opened its task, or found it no longer firing). */
  readonly releasedAt?: string;
  readonly taskId?: string;
}

/**
 * Maintenance windows (issue 18) and what they held. Windows are few and read on every alert: one query of one
 * partition lists them all (behind a per-container cache). Held alerts are kept per (window, occurrence).
 */
export interface MaintenanceStore {
  /** False (and nothing written) when a window has this id already: a config sync makes each once. */
  createWindow(window: MaintenanceWindow): Promise<boolean>;
  /** Every window kept, lifted ones too (their held alerts are still released), by id. */
  listWindows(): Promise<MaintenanceWindow[]>;
  getWindow(id: string): Promise<MaintenanceWindow | undefined>;
  /** Ends a window now (it holds nothing more); false when there is none, or it was lifted already. */
  liftWindow(id: string, by: string, at: string): Promise<boolean>;
  /** Counts an alert the window held back. */
  countHeld(id: string, at: string): Promise<void>;
  /** Records that the held alerts of occurrences ending at or before `end` were released (never moves back). */
  markReleasedThrough(id: string, end: string): Promise<void>;
  /** Holds an alert (firing) for the occurrence: made, or counted once more with its latest delivery. */
  hold(held: {
    readonly windowId: string;
    readonly occurrenceStart: string;
    readonly occurrenceEnd: string;
    readonly alert: Alert;
    readonly at: string;
  }): Promise<void>;
  /** A resolve came for a held alert: false when the occurrence held none with this fingerprint (or released it). */
  markNotFiring(windowId: string, occurrenceStart: string, fingerprint: string, at: string): Promise<boolean>;
  /** What the occurrence held, released or not. */
  heldAlerts(windowId: string, occurrenceStart: string): Promise<HeldAlert[]>;
  /** The sweep let it through; false when it was already. */
  markReleased(
    windowId: string,
    occurrenceStart: string,
    fingerprint: string,
    at: string,
    taskId?: string,
  ): Promise<boolean>;
}

/** An on-call override as kept (issue 19): whose team, who made it, and why (a swap makes two). */
export interface OverrideRecord extends Override {
  readonly team: string;
  readonly createdBy: string;
  readonly reason: 'override' | 'swap' | 'take';
}

/**
 * On-call overrides, per team (issue 19). A team's overrides are few: those not yet ended are one query of its
 * partition.
 */
export interface OncallStore {
  /** Keeps an override (its id is new: the caller makes it from a random token). */
  createOverride(override: OverrideRecord): Promise<void>;
  /** The team's overrides whose span overlaps [from, to), soonest ending first. */
  listOverrides(team: string, from: string, to: string): Promise<OverrideRecord[]>;
  /** False when the team has no override with this id. */
  removeOverride(team: string, id: string): Promise<boolean>;
}
