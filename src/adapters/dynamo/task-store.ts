import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  type BatchWriteCommandInput,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { TransientError } from '../../core/errors.js';
import type { TaskGroup } from '../../core/group.js';
import type {
  AlertGroupRecord,
  FingerprintRecord,
  OccurrenceEntry,
  OccurrenceFields,
  QueuedChunk,
  QueuedProgress,
  RawEvent,
  RawRef,
  SaveOutcome,
  TaskDeletion,
  TaskPage,
  TaskQuery,
  TaskStore,
  UnreadTask,
} from '../../core/ports.js';
import { formatTaskId, Task, taskNumber } from '../../core/task.js';
import type { TimelineEntry } from '../../core/timeline.js';
import { conditional, itemsOf, pick, queryAll, send, updateIf, updateOrOld } from './calls.js';
import { type IndexName, keys, TABLE, TASK_SK } from './table.js';

type Item = Record<string, unknown>;
type BatchWriteRequest = NonNullable<BatchWriteCommandInput['RequestItems']>[string][number];

const TASK_FIELDS = Object.keys(Task.shape) as (keyof Task)[];
const RAW_FIELDS = [
  'source',
  'deliveryId',
  'receivedAt',
  'headers',
  'body',
  'expiresAt',
  'processedAt',
  'taskIds',
  'attempts',
  'lastError',
  'deadAt',
  'leaseUntil',
] as const;
const RAW_REF_FIELDS = ['source', 'deliveryId', 'receivedAt', 'attempts', 'deadAt'] as const;

/**
 * The archive keeps any delivery up to the largest source's limit (6 MB): a body over 1 KB is stored gzipped
 * (a binary attribute; JSON shrinks five to twenty times), and one still over 300 KB compressed is split into
 * chunk items under the raw item's partition, so no item nears DynamoDB's 400 KB. On AWS an S3 object the item
 * points to would do the same; chunks keep the one-table design and work on both emulators.
 */
const COMPRESS_OVER_BYTES = 1024;
/** How long what a queued chunk touched is kept (an archive's seven days, and one more). */
const QUEUED_TTL_S = 8 * 86_400;
const CHUNK_BYTES = 300_000;
const LAST_ERROR_CHARS = 1000;
/** How often `hasDelivery` reads again a history with a change in flight, and how long it waits (times the read). */
const DELIVERY_GAP_READS = 6;
const DELIVERY_GAP_WAIT_MS = 50;
const FP_FIELDS = [
  'fingerprint',
  'openTaskId',
  'claim',
  'claimedAt',
  'lastTaskId',
  'lastResolvedAt',
] as const;

/**
 * Task numbers are reserved from the counter in blocks, per store (a container), of at most this many: a new
 * task then costs no counter write, and the counter item (one partition, about 1,000 writes a second) takes one
 * write per block. A block is twice the last while the store keeps opening tasks (within `BLOCK_GROWS_WITHIN_MS`
 * of its last reservation), else one number: a storm takes 20 at a time, a quiet container one, so the numbers a
 * container reserved and never used (gaps) stay few. Numbers stay ordered roughly by time, not exactly.
 */
export const TASK_ID_BLOCK = 20;
export const BLOCK_GROWS_WITHIN_MS = 60_000;
/**
 * A task item holds the entries of its latest changes (`recent`, one list per version from `recentFrom`) so a
 * change costs one item write: once it holds more than this many changes, the older ones are copied to their
 * timeline items and dropped from it (one BatchWriteItem and one UpdateItem every few changes).
 */
export const HELD_CHANGES = 6;

export const createDocumentClient = (config: DynamoDBClientConfig = {}): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(new DynamoDBClient(config), {
    // A sender's map may have a key named `constructor` (a label, a custom detail): the marshaller then takes
    // it for a class instance and refuses it, unless told that every object is a map.
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true },
  });

/**
 * The TaskStore on DynamoDB (and on dynalite, which speaks the same API): one table, single-item
 * conditional writes, queries by key or GSI only. Key design in ./table.ts.
 */
