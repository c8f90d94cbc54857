import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  type DynamoDBClientConfig,
} from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { TransientError } from '../../core/errors.js';
import {
  type FingerprintRecord,
  type RawEvent,
  rawOrder,
  type SaveOutcome,
  type TaskPage,
  type TaskQuery,
  type TaskStore,
} from '../../core/ports.js';
import { Task, taskNumber } from '../../core/task.js';
import type { TimelineEntry } from '../../core/timeline.js';
import { conditional, pick, send } from './calls.js';
import { type IndexName, keys, TABLE } from './table.js';

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
] as const;
const FP_FIELDS = [
  'fingerprint',
  'openTaskId',
  'claim',
  'claimedAt',
  'lastTaskId',
  'lastResolvedAt',
] as const;

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
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string = TABLE.defaultName,
  ) {}

  async nextTaskNumber(): Promise<number> {
    const { Attributes } = await this.send(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.counter,
          UpdateExpression: 'ADD #value :one',
          ExpressionAttributeNames: { '#value': 'value' },
          ExpressionAttributeValues: { ':one': 1 },
          ReturnValues: 'UPDATED_NEW',
        }),
      ),
    );
    return Number(Attributes?.value);
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
    if (!written) return 'exists';
    await this.putEntries(entries);
    return 'created';
  }

  async get(id: string): Promise<Task | undefined> {
    const { Item } = await this.send(() =>
      this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.task(id), ConsistentRead: true })),
    );
    return Item ? toTask(Item) : undefined;
  }

  async save(task: Task, entries: readonly TimelineEntry[], expectedVersion: number): Promise<SaveOutcome> {
    try {
      const { Attributes } = await this.send(() =>
        this.db.send(
          new PutCommand({
            TableName: this.tableName,
            Item: this.taskItem(task, entries),
            ConditionExpression: 'version = :expected',
            ExpressionAttributeValues: { ':expected': expectedVersion },
            ReturnValues: 'ALL_OLD',
          }),
        ),
      );
      // The previous change's entries are written again (idempotent keys): should that earlier write have
      // failed after its task was saved, its history is still complete.
      const previous = (Attributes?.lastEntries as TimelineEntry[] | undefined) ?? [];
      await this.putEntries([...previous, ...entries]);
      return 'saved';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'conflict';
      throw error;
    }
  }

  async recordOccurrence(
    id: string,
    at: string,
    now: string,
    occurrenceKey?: string,
  ): Promise<Task | 'repeat' | undefined> {
    const keyed = occurrenceKey !== undefined;
    const count = (set: string) =>
      `SET ${set}${keyed ? ', occurrenceKey = :key' : ''} ADD occurrences :one, version :one`;
    const open = `attribute_exists(pk) AND #status <> :resolved${
      keyed ? ' AND (attribute_not_exists(occurrenceKey) OR occurrenceKey <> :key)' : ''
    }`;
    const key: Record<string, string> = occurrenceKey !== undefined ? { ':key': occurrenceKey } : {};
    // Usually the newest occurrence: count it and move last seen. Else it is not open, the same occurrence,
    // or older than the last one seen (deliveries arrive out of order): then count it and keep last seen.
    const counted =
      (await this.countOccurrence(
        id,
        count('updatedAt = :now, lastSeenAt = :at'),
        `${open} AND lastSeenAt <= :at`,
        {
          ':at': at,
          ':now': now,
          ...key,
        },
      )) ?? (await this.countOccurrence(id, count('updatedAt = :now'), open, { ':now': now, ...key }));
    if (counted || !keyed) return counted;
    // Not counted: tell a repeat of the latest occurrence from a task that is not open.
    const task = await this.get(id);
    return task && task.status !== 'resolved' && task.occurrenceKey === occurrenceKey ? 'repeat' : undefined;
  }

  private async countOccurrence(
    id: string,
    update: string,
    condition: string,
    values: Record<string, string>,
  ): Promise<Task | undefined> {
    try {
      const { Attributes } = await this.send(() =>
        this.db.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.task(id),
            UpdateExpression: update,
            ConditionExpression: condition,
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ...values, ':one': 1, ':resolved': 'resolved' },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      return Attributes ? toTask(Attributes) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  appendTimeline(entries: readonly TimelineEntry[]): Promise<void> {
    return this.putEntries(entries);
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
    // exactly the global newest, and the extra one tells whether another page exists.
    const pages = await Promise.all(
      partitions.map((p) =>
        this.queryTasks(p.index, p.pk, query.before ?? null, limit + 1, filters, names, values),
      ),
    );
    const merged = pages.flat().sort((a, b) => taskNumber(b.id) - taskNumber(a.id));
    const tasks = merged.slice(0, limit);
    const last = tasks.at(-1);
    return { tasks, next: merged.length > limit && last ? taskNumber(last.id) : null };
  }

  async timeline(id: string, afterVersion = 0): Promise<TimelineEntry[]> {
    const { pk } = keys.task(id);
    // The task item (sk `TASK`) sorts after every `EVENT#` key, so it is always read with them.
    const from = keys.timelineEntry(id, afterVersion, 999).sk;
    const entries = new Map<string, TimelineEntry>();
    let start: Item | undefined;
    do {
      const page = await this.send(() =>
        this.db.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk AND sk > :from',
            ExpressionAttributeValues: { ':pk': pk, ':from': from },
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        ),
      );
      for (const item of page.Items ?? []) {
        // The task item's own copy of its latest entries covers a timeline write that did not happen.
        const found =
          item.sk === 'TASK'
            ? ((item.lastEntries as TimelineEntry[] | undefined) ?? [])
            : [item.entry as TimelineEntry];
        for (const entry of found) {
          if (entry.version > afterVersion)
            entries.set(keys.timelineEntry(id, entry.version, entry.seq).sk, entry);
        }
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return [...entries.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, entry]) => entry);
  }

  async fingerprint(fingerprint: string): Promise<FingerprintRecord | undefined> {
    const { Item } = await this.send(() =>
      this.db.send(
        new GetCommand({
          TableName: this.tableName,
          Key: keys.fingerprint(fingerprint),
          ConsistentRead: true,
        }),
      ),
    );
    return Item ? (pick(Item, FP_FIELDS) as unknown as FingerprintRecord) : undefined;
  }

  async claimFingerprint(
    fingerprint: string,
    token: string,
    at: string,
    staleBefore: string,
  ): Promise<FingerprintRecord | undefined> {
    try {
      const { Attributes } = await this.send(() =>
        this.db.send(
          new UpdateCommand({
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
          }),
        ),
      );
      return Attributes ? (pick(Attributes, FP_FIELDS) as unknown as FingerprintRecord) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
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

  async archiveRaw(event: RawEvent): Promise<'archived' | 'duplicate'> {
    const item: Item = {
      ...keys.raw(event.source, event.deliveryId),
      type: 'raw',
      ...event,
      [TABLE.ttlAttribute]: Math.floor(Date.parse(event.expiresAt) / 1000),
    };
    if (!event.processedAt) {
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
    return Item ? (pick(Item, RAW_FIELDS) as unknown as RawEvent) : undefined;
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
          UpdateExpression: 'SET processedAt = :at, taskIds = :ids REMOVE gsi1pk, gsi1sk',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':at': at, ':ids': [...taskIds] },
        }),
      ),
    );
  }

  async unprocessedRaw(before: string, limit: number, after?: string): Promise<RawEvent[]> {
    // Each shard in order, then merged: the oldest `limit` of all shards are among each shard's oldest `limit`.
    const shards = await Promise.all(
      Array.from({ length: keys.rawPendingShards }, async (_, shard) => {
        const { Items } = await this.send(() =>
          this.db.send(
            new QueryCommand({
              TableName: this.tableName,
              IndexName: 'gsi1',
              KeyConditionExpression:
                after === undefined
                  ? 'gsi1pk = :pk AND gsi1sk < :before'
                  : 'gsi1pk = :pk AND gsi1sk BETWEEN :after AND :before',
              ExpressionAttributeValues: {
                ':pk': keys.rawPendingShard(shard),
                ':before': before,
                ...(after === undefined ? {} : { ':after': after }),
              },
              Limit: limit + (after === undefined ? 0 : 1),
            }),
          ),
        );
        return (Items ?? []).map((item) => pick(item, RAW_FIELDS) as unknown as RawEvent);
      }),
    );
    return shards
      .flat()
      .filter((event) => after === undefined || rawOrder(event) > after)
      .sort((a, b) => (rawOrder(a) < rawOrder(b) ? -1 : 1))
      .slice(0, limit);
  }

  private taskItem(task: Task, entries: readonly TimelineEntry[]): Item {
    const order = keys.taskOrder(task.id);
    return {
      ...keys.task(task.id),
      type: 'task',
      ...task,
      gsi1pk: keys.byStatus(task.status),
      gsi1sk: order,
      gsi2pk: keys.byService(task.service),
      gsi2sk: order,
      ...(task.assignee ? { gsi3pk: keys.byAssignee(task.assignee), gsi3sk: order } : {}),
      lastEntries: entries,
    };
  }

  private async putEntries(entries: readonly TimelineEntry[]): Promise<void> {
    const unique = new Map(entries.map((e) => [`${e.version}#${e.seq}`, e]));
    const requests: BatchWriteRequest[] = [...unique.values()].map((entry) => ({
      PutRequest: {
        Item: { ...keys.timelineEntry(entry.taskId, entry.version, entry.seq), type: 'timeline', entry },
      },
    }));
    for (let i = 0; i < requests.length; i += 25) {
      let pending: BatchWriteRequest[] | undefined = requests.slice(i, i + 25);
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        if (attempt === 5)
          throw new TransientError('The timeline could not be written: DynamoDB kept it unprocessed');
        const batch: BatchWriteRequest[] = pending;
        const { UnprocessedItems } = await this.send(() =>
          this.db.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: batch } })),
        );
        pending = UnprocessedItems?.[this.tableName];
        if (pending?.length) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
      }
    }
  }

  private async queryTasks(
    index: IndexName,
    pk: string,
    before: number | null,
    wanted: number,
    filters: readonly string[],
    names: Record<string, string>,
    values: Record<string, unknown>,
  ): Promise<Task[]> {
    const spec = TABLE.indexes.find((i) => i.name === index);
    if (!spec) throw new Error(`no index ${index}`);
    const tasks: Task[] = [];
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
        Limit: wanted - tasks.length + (filters.length > 0 ? 25 : 0),
        ExclusiveStartKey: start,
      };
      const page = await this.send(() => this.db.send(new QueryCommand(input)));
      for (const item of page.Items ?? []) if (tasks.length < wanted) tasks.push(toTask(item));
      start = page.LastEvaluatedKey;
    } while (start && tasks.length < wanted);
    return tasks;
  }

  private conditional(write: () => Promise<unknown>): Promise<boolean> {
    return conditional(write);
  }

  private send<T>(request: () => Promise<T>): Promise<T> {
    return send(request);
  }
}

export function toTask(item: Item): Task {
  return pick(item, TASK_FIELDS) as unknown as Task;
}
