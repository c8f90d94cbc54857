import type { TaskGroup } from '../../src/core/group.js';
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
} from '../../src/core/ports.js';
import { rawOrder } from '../../src/core/ports.js';
import { type Task, taskNumber } from '../../src/core/task.js';
import type { TimelineEntry } from '../../src/core/timeline.js';

/** The changes a DynamoDB task item holds at least (HELD_CHANGES in src/adapters/dynamo/task-store.ts). */
const HELD_VERSIONS = 6;

const copy = <T>(value: T): T => structuredClone(value);

/**
 * The TaskStore in memory, for unit and property tests. It keeps the same promises as the DynamoDB
 * adapter (the shared contract suite runs over both), and `hooks` lets a test act between two steps.
 */
export class MemoryTaskStore implements TaskStore {
  readonly tasks = new Map<string, Task>();
  readonly entries = new Map<string, TimelineEntry[]>();
  readonly fingerprints = new Map<string, FingerprintRecord>();
  readonly raw = new Map<string, RawEvent>();
  readonly alertGroups = new Map<string, AlertGroupRecord>();
  #counter = 0;
  /** Numbers whose `openFingerprint` was refused: handed out again, as the DynamoDB adapter does. */
  readonly #unused: number[] = [];
  readonly #lent = new Set<number>();
  /** Who holds each raw event's lease (the DynamoDB adapter keeps it on the item). */
  private readonly leases = new Map<string, string>();
  /** Called before each write; a test may throw from it to simulate a crash at that step. */
  beforeWrite: (operation: string) => void = () => {};

  /** The last number handed out (0 before the first): what the DynamoDB adapter's counter item holds. */
  get lastTaskNumber(): number {
    return this.#counter;
  }

  async nextTaskNumber(): Promise<number> {
    const unused = this.#unused.shift();
    if (unused !== undefined) {
      this.#lent.add(unused);
      return unused;
    }
    this.beforeWrite('nextTaskNumber');
    this.#lent.add(++this.#counter);
    return this.#counter;
  }

  async create(task: Task, entries: readonly TimelineEntry[]): Promise<'created' | 'exists'> {
    this.beforeWrite('create');
    if (this.tasks.has(task.id)) return 'exists';
    this.tasks.set(task.id, copy(task));
    this.entries.set(task.id, copy([...entries]));
    return 'created';
  }

  async get(id: string): Promise<Task | undefined> {
    const task = this.tasks.get(id);
    return task && copy(task);
  }

  async save(task: Task, entries: readonly TimelineEntry[], expectedVersion: number): Promise<SaveOutcome> {
    this.beforeWrite('save');
    if (this.tasks.get(task.id)?.version !== expectedVersion) return 'conflict';
    this.tasks.set(task.id, copy(task));
    this.entries.set(task.id, [...(this.entries.get(task.id) ?? []), ...copy([...entries])]);
    return 'saved';
  }

  /** Who deleted which task: what the DynamoDB adapter leaves on the item's REMOVE record. */
  readonly deletions = new Map<string, TaskDeletion>();

  async deleteTask(id: string, expectedVersion: number, deletion: TaskDeletion): Promise<SaveOutcome> {
    this.beforeWrite('deleteTask');
    if (this.tasks.get(id)?.version !== expectedVersion) return 'conflict';
    this.tasks.delete(id);
    this.deletions.set(id, copy(deletion));
    return 'saved';
  }

  async deletion(id: string): Promise<TaskDeletion | undefined> {
    const found = this.deletions.get(id);
    return found ? copy(found) : undefined;
  }