export class DynamoTaskStore implements TaskStore {
  /** Numbers of this store's reserved block not yet handed out, lowest first. */
  readonly #ids: number[] = [];
  /** Numbers handed out lately, so one whose `openFingerprint` is refused (unused) is handed out again. */
  readonly #lent = new Set<number>();
  /** The size of the last block reserved, and when (ms). */
  #block = 0;
  #reservedAt = Number.NEGATIVE_INFINITY;
  /** Task items as this store last read them (a few): what a save copies from the item it replaces. */
  readonly #read = new Map<string, Item>();
  #reserving: Promise<void> | undefined;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string = TABLE.defaultName,
    private readonly idBlock: number = TASK_ID_BLOCK,
  ) {}

  async nextTaskNumber(): Promise<number> {
    for (;;) {
      const next = this.#ids.shift();
      if (next !== undefined) return lend(this.#lent, next);
      // One reservation at a time: concurrent callers wait for the same block.
      this.#reserving ??= this.reserveBlock().finally(() => {
        this.#reserving = undefined;
      });
      await this.#reserving;
    }
  }

  private async reserveBlock(): Promise<void> {
    const now = Date.now();
    const size =
      now - this.#reservedAt <= BLOCK_GROWS_WITHIN_MS ? Math.min(this.#block * 2, this.idBlock) : 1;
    const { Attributes } = await this.send(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.counter,
          UpdateExpression: 'ADD #value :block',
          ExpressionAttributeNames: { '#value': 'value' },
          ExpressionAttributeValues: { ':block': size },
          ReturnValues: 'UPDATED_NEW',
        }),
      ),
    );
    this.#block = size;
    this.#reservedAt = now;
    const top = Number(Attributes?.value);
    for (let n = top - size + 1; n <= top; n++) this.#ids.push(n);
  }

  async create(task: Task, entries: readonly TimelineEntry[]): Promise<'created' | 'exists'> {
    const written = await this.conditional(() =>
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: this.taskItem(task, entries),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    // Its entries are held in the item (`recent`): a later change copies them to the timeline.
    return written ? 'created' : 'exists';
  }

  async get(id: string): Promise<Task | undefined> {
    const { Item } = await this.send(() =>
      this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.task(id), ConsistentRead: true })),
    );
    if (!Item) return undefined;
    remembered(this.#read, id, Item);
    return toTask(Item);
  }

  async save(task: Task, entries: readonly TimelineEntry[], expectedVersion: number): Promise<SaveOutcome> {
    // The item is replaced whole, holding this change's entries only: those it holds now are copied to the
    // timeline first (idempotent keys), so a writer that dies in between loses none. The item as this store
    // last read it holds them, if its version is the one expected (the caller read it to make the change).
    let held = this.#read.get(task.id);
    if (Number(held?.version) !== expectedVersion) {
      const { Item } = await this.send(() =>
        this.db.send(
          new GetCommand({ TableName: this.tableName, Key: keys.task(task.id), ConsistentRead: true }),
        ),
      );
      held = Item;
    }
    if (!held || Number(held.version) !== expectedVersion) return 'conflict';
    await this.copyHeld(task.id, held);
    const written = await this.conditional(() =>
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: this.taskItem(task, entries),
          ConditionExpression: 'version = :expected',
          ExpressionAttributeValues: { ':expected': expectedVersion },
        }),
      ),
    );
    this.#read.delete(task.id);
    return written ? 'saved' : 'conflict';
  }

  async deleteTask(id: string, expectedVersion: number, deletion: TaskDeletion): Promise<SaveOutcome> {
    // Marked first, version unchanged, so the stream's REMOVE record carries who deleted it and when (its old
    // image), which the card says; then deleted if nobody changed it in between (a change bumps the version).
    const marked = await this.conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.task(id),
          UpdateExpression: 'SET deletedBy = :by, deletedAt = :at',
          ConditionExpression: 'version = :expected',
          ExpressionAttributeValues: { ':by': deletion.by, ':at': deletion.at, ':expected': expectedVersion },
        }),
      ),
    );
    if (!marked) return 'conflict';
    // The tombstone before the task goes: a deleter that dies in between leaves a live task with one, which
    // nothing but a writer about to reuse the id reads, and the retried delete finishes.
    await this.send(() =>
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.taskTombstone(id),
            deletedBy: deletion.by,
            deletedAt: deletion.at,
            ...(deletion.fingerprint ? { fingerprint: deletion.fingerprint } : {}),
          },
        }),
      ),
    );
    const deleted = await this.conditional(() =>
      this.db.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.task(id),
          ConditionExpression: 'version = :expected AND deletedAt = :at',
          ExpressionAttributeValues: { ':expected': expectedVersion, ':at': deletion.at },
        }),
      ),
    );
    this.#read.delete(id);
    return deleted ? 'saved' : 'conflict';
  }

  async deletion(id: string): Promise<TaskDeletion | undefined> {
    const { Item } = await this.send(() =>
      this.db.send(
        new GetCommand({ TableName: this.tableName, Key: keys.taskTombstone(id), ConsistentRead: true }),
      ),
    );
    if (!Item) return undefined;
    return {
      by: String(Item.deletedBy),
      at: String(Item.deletedAt),
      ...(typeof Item.fingerprint === 'string' ? { fingerprint: Item.fingerprint } : {}),
    };
  }

  async dropHistory(id: string): Promise<void> {
    const { pk } = keys.task(id);
    // A task item still there stops it: that task is not deleted (its item sorts after its entries, so no page
    // of them would show it first).
    const { Item } = await this.send(() =>
      this.db.send(
        new GetCommand({
          TableName: this.tableName,
          Key: keys.task(id),
          ConsistentRead: true,
          ProjectionExpression: 'pk',
        }),
      ),
    );
    if (Item) return;
    // Page by page, keys only: a task with thousands of entries is deleted 25 at a time (BatchWriteItem's
    // bound) without holding them all.
    for (;;) {
      const { Items = [], LastEvaluatedKey } = await this.send(() =>
        this.db.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': pk },
            ProjectionExpression: 'pk, sk',
            ConsistentRead: true,
            Limit: 100,
          }),
        ),
      );
      await this.batchWrite(
        Items.filter((item) => item.sk !== TASK_SK && item.sk !== keys.taskTombstone(id).sk).map((item) => ({
          DeleteRequest: { Key: { pk: item.pk, sk: item.sk } },
        })),
      );
      if (!LastEvaluatedKey) return;
    }
  }

  async recordOccurrence(
    id: string,
    at: string,
    now: string,
    occurrenceKey?: string,
    entry?: OccurrenceEntry | readonly OccurrenceEntry[],
    also: OccurrenceFields = {},
    unread?: UnreadTask,
  ): Promise<Task | 'repeat' | undefined> {
    await this.copyLegacy(id);
    const entries: readonly OccurrenceEntry[] = entry === undefined ? [] : 'type' in entry ? [entry] : entry;
    const counted = Math.max(1, entries.length);
    const keyed = occurrenceKey !== undefined;
    const reported = also.reportedAt;
    const grouped = also.group !== undefined;
    const { firstSeen } = also;
    const removed = ['lastEntries', ...(reported === null ? ['reportedAt'] : [])];
    // The deliveries of the entries the item holds are a set beside them, so the write itself refuses an alert
    // of a delivery it holds already: two copies of one queue message (SQS delivers at least once) counted at
    // the same moment both read "not counted yet", and only one of them may count.
    const tokens = [...new Set(entries.flatMap((e) => (e.delivery ? [e.delivery] : [])))];
    // The entry is appended to the item's held changes, with its version and count left to the item (they are
    // known only once written): one write, no version read first, so a storm does not contend.
    const count = (set: string) =>
      `SET ${set}, recent = list_append(if_not_exists(recent, :none), :change)${keyed ? ', occurrenceKey = :key' : ''}${
        typeof reported === 'string' ? ', reportedAt = :reported' : ''
      }${grouped ? ', #group = :group' : ''}${
        firstSeen ? ', firstSeenAt = :firstSeen, ackDueAt = :ackDue, resolveDueAt = :resolveDue' : ''
      } ADD occurrences :counted, version :one${tokens.length > 0 ? ', heldTokens :tokens' : ''} REMOVE ${removed.join(', ')}`;
    // `unread`: the caller took the task id from its cache; counted only where a read would have counted it.
    const open = `attribute_exists(pk) AND #status <> :resolved${
      keyed ? ' AND (attribute_not_exists(occurrenceKey) OR occurrenceKey <> :key)' : ''
    }${unread ? ' AND fingerprint = :fp AND resolveDueAt = :due AND attribute_not_exists(unreportedSince)' : ''}${
      firstSeen
        ? ' AND firstSeenAt = :firstSeenWas AND ackDueAt = :ackDueWas AND resolveDueAt = :resolveDueWas'
        : ''
    }${tokens.map((_, i) => ` AND NOT contains(heldTokens, :token${i})`).join('')}`;
    const values: Record<string, unknown> = {
      ':now': now,
      ':none': [],
      ':change': [{ e: entries.map((e) => ({ ...e, version: 0, seq: 0, occurrences: 0 })), n: counted }],
      ':counted': counted,
      ...(tokens.length > 0
        ? { ':tokens': new Set(tokens), ...Object.fromEntries(tokens.map((t, i) => [`:token${i}`, t])) }
        : {}),
      ...(keyed ? { ':key': occurrenceKey } : {}),
      ...(typeof reported === 'string' ? { ':reported': reported } : {}),
      ...(grouped ? { ':group': also.group } : {}),
      ...(unread ? { ':fp': unread.fingerprint, ':due': unread.resolveDueAt } : {}),
      ...(firstSeen
        ? {
            ':firstSeen': firstSeen.at,
            ':firstSeenWas': firstSeen.was,
            ':ackDueWas': firstSeen.dueWas.ackDueAt,
            ':resolveDueWas': firstSeen.dueWas.resolveDueAt,
            ':ackDue': firstSeen.ackDueAt,
            ':resolveDue': firstSeen.resolveDueAt,
          }
        : {}),
    };
    const names: Record<string, string> = grouped ? { '#group': 'group' } : {};
    const held = (item: Item | undefined) =>
      item?.heldTokens instanceof Set && tokens.some((t) => (item.heldTokens as Set<string>).has(t));
    const countable = (item: Item) =>
      item.status !== 'resolved' &&
      !held(item) &&
      (!firstSeen ||
        (item.firstSeenAt === firstSeen.was &&
          item.ackDueAt === firstSeen.dueWas.ackDueAt &&
          item.resolveDueAt === firstSeen.dueWas.resolveDueAt)) &&
      (!keyed || item.occurrenceKey !== occurrenceKey) &&
      (!unread ||
        (item.fingerprint === unread.fingerprint &&
          item.resolveDueAt === unread.resolveDueAt &&
          item.unreportedSince === undefined));
    const repeated = (item: Item | undefined) =>
      item !== undefined &&
      item.status !== 'resolved' &&
      (held(item) ||
        (keyed &&
          item.occurrenceKey === occurrenceKey &&
          (!unread || (item.fingerprint === unread.fingerprint && item.unreportedSince === undefined))));
    // Usually the newest occurrence: count it and move last seen. Else it is not open, the same occurrence,
    // or older than the last one seen (deliveries arrive out of order): then count it and keep last seen.
    let outcome = await this.countOccurrence(
      id,
      count('updatedAt = :now, lastSeenAt = :at'),
      `${open} AND lastSeenAt <= :at`,
      { ...values, ':at': at },
      names,
    );
    const movedLastSeen = 'written' in outcome;
    // Where the refused write returns the item (DynamoDB does, dynalite does not), it says why.
    if (!('written' in outcome) && outcome.old && !countable(outcome.old))
      return repeated(outcome.old) ? 'repeat' : undefined;
    if (!('written' in outcome))
      outcome = await this.countOccurrence(id, count('updatedAt = :now'), open, values, names);
    if ('written' in outcome) {
      const old = outcome.written;
      const { reportedAt: _, ...kept } = old;
      const task = toTask({
        ...(reported === null ? kept : old),
        ...(typeof reported === 'string' ? { reportedAt: reported } : {}),
        occurrences: Number(old.occurrences) + counted,
        version: Number(old.version) + 1,
        updatedAt: now,
        ...(movedLastSeen ? { lastSeenAt: at } : {}),
        ...(keyed ? { occurrenceKey } : {}),
        ...(grouped ? { group: also.group } : {}),
        ...(firstSeen
          ? {
              firstSeenAt: firstSeen.at,
              ackDueAt: firstSeen.ackDueAt,
              resolveDueAt: firstSeen.resolveDueAt,
            }
          : {}),
      });
      await this.settle(id, old);
      return task;
    }
    if (outcome.old) return repeated(outcome.old) ? 'repeat' : undefined;
    if (!keyed && tokens.length === 0) return undefined;
    // Not counted: tell a repeat (the latest occurrence, or a delivery held already) from a task that is not open.
    const { Item } = await this.send(() =>
      this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.task(id), ConsistentRead: true })),
    );
    return repeated(Item) ? 'repeat' : undefined;
  }

  async updateGroup(
    id: string,
    group: TaskGroup,
    now: string,
    occurrenceKey?: string,
  ): Promise<Task | undefined> {
    const keyed = occurrenceKey !== undefined;
    await this.copyLegacy(id);
    // No entry of its own: its version holds an empty change.
    const old = await updateIf(this.db, {
      TableName: this.tableName,
      Key: keys.task(id),
      UpdateExpression: `SET #group = :group, updatedAt = :now, recent = list_append(if_not_exists(recent, :none), :change)${keyed ? ', occurrenceKey = :key' : ''} ADD version :one REMOVE lastEntries`,
      ConditionExpression:
        'attribute_exists(pk) AND #status <> :resolved AND (attribute_not_exists(#group) OR #group.notifiedAt <= :at)',
      ExpressionAttributeNames: { '#status': 'status', '#group': 'group' },
      ExpressionAttributeValues: {
        ':group': group,
        ':now': now,
        ':none': [],
        ':change': [{ e: [], n: 0 }],
        ':at': group.notifiedAt,
        ':one': 1,
        ':resolved': 'resolved',
        ...(keyed ? { ':key': occurrenceKey } : {}),
      },
      ReturnValues: 'ALL_OLD',
    });
    if (!old) return undefined;
    await this.settle(id, old);
    return toTask({
      ...old,
      group,
      updatedAt: now,
      version: Number(old.version) + 1,
      ...(keyed ? { occurrenceKey } : {}),
    });
  }

  /**
   * An item the old code wrote holds its latest change's entries in `lastEntries`, which an occurrence or group
   * update drops in the same write: copied to the timeline before it (as this store last read the item; copies
   * are idempotent), so a writer killed right after that write loses none. Only for such items, once each.
   */
  private async copyLegacy(id: string): Promise<void> {
    const dropped = legacyEntries(this.#read.get(id));
    if (dropped.length > 0) await this.putEntries(dropped);
  }

  /**
   * After a change appended one version to the held changes of `old` (the item before it): the entries it
   * dropped (an item from before `recent`) copied to the timeline, and when the item held a multiple of
   * `HELD_CHANGES` changes before this one, every one of them, which are then dropped from it. The drop is
   * conditional on nobody having dropped or replaced them since (`recentFrom`): a writer that dies in between
   * leaves them held and copied, which the next one copies again (idempotent keys).
   * One writer copies: the one whose change found a multiple of `HELD_CHANGES` held. Writers counting at
   * the same moment all find more than that held until the drop lands; had each copied what it found, a storm of
   * one alert would rewrite the same timeline items at nearly every occurrence. Should that writer die before
   * its drop, the writer that finds twice as many held copies them all, so the item stays bounded.
   */
  private async settle(id: string, old: Item): Promise<void> {
    const held = heldChanges(old);
    if (held.length < HELD_CHANGES || held.length % HELD_CHANGES !== 0) {
      const dropped = legacyEntries(old);
      if (dropped.length > 0) await this.putEntries(dropped);
      return;
    }
    await this.copyHeld(id, old);
    const from = firstHeld(old);
    // Their deliveries go with them: from the timeline, a redelivery is recognised by reading (hasDelivery).
    const dropped = [
      ...new Set(held.flatMap((change) => change.e.flatMap((e) => (e.delivery ? [e.delivery] : [])))),
    ];
    const known = old.recentFrom !== undefined;
    await this.conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.task(id),
          // Highest index first: DynamoDB removes by the indexes before the update, dynalite one after another.
          UpdateExpression: `SET recentFrom = :next REMOVE ${held.map((_, i) => `recent[${held.length - 1 - i}]`).join(', ')}${
            dropped.length > 0 ? ' DELETE heldTokens :dropped' : ''
          }`,
          ConditionExpression: `attribute_exists(pk) AND ${known ? 'recentFrom = :from' : 'attribute_not_exists(recentFrom)'}`,
          ExpressionAttributeValues: {
            ':next': from + held.length,
            ...(known ? { ':from': from } : {}),
            ...(dropped.length > 0 ? { ':dropped': new Set(dropped) } : {}),
          },
        }),
      ),
    );
  }

  /** The item as it was before the occurrence was counted, or (when refused) as it is, where the API says. */
  private async countOccurrence(
    id: string,
    update: string,
    condition: string,
    values: Record<string, unknown>,
    names: Record<string, string> = {},
  ): Promise<{ written: Item } | { old?: Item }> {
    return updateOrOld(this.db, {
      TableName: this.tableName,
      Key: keys.task(id),
      UpdateExpression: update,
      ConditionExpression: condition,
      ExpressionAttributeNames: { '#status': 'status', ...names },
      ExpressionAttributeValues: { ...values, ':one': 1, ':resolved': 'resolved' },
      ReturnValues: 'ALL_OLD',
    });
  }

  async list(query: TaskQuery): Promise<TaskPage> {
    const { statuses, service, assignee, limit } = query;
    const filters: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    let partitions: { index: IndexName; pk: string }[];

    if (assignee || service) {
      partitions = [
        assignee
          ? { index: 'gsi3', pk: keys.byAssignee(assignee) }
          : { index: 'gsi2', pk: keys.byService(service as string) },
      ];
      if (assignee && service) {
        filters.push('service = :service');
        values[':service'] = service;
      }
      if (statuses) {
        names['#status'] = 'status';
        filters.push(`#status IN (${statuses.map((_, i) => `:s${i}`).join(', ')})`);
        statuses.forEach((s, i) => {
          values[`:s${i}`] = s;
        });
      }
    } else {
      partitions = (statuses ?? ['open', 'acknowledged', 'in_progress', 'resolved']).map((s) => ({
        index: 'gsi1',
        pk: keys.byStatus(s),
      }));
    }

    // Each partition gives its newest `limit + 1` below the cursor; merged, their newest `limit + 1` are
    // exactly the global newest, and the extra one tells whether another page exists. The indexes hold keys
    // (and what the filters read), not tasks: the page's tasks are then read by key, at most `limit`.
    const pages = await Promise.all(
      partitions.map((p) =>
        this.queryTasks(p.index, p.pk, query.before ?? null, limit + 1, filters, names, values),
      ),
    );
    // A task that just changed between two statuses listed may still be in both partitions (the index is a moment
    // behind): listed once, or its key would be twice in the BatchGetItem, which DynamoDB refuses whole.
    const merged = [...new Set(pages.flat())].sort((a, b) => b - a);
    const numbers = merged.slice(0, limit);
    const read = await this.tasksByNumber(numbers);
    // An index is a moment behind its table: a task changed since it was listed is left out if it no longer
    // matches, so a page never shows what it was not asked for.
    const tasks = numbers.flatMap((n) => {
      const task = read.get(n);
      return task && matches(task, query) ? [task] : [];
    });
    const last = numbers.at(-1);
    return { tasks, next: merged.length > limit && last !== undefined ? last : null };
  }

  /**
   * Tasks by number (BatchGetItem, 100 keys a call); those not found are absent. Eventually consistent, as the
   * index the numbers came from (half the read units of a consistent read).
   */
  private async tasksByNumber(numbers: readonly number[]): Promise<Map<number, Task>> {
    const found = new Map<number, Task>();
    for (let i = 0; i < numbers.length; i += 100) {
      let pending: Item[] | undefined = numbers.slice(i, i + 100).map((n) => keys.task(formatTaskId(n)));
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        if (attempt === 5)
          throw new TransientError('The tasks could not be read: DynamoDB kept them unprocessed');
        const Keys: Item[] = pending;
        const { Responses, UnprocessedKeys } = await this.send(() =>
          this.db.send(
            new BatchGetCommand({
              RequestItems: { [this.tableName]: { Keys } },
            }),
          ),
        );
        for (const item of Responses?.[this.tableName] ?? []) {
          const task = toTask(item);
          found.set(taskNumber(task.id), task);
        }
        pending = UnprocessedKeys?.[this.tableName]?.Keys;
        if (pending?.length) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
      }
    }
    return found;
  }

  async timeline(id: string, afterVersion = 0): Promise<TimelineEntry[]> {
    const { pk } = keys.task(id);
    // The task item (sk `TASK`) sorts after every `EVENT#` key, so it is always read with them.
    const from = keys.timelineEntry(id, afterVersion, 999).sk;
    const entries = new Map<string, TimelineEntry>();
    const items = paginateQuery(
      { client: this.db },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk > :from',
        ExpressionAttributeValues: { ':pk': pk, ':from': from },
        ConsistentRead: true,
      },
    );
    for await (const item of itemsOf(items)) {
      // The task item holds its latest changes' entries, some of them perhaps copied to the timeline already.
      const found = item.sk === TASK_SK ? heldEntries(item) : item.entry ? [item.entry as TimelineEntry] : [];
      for (const entry of found) {
        if (entry.version > afterVersion)
          entries.set(keys.timelineEntry(id, entry.version, entry.seq).sk, entry);
      }
    }
    return [...entries.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, entry]) => entry);
  }

  async hasDelivery(id: string, delivery: string, since: string): Promise<boolean> {
    // A change's entries are in the task item until the next change replaces them there, and that next
    // writer copies them to the timeline only after its own write: meanwhile (or for good, should it die
    // then) they are in neither place, which a read sees as a version missing below the item's. Such a gap
    // is read again until its writer has filled it; one that stays is not taken for "not delivered".
    for (let read = 1; ; read++) {
      const found = await this.deliveryIn(id, delivery, since);
      if (found !== 'gap') return found;
      if (read === DELIVERY_GAP_READS)
        throw new TransientError(
          `The history of ${id} lacks a change in the window searched; whether ${delivery} was counted is unknown`,
          { context: { taskId: id, delivery } },
        );
      await new Promise((resolve) => setTimeout(resolve, DELIVERY_GAP_WAIT_MS * read));
    }
  }

  /** One newest-first read of the task's entries: found, not found, or `gap` (a version's entries missing). */
  private async deliveryIn(id: string, delivery: string, since: string): Promise<boolean | 'gap'> {
    const { pk } = keys.task(id);
    let lowest: number | undefined;
    // Newest first: the task item (its latest entries) sorts after every `EVENT#` key; stop at `since`.
    const items = paginateQuery(
      { client: this.db, pageSize: 100 },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :task',
        ExpressionAttributeValues: { ':pk': pk, ':first': keys.timelinePrefix, ':task': TASK_SK },
        ConsistentRead: true,
        ScanIndexForward: false,
      },
    );
    for await (const item of itemsOf(items)) {
      // A version is seen by its entries, or by its mark when it has none (see `copyHeld`).
      const found: { version: number; entry?: TimelineEntry }[] =
        item.sk === TASK_SK
          ? heldMarks(item).reverse()
          : item.entry
            ? [{ version: (item.entry as TimelineEntry).version, entry: item.entry as TimelineEntry }]
            : [{ version: Number(item.version) }];
      for (const { version, entry } of found) {
        // Every change has at least one entry or a mark: a version skipped is one whose entries are in flight.
        if (lowest !== undefined && version < lowest - 1) return 'gap';
        if (entry && entry.at < since) return false;
        if (entry?.delivery === delivery) return true;
        lowest = Math.min(lowest ?? version, version);
      }
    }
    return lowest !== undefined && lowest > 1 ? 'gap' : false;
  }

  async fingerprint(fingerprint: string): Promise<FingerprintRecord | undefined> {
    const item = await this.fingerprintItem(fingerprint);
    return item ? (pick(item, FP_FIELDS) as unknown as FingerprintRecord) : undefined;
  }

  private async fingerprintItem(fingerprint: string): Promise<Item | undefined> {
    const { Item } = await this.send(() =>
      this.db.send(
        new GetCommand({
          TableName: this.tableName,
          Key: keys.fingerprint(fingerprint),
          ConsistentRead: true,
        }),
      ),
    );
    return Item;
  }

  async claimFingerprint(
    fingerprint: string,
    token: string,
    at: string,
    staleBefore: string,
  ): Promise<FingerprintRecord | undefined> {
    const written = await updateIf(this.db, {
      TableName: this.tableName,
      Key: keys.fingerprint(fingerprint),
      UpdateExpression: 'SET fingerprint = :fp, #claim = :token, claimedAt = :at',
      ConditionExpression:
        'attribute_not_exists(openTaskId) AND (attribute_not_exists(#claim) OR claimedAt < :stale)',
      ExpressionAttributeNames: { '#claim': 'claim' },
      ExpressionAttributeValues: {
        ':fp': fingerprint,
        ':token': token,
        ':at': at,
        ':stale': staleBefore,
      },
      // The record under the claim comes back with it: the claimer decides on it without another read.
      ReturnValues: 'ALL_NEW',
    });
    return written ? (pick(written, FP_FIELDS) as unknown as FingerprintRecord) : undefined;
  }

  async openFingerprint(
    fingerprint: string,
    taskId: string,
    staleBefore: string,
  ): Promise<{ readonly bound: true } | { readonly bound: false; readonly record?: FingerprintRecord }> {
    const outcome = await updateOrOld(this.db, {
      TableName: this.tableName,
      Key: keys.fingerprint(fingerprint),
      UpdateExpression: 'SET fingerprint = :fp, openTaskId = :id REMOVE #claim, claimedAt',
      ConditionExpression:
        'attribute_not_exists(openTaskId) AND attribute_not_exists(lastTaskId) AND (attribute_not_exists(#claim) OR claimedAt < :stale)',
      ExpressionAttributeNames: { '#claim': 'claim' },
      ExpressionAttributeValues: { ':fp': fingerprint, ':id': taskId, ':stale': staleBefore },
    });
    const number = taskNumber(taskId);
    const lent = this.#lent.delete(number);
    if ('written' in outcome) return { bound: true };
    // A refused write means the record exists; dynalite does not return it: then it is read.
    const record = outcome.old ? outcome.old : await this.fingerprintItem(fingerprint);
    // Not written, so not used: a number this store handed out is handed out again. Unless the record is bound
    // to it: then this write was applied and its answer lost (the SDK retried it, and the retry was refused), and
    // the number is this fingerprint's task: handed out again, another fingerprint would be bound to its task.
    if (lent && record?.openTaskId !== taskId) this.#ids.splice(sortedIndex(this.#ids, number), 0, number);
    return {
      bound: false,
      ...(record ? { record: pick(record, FP_FIELDS) as unknown as FingerprintRecord } : {}),
    };
  }

  bindFingerprint(fingerprint: string, token: string, taskId: string): Promise<boolean> {
    return this.conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.fingerprint(fingerprint),
          UpdateExpression: 'SET openTaskId = :id REMOVE #claim, claimedAt',
          ConditionExpression: '#claim = :token',
          ExpressionAttributeNames: { '#claim': 'claim' },
          ExpressionAttributeValues: { ':id': taskId, ':token': token },
        }),
      ),
    );
  }

  async dropClaim(fingerprint: string, token: string): Promise<void> {
    await this.conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.fingerprint(fingerprint),
          UpdateExpression: 'REMOVE #claim, claimedAt',
          ConditionExpression: '#claim = :token',
          ExpressionAttributeNames: { '#claim': 'claim' },
          ExpressionAttributeValues: { ':token': token },
        }),
      ),
    );
  }

  async releaseFingerprint(fingerprint: string, taskId: string, resolvedAt: string): Promise<void> {
    await this.conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.fingerprint(fingerprint),
          UpdateExpression: 'SET lastTaskId = :id, lastResolvedAt = :at REMOVE openTaskId',
          ConditionExpression: 'openTaskId = :id',
          ExpressionAttributeValues: { ':id': taskId, ':at': resolvedAt },
        }),
      ),
    );
  }

  async forgetTask(fingerprint: string, taskId: string): Promise<void> {
    // Two writes, each only if the record names the task: it may be the open one, the last resolved, or both.
    await this.conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.fingerprint(fingerprint),
          UpdateExpression: 'REMOVE openTaskId',
          ConditionExpression: 'openTaskId = :id',
          ExpressionAttributeValues: { ':id': taskId },
        }),
      ),
    );
    await this.conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.fingerprint(fingerprint),
          UpdateExpression: 'REMOVE lastTaskId, lastResolvedAt',
          ConditionExpression: 'lastTaskId = :id',
          ExpressionAttributeValues: { ':id': taskId },
        }),
      ),
    );
  }

  async alertGroup(key: string): Promise<AlertGroupRecord | undefined> {
    const { Item } = await this.send(() =>
      this.db.send(
        new GetCommand({ TableName: this.tableName, Key: keys.alertGroup(key), ConsistentRead: true }),
      ),
    );
    if (!Item) return undefined;
    return {
      key: String(Item.key),
      members: (Item.members as string[] | undefined) ?? [],
      unreported: (Item.unreported as Record<string, string> | undefined) ?? {},
      version: Number(Item.version),
    };
  }

  async saveAlertGroup(record: AlertGroupRecord): Promise<SaveOutcome> {
    // While a task of the group is unreported, the group is listed under its longest-unreported time, so the
    // sweeper finds what went stale by one query, oldest first.
    const oldest = Object.values(record.unreported).sort()[0];
    const written = await this.conditional(() =>
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.alertGroup(record.key),
            type: 'alert-group',
            key: record.key,
            members: [...record.members],
            unreported: { ...record.unreported },
            version: record.version,
            ...(oldest ? { gsi1pk: keys.alertGroupsUnreported, gsi1sk: `${oldest}#${record.key}` } : {}),
          },
          ConditionExpression: record.version === 1 ? 'attribute_not_exists(pk)' : 'version = :expected',
          ...(record.version === 1 ? {} : { ExpressionAttributeValues: { ':expected': record.version - 1 } }),
        }),
      ),
    );
    return written ? 'saved' : 'conflict';
  }

  async unreportedAlertGroups(before: string, limit: number): Promise<string[]> {
    const { Items } = await this.send(() =>
      this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk < :before',
          ExpressionAttributeValues: { ':pk': keys.alertGroupsUnreported, ':before': before },
          Limit: limit,
        }),
      ),
    );
    return (Items ?? []).map((item) => String(item.key));
  }

  async archiveRaw(event: RawEvent): Promise<'archived' | 'duplicate'> {
    const { pk } = keys.raw(event.source, event.deliveryId);
    const ttl = Math.floor(Date.parse(event.expiresAt) / 1000);
    const { body, ...rest } = event;
    const item: Item = {
      ...keys.raw(event.source, event.deliveryId),
      type: 'raw',
      ...rest,
      [TABLE.ttlAttribute]: ttl,
    };
    if (Buffer.byteLength(body) <= COMPRESS_OVER_BYTES) item.body = body;
    else {
      const packed = gzipSync(body);
      if (packed.length <= CHUNK_BYTES) item.bodyGz = packed;
      else {
        // Chunks named by the body's digest: a duplicate delivery (same id, maybe another body) writes its own
        // chunks beside them and never overwrites the ones the archived item points to.
        const digest = createHash('sha256').update(packed).digest('hex').slice(0, 16);
        const chunks = Math.ceil(packed.length / CHUNK_BYTES);
        await this.batchPut(
          Array.from({ length: chunks }, (_, i) => ({
            pk,
            sk: keys.rawChunk(digest, i),
            type: 'raw-chunk',
            data: packed.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES),
            [TABLE.ttlAttribute]: ttl,
          })),
        );
        item.bodyChunks = chunks;
        item.bodyDigest = digest;
      }
    }
    if (!event.processedAt && !event.deadAt) {
      item.gsi1pk = keys.rawPending(event.deliveryId);
      item.gsi1sk = keys.rawOrder(event.receivedAt, event.source, event.deliveryId);
    }
    const written = await this.conditional(() =>
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    return written ? 'archived' : 'duplicate';
  }

  async getRaw(source: string, deliveryId: string): Promise<RawEvent | undefined> {
    const { Item } = await this.send(() =>
      this.db.send(
        new GetCommand({
          TableName: this.tableName,
          Key: keys.raw(source, deliveryId),
          ConsistentRead: true,
        }),
      ),
    );
    return Item ? this.toRaw(Item) : undefined;
  }

  async markRawProcessed(
    source: string,
    deliveryId: string,
    at: string,
    taskIds: readonly string[],
  ): Promise<void> {
    await this.conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.raw(source, deliveryId),
          UpdateExpression:
            'SET processedAt = :at, taskIds = :ids REMOVE gsi1pk, gsi1sk, leaseToken, leaseUntil, deadAt',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':at': at, ':ids': [...taskIds] },
        }),
      ),
    );
  }

  unprocessedRaw(before: string, limit: number, after?: string): Promise<RawRef[]> {
    return this.rawIndex(
      Array.from({ length: keys.rawPendingShards }, (_, shard) => keys.rawPendingShard(shard)),
      limit,
      before,
      after,
    );
  }

  deadRaw(limit: number, after?: string): Promise<RawRef[]> {
    return this.rawIndex([keys.rawDead], limit, undefined, after);
  }

  async claimRaw(
    source: string,
    deliveryId: string,
    token: string,
    now: string,
    until: string,
  ): Promise<RawEvent | undefined> {
    const written = await updateIf(this.db, {
      TableName: this.tableName,
      Key: keys.raw(source, deliveryId),
      UpdateExpression:
        'SET leaseToken = :token, leaseUntil = :until, attempts = if_not_exists(attempts, :zero) + :one',
      ConditionExpression:
        'attribute_exists(pk) AND attribute_not_exists(processedAt) AND attribute_not_exists(deadAt) AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)',
      ExpressionAttributeValues: {
        ':token': token,
        ':until': until,
        ':now': now,
        ':zero': 0,
        ':one': 1,
      },
      // What a write returns is the item as it now is: the consistent re-read the index cannot give.
      ReturnValues: 'ALL_NEW',
    });
    return written ? this.toRaw(written) : undefined;
  }

  async failRaw(
    source: string,
    deliveryId: string,
    token: string,
    error: string,
    deadAt?: string,
  ): Promise<boolean> {
    const dead = deadAt !== undefined;
    // Moved aside into the dead list, in the order received (a rare path: one read for the receipt time).
    const receivedAt = dead ? String((await this.getRawItem(source, deliveryId))?.receivedAt ?? '') : '';
    return this.conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.raw(source, deliveryId),
          UpdateExpression: `SET lastError = :error${
            dead ? ', deadAt = :dead, gsi1pk = :deadIndex, gsi1sk = :order' : ''
          } REMOVE leaseToken, leaseUntil`,
          ConditionExpression: 'leaseToken = :token AND attribute_not_exists(processedAt)',
          ExpressionAttributeValues: {
            ':error': error.slice(0, LAST_ERROR_CHARS),
            ':token': token,
            ...(dead
              ? {
                  ':dead': deadAt,
                  ':deadIndex': keys.rawDead,
                  ':order': keys.rawOrder(receivedAt, source, deliveryId),
                }
              : {}),
          },
        }),
      ),
    );
  }

  async reviveRaw(source: string, deliveryId: string): Promise<boolean> {
    const event = await this.getRawItem(source, deliveryId);
    if (!event?.deadAt || event.processedAt) return false;
    const receivedAt = String(event.receivedAt);
    return this.conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.raw(source, deliveryId),
          UpdateExpression:
            'SET attempts = :zero, gsi1pk = :pending, gsi1sk = :order REMOVE deadAt, leaseToken, leaseUntil',
          ConditionExpression: 'attribute_exists(deadAt) AND attribute_not_exists(processedAt)',
          ExpressionAttributeValues: {
            ':zero': 0,
            ':pending': keys.rawPending(deliveryId),
            ':order': keys.rawOrder(receivedAt, source, deliveryId),
          },
        }),
      ),
    );
  }

  async queuedChunk(
    source: string,
    deliveryId: string,
    chunk: QueuedChunk,
  ): Promise<QueuedProgress | undefined> {
    const pending = 'attribute_exists(pk) AND attribute_not_exists(processedAt)';
    if ('error' in chunk) {
      const kept = await this.conditional(() =>
        this.db.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.raw(source, deliveryId),
            UpdateExpression: 'SET lastError = :error',
            ConditionExpression: pending,
            ExpressionAttributeValues: { ':error': chunk.error.slice(0, LAST_ERROR_CHARS) },
          }),
        ),
      );
      return kept ? { chunks: [], touched: [] } : undefined;
    }
    // What the chunk touched in an item of its own beside the raw item (written before the chunk is counted,
    // so the last one counted finds every other's): one set on the raw item of every chunk's tasks would pass
    // the 400 KB item limit at some ten thousand alerts. Kept as long as an archive, and a little longer.
    const { pk } = keys.raw(source, deliveryId);
    await this.send(() =>
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk,
            sk: keys.rawQueued(chunk.chunk),
            type: 'raw-queued',
            touched: [...chunk.touched],
            [TABLE.ttlAttribute]: Math.floor(Date.now() / 1000) + QUEUED_TTL_S,
          },
        }),
      ),
    );
    // The raw item's set holds the chunks' numbers only, and UPDATED_NEW returns it whole (not the body).
    const written = await updateIf(this.db, {
      TableName: this.tableName,
      Key: keys.raw(source, deliveryId),
      UpdateExpression: 'ADD queued :entries',
      ConditionExpression: pending,
      ExpressionAttributeValues: { ':entries': new Set([`#${chunk.chunk}`]) },
      ReturnValues: 'UPDATED_NEW',
    });
    if (!written) return undefined;
    const entries = [...((written.queued as Set<string> | undefined) ?? [])];
    const chunks = entries.filter((e) => e.startsWith('#')).map((e) => Number(e.slice(1)));
    if (chunk.of !== undefined && chunks.length < chunk.of) return { chunks, touched: [] };
    const items = await queryAll(this.db, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': keys.rawQueuedPrefix },
      ConsistentRead: true,
    });
    const touched = new Set([
      // A delivery queued before chunks had items of their own kept what they touched in the set.
      ...entries.filter((e) => e.startsWith('=')).map((e) => e.slice(1)),
      ...items.flatMap((item) => (item.touched as string[] | undefined) ?? []),
    ]);
    return { chunks, touched: [...touched] };
  }

  private async getRawItem(source: string, deliveryId: string): Promise<Item | undefined> {
    const { Item } = await this.send(() =>
      this.db.send(
        new GetCommand({
          TableName: this.tableName,
          Key: keys.raw(source, deliveryId),
          ConsistentRead: true,
        }),
      ),
    );
    return Item;
  }

  /** An archived item as the event it holds: its body unpacked (inline, gzipped or in chunks). */
  private async toRaw(item: Item): Promise<RawEvent> {
    const event = pick(item, RAW_FIELDS) as Record<string, unknown>;
    if (typeof item.body === 'string') return event as unknown as RawEvent;
    let packed: Uint8Array;
    if (item.bodyGz instanceof Uint8Array) packed = item.bodyGz;
    else {
      const chunks = await queryAll(this.db, {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: {
          ':pk': item.pk,
          ':prefix': keys.rawChunkPrefix(String(item.bodyDigest)),
        },
        ConsistentRead: true,
      });
      if (chunks.length !== Number(item.bodyChunks))
        throw new Error(
          `archived delivery ${String(item.pk)}: ${chunks.length} of ${String(item.bodyChunks)} chunks found`,
        );
      packed = Buffer.concat(chunks.map((chunk) => chunk.data as Uint8Array));
    }
    return { ...event, body: gunzipSync(packed).toString('utf8') } as unknown as RawEvent;
  }

  /** The raw events listed in some partitions of the raw index, merged oldest first. */
  private async rawIndex(
    partitions: readonly string[],
    limit: number,
    before: string | undefined,
    after: string | undefined,
  ): Promise<RawRef[]> {
    // DynamoDB refuses a BETWEEN whose upper bound is below its lower one (dynalite does not): such a range is empty.
    if (before !== undefined && after !== undefined && after >= before) return [];
    const condition =
      before === undefined
        ? after === undefined
          ? 'gsi1pk = :pk'
          : 'gsi1pk = :pk AND gsi1sk > :after'
        : after === undefined
          ? 'gsi1pk = :pk AND gsi1sk < :before'
          : 'gsi1pk = :pk AND gsi1sk BETWEEN :after AND :before';
    // Each partition in order, then merged: the oldest `limit` of all are among each partition's oldest `limit`.
    const listed = await Promise.all(
      partitions.map(async (pk) => {
        const { Items } = await this.send(() =>
          this.db.send(
            new QueryCommand({
              TableName: this.tableName,
              IndexName: 'gsi1',
              KeyConditionExpression: condition,
              ExpressionAttributeNames: Object.fromEntries(
                [...RAW_REF_FIELDS, 'gsi1sk'].map((field) => [`#${field}`, field]),
              ),
              ProjectionExpression: [...RAW_REF_FIELDS, 'gsi1sk'].map((field) => `#${field}`).join(', '),
              ExpressionAttributeValues: {
                ':pk': pk,
                ...(before === undefined ? {} : { ':before': before }),
                ...(after === undefined ? {} : { ':after': after }),
              },
              Limit: limit + (after === undefined ? 0 : 1),
            }),
          ),
        );
        return Items ?? [];
      }),
    );
    return listed
      .flat()
      .filter((item) => after === undefined || String(item.gsi1sk) > after)
      .sort((a, b) => (String(a.gsi1sk) < String(b.gsi1sk) ? -1 : 1))
      .slice(0, limit)
      .map((item) => pick(item, RAW_REF_FIELDS) as unknown as RawRef);
  }

  private taskItem(task: Task, entries: readonly TimelineEntry[]): Item {
    const order = keys.taskOrder(task.id);
    const held = [...new Set(entries.flatMap((e) => ('delivery' in e && e.delivery ? [e.delivery] : [])))];
    return {
      ...keys.task(task.id),
      type: 'task',
      ...task,
      gsi1pk: keys.byStatus(task.status),
      gsi1sk: order,
      gsi2pk: keys.byService(task.service),
      gsi2sk: order,
      ...(task.assignee ? { gsi3pk: keys.byAssignee(task.assignee), gsi3sk: order } : {}),
      recent: [{ e: entries, n: 0 }],
      recentFrom: task.version,
      // The deliveries of the entries held (see recordOccurrence): a copy of the alert that opened it is a repeat.
      ...(held.length > 0 ? { heldTokens: new Set(held) } : {}),
    };
  }

  /**
   * What a task item holds, copied to its timeline: each change's entries, and for a change without any (a group
   * summary updated) a mark of its version, so a reader of the history tells it from a change in flight.
   */
  private copyHeld(id: string, item: Item): Promise<void> {
    const changes = resolvedChanges(item);
    const marks = changes
      .filter((change) => change.entries.length === 0)
      .map((change) => ({
        ...keys.timelineEntry(id, change.version, 0),
        type: 'timeline',
        version: change.version,
      }));
    const entries = [...legacyEntries(item), ...changes.flatMap((change) => change.entries)];
    const unique = new Map(entries.map((e) => [`${e.version}#${e.seq}`, e]));
    return this.batchPut([
      ...[...unique.values()].map((entry) => ({
        ...keys.timelineEntry(entry.taskId, entry.version, entry.seq),
        type: 'timeline',
        entry,
      })),
      ...marks,
    ]);
  }

  private putEntries(entries: readonly TimelineEntry[]): Promise<void> {
    const unique = new Map(entries.map((e) => [`${e.version}#${e.seq}`, e]));
    return this.batchPut(
      [...unique.values()].map((entry) => ({
        ...keys.timelineEntry(entry.taskId, entry.version, entry.seq),
        type: 'timeline',
        entry,
      })),
    );
  }

  private batchPut(items: readonly Item[]): Promise<void> {
    return this.batchWrite(items.map((Item) => ({ PutRequest: { Item } })));
  }

  private async batchWrite(requests: readonly BatchWriteRequest[]): Promise<void> {
    for (let i = 0; i < requests.length; i += 25) {
      let pending: BatchWriteRequest[] | undefined = requests.slice(i, i + 25);
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        if (attempt === 5)
          throw new TransientError('The items could not be written: DynamoDB kept them unprocessed');
        const batch: BatchWriteRequest[] = pending;
        const { UnprocessedItems } = await this.send(() =>
          this.db.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: batch } })),
        );
        pending = UnprocessedItems?.[this.tableName];
        if (pending?.length) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
      }
    }
  }

  /** The numbers of a partition's newest `wanted` tasks below `before` that pass the filters, newest first. */
  private async queryTasks(
    index: IndexName,
    pk: string,
    before: number | null,
    wanted: number,
    filters: readonly string[],
    names: Record<string, string>,
    values: Record<string, unknown>,
  ): Promise<number[]> {
    const spec = TABLE.indexes.find((i) => i.name === index);
    if (!spec) throw new Error(`no index ${index}`);
    const numbers: number[] = [];
    let start: Item | undefined;
    do {
      const input: QueryCommandInput = {
        TableName: this.tableName,
        IndexName: index,
        KeyConditionExpression: `${spec.partitionKey} = :pk${before === null ? '' : ` AND ${spec.sortKey} < :before`}`,
        ExpressionAttributeValues: {
          ':pk': pk,
          ...(before === null ? {} : { ':before': keys.taskOrder(`TMS-${before}`) }),
          ...values,
        },
        ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
        ...(filters.length > 0 ? { FilterExpression: filters.join(' AND ') } : {}),
        ScanIndexForward: false,
        Limit: wanted - numbers.length + (filters.length > 0 ? 25 : 0),
        ExclusiveStartKey: start,
      };
      const page = await this.send(() => this.db.send(new QueryCommand(input)));
      for (const item of page.Items ?? [])
        if (numbers.length < wanted) numbers.push(Number(item[spec.sortKey]));
      start = page.LastEvaluatedKey;
    } while (start && numbers.length < wanted);
    return numbers;
  }

  private conditional(write: () => Promise<unknown>): Promise<boolean> {
    return conditional(write);
  }

  private send<T>(request: () => Promise<T>): Promise<T> {
    return send(request);
  }
}

