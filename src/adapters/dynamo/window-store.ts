import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Alert } from '../../core/alert.js';
import { heldAlertOf, type MaintenanceWindow } from '../../core/maintenance.js';
import type { HeldAlert, MaintenanceStore } from '../../core/ports.js';
import { conditional, pick, queryAll, send } from './calls.js';
import { keys, TABLE } from './table.js';

const WINDOW_FIELDS = [
  'id',
  'matchers',
  'from',
  'to',
  'every',
  'timezone',
  'reason',
  'origin',
  'createdBy',
  'createdAt',
  'liftedAt',
  'liftedBy',
  'held',
  'lastHeldAt',
  'releasedThrough',
] as const;
const HELD_FIELDS = [
  'windowId',
  'occurrenceStart',
  'occurrenceEnd',
  'fingerprint',
  'alert',
  'firing',
  'count',
  'firstHeldAt',
  'lastHeldAt',
  'releasedAt',
  'taskId',
] as const;

/** A window, and what it held, are kept this long after they last mattered: for "what was held last night". */
const KEEP_MS = 30 * 86_400_000;
const ttlAfter = (iso: string) => Math.floor((Date.parse(iso) + KEEP_MS) / 1000);

const toWindow = (item: Record<string, unknown>) => pick(item, WINDOW_FIELDS) as unknown as MaintenanceWindow;
const toHeld = (item: Record<string, unknown>) => pick(item, HELD_FIELDS) as unknown as HeldAlert;

/** Maintenance windows in the task table: one partition, listed by one query; held alerts per occurrence. */
export class DynamoWindowStore implements MaintenanceStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string = TABLE.defaultName,
  ) {}

  createWindow(window: MaintenanceWindow): Promise<boolean> {
    return conditional(() =>
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.window(window.id),
            type: 'window',
            ...window,
            // A one-off is forgotten a while after it ended; a recurring one lasts until it is lifted.
            ...(window.every ? {} : { [TABLE.ttlAttribute]: ttlAfter(window.to) }),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  async listWindows(): Promise<MaintenanceWindow[]> {
    const items = await queryAll(this.db, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.windowsPartition },
    });
    return items.map(toWindow);
  }

  async getWindow(id: string): Promise<MaintenanceWindow | undefined> {
    const { Item } = await send(() =>
      this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.window(id), ConsistentRead: true })),
    );
    return Item ? toWindow(Item) : undefined;
  }

  liftWindow(id: string, by: string, at: string): Promise<boolean> {
    return conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.window(id),
          UpdateExpression: 'SET liftedAt = :at, liftedBy = :by, #ttl = :ttl',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(liftedAt)',
          ExpressionAttributeNames: { '#ttl': TABLE.ttlAttribute },
          ExpressionAttributeValues: { ':at': at, ':by': by, ':ttl': ttlAfter(at) },
        }),
      ),
    );
  }

  async countHeld(id: string, at: string): Promise<void> {
    await conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.window(id),
          UpdateExpression: 'ADD held :one SET lastHeldAt = :at',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':one': 1, ':at': at },
        }),
      ),
    );
  }

  async markReleasedThrough(id: string, end: string): Promise<void> {
    await conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.window(id),
          UpdateExpression: 'SET releasedThrough = :end',
          ConditionExpression:
            'attribute_exists(pk) AND (attribute_not_exists(releasedThrough) OR releasedThrough < :end)',
          ExpressionAttributeValues: { ':end': end },
        }),
      ),
    );
  }

  async hold(held: {
    readonly windowId: string;
    readonly occurrenceStart: string;
    readonly occurrenceEnd: string;
    readonly alert: Alert;
    readonly at: string;
  }): Promise<void> {
    // One write, made or counted: two deliveries at once both count, and neither loses the other.
    await send(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.heldAlert(held.windowId, held.occurrenceStart, held.alert.fingerprint),
          UpdateExpression:
            'SET #type = :type, windowId = :window, occurrenceStart = :start, occurrenceEnd = :end, ' +
            'fingerprint = :fp, alert = :alert, firing = :true, lastHeldAt = :at, ' +
            'firstHeldAt = if_not_exists(firstHeldAt, :at), #ttl = :ttl ADD #count :one',
          ExpressionAttributeNames: { '#type': 'type', '#ttl': TABLE.ttlAttribute, '#count': 'count' },
          ExpressionAttributeValues: {
            ':type': 'held-alert',
            ':window': held.windowId,
            ':start': held.occurrenceStart,
            ':end': held.occurrenceEnd,
            ':fp': held.alert.fingerprint,
            ':alert': heldAlertOf(held.alert),
            ':true': true,
            ':at': held.at,
            ':ttl': ttlAfter(held.occurrenceEnd),
            ':one': 1,
          },
        }),
      ),
    );
  }

  markNotFiring(windowId: string, start: string, fingerprint: string, at: string): Promise<boolean> {
    return conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.heldAlert(windowId, start, fingerprint),
          UpdateExpression: 'SET firing = :false, lastHeldAt = :at',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(releasedAt)',
          ExpressionAttributeValues: { ':false': false, ':at': at },
        }),
      ),
    );
  }

  async heldAlerts(windowId: string, start: string): Promise<HeldAlert[]> {
    const items = await queryAll(this.db, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :start)',
      ExpressionAttributeValues: {
        ':pk': keys.heldOfWindow(windowId),
        ':start': keys.heldOfOccurrence(start),
      },
      ConsistentRead: true,
    });
    return items.map(toHeld).sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : 1));
  }

  markReleased(
    windowId: string,
    start: string,
    fingerprint: string,
    at: string,
    taskId?: string,
  ): Promise<boolean> {
    return conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.heldAlert(windowId, start, fingerprint),
          UpdateExpression: `SET releasedAt = :at${taskId ? ', taskId = :task' : ''}`,
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(releasedAt)',
          ExpressionAttributeValues: { ':at': at, ...(taskId ? { ':task': taskId } : {}) },
        }),
      ),
    );
  }
}