  async dropHistory(id: string): Promise<void> {
    this.beforeWrite('dropHistory');
    if (!this.tasks.has(id)) this.entries.delete(id);
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
    this.beforeWrite('recordOccurrence');
    const task = this.tasks.get(id);
    if (!task || task.status === 'resolved') return undefined;
    if (
      unread &&
      (task.fingerprint !== unread.fingerprint ||
        task.unreportedSince ||
        task.resolveDueAt !== unread.resolveDueAt)
    )
      return undefined;
    if (occurrenceKey !== undefined && task.occurrenceKey === occurrenceKey) return 'repeat';
    if (
      also.firstSeen &&
      (task.firstSeenAt !== also.firstSeen.was ||
        task.ackDueAt !== also.firstSeen.dueWas.ackDueAt ||
        task.resolveDueAt !== also.firstSeen.dueWas.resolveDueAt)
    )
      return undefined;
    const entries: readonly OccurrenceEntry[] = entry === undefined ? [] : 'type' in entry ? [entry] : entry;
    // As the DynamoDB item holds its latest changes' deliveries: a copy of a delivery among them is a repeat.
    const held = (this.entries.get(id) ?? []).filter((e) => e.version > task.version - HELD_VERSIONS);
    if (entries.some((e) => e.delivery && held.some((h) => 'delivery' in h && h.delivery === e.delivery)))
      return 'repeat';
    const counted = Math.max(1, entries.length);
    const next: Task = {
      ...task,
      ...(occurrenceKey !== undefined ? { occurrenceKey } : {}),
      occurrences: task.occurrences + counted,
      version: task.version + 1,
      updatedAt: now,
      lastSeenAt: task.lastSeenAt <= at ? at : task.lastSeenAt,
      ...(typeof also.reportedAt === 'string' ? { reportedAt: also.reportedAt } : {}),
      ...(also.group !== undefined ? { group: also.group } : {}),
      ...(also.firstSeen
        ? {
            firstSeenAt: also.firstSeen.at,
            ackDueAt: also.firstSeen.ackDueAt,
            resolveDueAt: also.firstSeen.resolveDueAt,
          }
        : {}),
    };
    if (also.reportedAt === null) delete next.reportedAt;
    this.tasks.set(id, next);
    const stamped = entries.map((e, seq) => ({
      ...e,
      version: next.version,
      seq,
      occurrences: next.occurrences - (entries.length - 1 - seq),
    }));
    this.entries.set(id, [...(this.entries.get(id) ?? []), ...copy(stamped)]);
    return copy(next);
  }

  async updateGroup(
    id: string,
    group: TaskGroup,
    now: string,
    occurrenceKey?: string,
  ): Promise<Task | undefined> {
    this.beforeWrite('updateGroup');
    const task = this.tasks.get(id);
    if (!task || task.status === 'resolved') return undefined;
    if (task.group && task.group.notifiedAt > group.notifiedAt) return undefined;
    const next: Task = {
      ...task,
      group,
      ...(occurrenceKey !== undefined ? { occurrenceKey } : {}),
      version: task.version + 1,
      updatedAt: now,
    };
    this.tasks.set(id, next);
    return copy(next);
  }

  async list(query: TaskQuery): Promise<TaskPage> {
    const matching = [...this.tasks.values()]
      .filter(
        (t) =>
          (!query.statuses || query.statuses.includes(t.status)) &&
          (!query.service || t.service === query.service) &&
          (!query.assignee || t.assignee === query.assignee) &&
          (query.before == null || taskNumber(t.id) < query.before),
      )
      .sort((a, b) => taskNumber(b.id) - taskNumber(a.id));
    const tasks = matching.slice(0, query.limit).map(copy);
    const last = tasks.at(-1);
    return { tasks, next: matching.length > query.limit && last ? taskNumber(last.id) : null };
  }

  async timeline(id: string, afterVersion = 0): Promise<TimelineEntry[]> {
    return copy((this.entries.get(id) ?? []).filter((e) => e.version > afterVersion));
  }

  async hasDelivery(id: string, delivery: string, since: string): Promise<boolean> {
    return (this.entries.get(id) ?? []).some((e) => e.delivery === delivery && e.at >= since);
  }

  async fingerprint(fingerprint: string): Promise<FingerprintRecord | undefined> {
    const record = this.fingerprints.get(fingerprint);
    return record && copy(record);
  }

  async claimFingerprint(
    fingerprint: string,
    token: string,
    at: string,
    staleBefore: string,
  ): Promise<FingerprintRecord | undefined> {
    this.beforeWrite('claimFingerprint');
    const record = this.fingerprints.get(fingerprint);
    if (record?.openTaskId) return undefined;
    if (record?.claim && record.claimedAt && !(record.claimedAt < staleBefore)) return undefined;
    const claimed = { ...record, fingerprint, claim: token, claimedAt: at };
    this.fingerprints.set(fingerprint, claimed);
    return copy(claimed);
  }