/** Whether a task is one the query asks for (what its index and filters select). */
const matches = (task: Task, query: TaskQuery): boolean =>
  (!query.statuses || query.statuses.includes(task.status)) &&
  (!query.service || task.service === query.service) &&
  (!query.assignee || task.assignee === query.assignee);

/** Remembers the item read of a task, among the last 256. */
function remembered(read: Map<string, Item>, id: string, item: Item): void {
  read.delete(id);
  read.set(id, item);
  if (read.size > 256) read.delete(read.keys().next().value as string);
}

/** Where `n` goes in the ascending `numbers`. */
const sortedIndex = (numbers: readonly number[], n: number): number => {
  const at = numbers.findIndex((m) => m > n);
  return at === -1 ? numbers.length : at;
};

/** Remembers `n` among the last 64 numbers handed out. */
function lend(lent: Set<number>, n: number): number {
  lent.add(n);
  if (lent.size > 64) lent.delete(lent.values().next().value as number);
  return n;
}

/** One change held in a task item: its entries, and the occurrences it counted (0 or 1). */
interface HeldChange {
  readonly e: TimelineEntry[];
  readonly n: number;
}

const heldChanges = (item: Item): HeldChange[] => (item.recent as HeldChange[] | undefined) ?? [];

/** The version of the first change an item holds: `recentFrom`, or counted back from its version. */
const firstHeld = (item: Item): number =>
  item.recentFrom !== undefined
    ? Number(item.recentFrom)
    : Number(item.version) - heldChanges(item).length + 1;