/**
 * The windows, read at most every few seconds per container: a storm of alerts costs one query per interval,
 * not one per alert. A window made or lifted in this container applies at once; elsewhere within `ttlMs`.
 */
export class CachedWindows implements MaintenanceStore {
  #cached: { at: number; windows: Promise<MaintenanceWindow[]> } | undefined;
  constructor(
    private readonly store: MaintenanceStore,
    private readonly ttlMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {}

  listWindows(): Promise<MaintenanceWindow[]> {
    if (!this.#cached || this.now() - this.#cached.at >= this.ttlMs) {
      const windows = this.store.listWindows();
      this.#cached = { at: this.now(), windows };
      // A failed read is not remembered: the next alert asks again.
      windows.catch(() => {
        if (this.#cached?.windows === windows) this.#cached = undefined;
      });
    }
    return this.#cached.windows;
  }

  async createWindow(window: MaintenanceWindow): Promise<boolean> {
    const made = await this.store.createWindow(window);
    this.#cached = undefined;
    return made;
  }

  getWindow(id: string): Promise<MaintenanceWindow | undefined> {
    return this.store.getWindow(id);
  }

  async liftWindow(id: string, by: string, at: string): Promise<boolean> {
    const lifted = await this.store.liftWindow(id, by, at);
    this.#cached = undefined;
    return lifted;
  }

  countHeld(id: string, at: string): Promise<void> {
    return this.store.countHeld(id, at);
  }

  async markReleasedThrough(id: string, end: string): Promise<void> {
    await this.store.markReleasedThrough(id, end);
    this.#cached = undefined;
  }

  hold(held: Parameters<MaintenanceStore['hold']>[0]): Promise<void> {
    return this.store.hold(held);
  }

  markNotFiring(windowId: string, start: string, fingerprint: string, at: string): Promise<boolean> {
    return this.store.markNotFiring(windowId, start, fingerprint, at);
  }

  heldAlerts(windowId: string, start: string): Promise<HeldAlert[]> {
    return this.store.heldAlerts(windowId, start);
  }

  markReleased(
    windowId: string,
    start: string,
    fingerprint: string,
    at: string,
    taskId?: string,
  ): Promise<boolean> {
    return this.store.markReleased(windowId, start, fingerprint, at, taskId);
  }
}