  async openFingerprint(
    fingerprint: string,
    taskId: string,
    staleBefore: string,
  ): Promise<{ readonly bound: true } | { readonly bound: false; readonly record?: FingerprintRecord }> {
    this.beforeWrite('openFingerprint');
    const lent = this.#lent.delete(taskNumber(taskId));
    const record = this.fingerprints.get(fingerprint);
    const held = record?.claim && record.claimedAt && !(record.claimedAt < staleBefore);
    if (!record?.openTaskId && !record?.lastTaskId && !held) {
      const { claim: _claim, claimedAt: _at, ...rest } = record ?? {};
      this.fingerprints.set(fingerprint, { ...rest, fingerprint, openTaskId: taskId });
      return { bound: true };
    }
    if (lent) {
      this.#unused.push(taskNumber(taskId));
      this.#unused.sort((a, b) => a - b);
    }
    return { bound: false, record: copy(record) };
  }

  async bindFingerprint(fingerprint: string, token: string, taskId: string): Promise<boolean> {
    this.beforeWrite('bindFingerprint');
    const record = this.fingerprints.get(fingerprint);
    if (record?.claim !== token) return false;
    const { claim: _claim, claimedAt: _at, ...rest } = record;
    this.fingerprints.set(fingerprint, { ...rest, openTaskId: taskId });
    return true;
  }

  async dropClaim(fingerprint: string, token: string): Promise<void> {
    this.beforeWrite('dropClaim');
    const record = this.fingerprints.get(fingerprint);
    if (record?.claim !== token) return;
    const { claim: _claim, claimedAt: _at, ...rest } = record;
    this.fingerprints.set(fingerprint, rest);
  }

  async releaseFingerprint(fingerprint: string, taskId: string, resolvedAt: string): Promise<void> {
    this.beforeWrite('releaseFingerprint');
    const record = this.fingerprints.get(fingerprint);
    if (record?.openTaskId !== taskId) return;
    const { openTaskId: _open, ...rest } = record;
    this.fingerprints.set(fingerprint, { ...rest, lastTaskId: taskId, lastResolvedAt: resolvedAt });
  }

  async forgetTask(fingerprint: string, taskId: string): Promise<void> {
    this.beforeWrite('forgetTask');
    const record = this.fingerprints.get(fingerprint);
    if (!record) return;
    const { openTaskId, lastTaskId, lastResolvedAt, ...rest } = record;
    this.fingerprints.set(fingerprint, {
      ...rest,
      ...(openTaskId !== undefined && openTaskId !== taskId ? { openTaskId } : {}),
      ...(lastTaskId !== undefined && lastTaskId !== taskId
        ? { lastTaskId, ...(lastResolvedAt !== undefined ? { lastResolvedAt } : {}) }
        : {}),
    });
  }

  async alertGroup(key: string): Promise<AlertGroupRecord | undefined> {
    const group = this.alertGroups.get(key);
    return group && copy(group);
  }

  async saveAlertGroup(record: AlertGroupRecord): Promise<SaveOutcome> {
    this.beforeWrite('saveAlertGroup');
    if ((this.alertGroups.get(record.key)?.version ?? 0) !== record.version - 1) return 'conflict';
    this.alertGroups.set(record.key, copy(record));
    return 'saved';
  }

  async unreportedAlertGroups(before: string, limit: number): Promise<string[]> {
    return [...this.alertGroups.values()]
      .flatMap((group) => {
        const oldest = Object.values(group.unreported).sort()[0];
        return oldest && oldest < before ? [{ key: group.key, order: `${oldest}#${group.key}` }] : [];
      })
      .sort((a, b) => (a.order < b.order ? -1 : 1))
      .slice(0, limit)
      .map((group) => group.key);
  }

  async archiveRaw(event: RawEvent): Promise<'archived' | 'duplicate'> {
    this.beforeWrite('archiveRaw');
    const key = `${event.source}#${event.deliveryId}`;
    if (this.raw.has(key)) return 'duplicate';
    this.raw.set(key, copy(event));
    return 'archived';
  }