/**
 * The changes a task item holds, oldest first, with their versions, entries resolved. An occurrence's entry is
 * written before its version and count are known (version 0): they are the item's, counted back from its latest
 * change (one version per change held, and each change's own count of occurrences).
 */
function resolvedChanges(item: Item): { version: number; entries: TimelineEntry[] }[] {
  const changes = heldChanges(item);
  const from = firstHeld(item);
  let occurrences = Number(item.occurrences);
  const resolved: { version: number; entries: TimelineEntry[] }[] = [];
  for (let i = changes.length - 1; i >= 0; i--) {
    const change = changes[i] as HeldChange;
    const version = from + i;
    // Occurrences counted together in one change are numbered in order: the last has the change's count.
    const pending = change.e.filter((entry) => entry.version === 0);
    resolved[i] = {
      version,
      entries: change.e.map((entry) => {
        if (entry.version !== 0) return entry;
        const seq = pending.indexOf(entry);
        const stamped = { ...entry, version, seq };
        return entry.type === 'occurred'
          ? { ...stamped, occurrences: occurrences - (pending.length - 1 - seq) }
          : stamped;
      }),
    };
    occurrences -= Number(change.n);
  }
  return resolved;
}

/** The entries a task item holds, oldest first. */
function heldEntries(item: Item | undefined): TimelineEntry[] {
  if (!item) return [];
  return [...legacyEntries(item), ...resolvedChanges(item).flatMap((change) => change.entries)];
}

/** What a task item holds, oldest first, as its history's reader sees versions: entries, or an empty change. */
function heldMarks(item: Item): { version: number; entry?: TimelineEntry }[] {
  return [
    ...legacyEntries(item).map((entry) => ({ version: entry.version, entry })),
    ...resolvedChanges(item).flatMap((change) =>
      change.entries.length === 0
        ? [{ version: change.version }]
        : change.entries.map((entry) => ({ version: entry.version, entry })),
    ),
  ];
}

/**
 * The entries of an item written before task items held several changes (`lastEntries`, its latest change's):
 * the first change since copies them to the timeline.
 */
function legacyEntries(item: Item | undefined): TimelineEntry[] {
  const entries = (item?.lastEntries as TimelineEntry[] | undefined) ?? [];
  return entries.map((entry) =>
    entry.version === 0 && entry.type === 'occurred'
      ? { ...entry, version: Number(item?.version), occurrences: Number(item?.occurrences) }
      : entry,
  );
}

export function toTask(item: Item): Task {
  return pick(item, TASK_FIELDS) as unknown as Task;
}