  async getRaw(source: string, deliveryId: string): Promise<RawEvent | undefined> {
    const event = this.raw.get(`${source}#${deliveryId}`);
    return event && copy(event);
  }

  async markRawProcessed(
    source: string,
    deliveryId: string,
    at: string,
    taskIds: readonly string[],
  ): Promise<void> {
    this.beforeWrite('markRawProcessed');
    const key = `${source}#${deliveryId}`;
    const event = this.raw.get(key);
    if (!event) return;
    const { leaseUntil: _lease, deadAt: _dead, ...rest } = event;
    this.raw.set(key, { ...rest, processedAt: at, taskIds: [...taskIds] });
  }

  async unprocessedRaw(before: string, limit: number, after?: string): Promise<RawRef[]> {
    return this.listRaw((e) => !e.processedAt && !e.deadAt && rawOrder(e) < before, limit, after);
  }

  async claimRaw(
    source: string,
    deliveryId: string,
    token: string,
    now: string,
    until: string,
  ): Promise<RawEvent | undefined> {
    this.beforeWrite('claimRaw');
    const key = `${source}#${deliveryId}`;
    const event = this.raw.get(key);
    if (!event || event.processedAt || event.deadAt || (event.leaseUntil && !(event.leaseUntil < now)))
      return undefined;
    const claimed = { ...event, attempts: (event.attempts ?? 0) + 1, leaseUntil: until };
    this.leases.set(key, token);
    this.raw.set(key, claimed);
    return copy(claimed);
  }

  async failRaw(
    source: string,
    deliveryId: string,
    token: string,
    error: string,
    deadAt?: string,
  ): Promise<boolean> {
    this.beforeWrite('failRaw');
    const key = `${source}#${deliveryId}`;
    const event = this.raw.get(key);
    if (!event || this.leases.get(key) !== token || event.processedAt) return false;
    const { leaseUntil: _lease, ...rest } = event;
    this.leases.delete(key);
    this.raw.set(key, { ...rest, lastError: error, ...(deadAt ? { deadAt } : {}) });
    return true;
  }

  async deadRaw(limit: number, after?: string): Promise<RawRef[]> {
    return this.listRaw((e) => !e.processedAt && Boolean(e.deadAt), limit, after);
  }

  async reviveRaw(source: string, deliveryId: string): Promise<boolean> {
    this.beforeWrite('reviveRaw');
    const key = `${source}#${deliveryId}`;
    const event = this.raw.get(key);
    if (!event?.deadAt || event.processedAt) return false;
    const { deadAt: _dead, leaseUntil: _lease, ...rest } = event;
    this.raw.set(key, { ...rest, attempts: 0 });
    return true;
  }

  /** The sets the DynamoDB adapter keeps on a raw item for `queuedChunk`. */
  private readonly queued = new Map<string, { chunks: Set<number>; touched: Set<string> }>();

  async queuedChunk(
    source: string,
    deliveryId: string,
    chunk: QueuedChunk,
  ): Promise<QueuedProgress | undefined> {
    this.beforeWrite('queuedChunk');
    const key = `${source}#${deliveryId}`;
    const event = this.raw.get(key);
    if (!event || event.processedAt) return undefined;
    if ('error' in chunk) {
      this.raw.set(key, { ...event, lastError: chunk.error });
      return { chunks: [], touched: [] };
    }
    const sets = this.queued.get(key) ?? { chunks: new Set<number>(), touched: new Set<string>() };
    sets.chunks.add(chunk.chunk);
    for (const t of chunk.touched) sets.touched.add(t);
    this.queued.set(key, sets);
    return { chunks: [...sets.chunks], touched: [...sets.touched] };
  }

  private listRaw(keep: (event: RawEvent) => boolean, limit: number, after?: string): RawRef[] {
    return [...this.raw.values()]
      .filter((e) => keep(e) && (after === undefined || rawOrder(e) > after))
      .sort((a, b) => (rawOrder(a) < rawOrder(b) ? -1 : 1))
      .slice(0, limit)
      .map(({ source, deliveryId, receivedAt, attempts, deadAt }) => ({
        source,
        deliveryId,
        receivedAt,
        ...(attempts !== undefined ? { attempts } : {}),
        ...(deadAt ? { deadAt } : {}),
      }));
  }
}
