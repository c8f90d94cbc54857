import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { HeartbeatRecord, HeartbeatStore } from '../../core/ports.js';
import { conditional, pick, queryAll, send, updateIf } from './calls.js';
import { keys, TABLE } from './table.js';

const FIELDS = [
  'name',
  'everyMs',
  'graceMs',
  'service',
  'priority',
  'origin',
  'createdBy',
  'createdAt',
  'lastPingAt',
  'lateSince',
  'lateFrom',
] as const satisfies readonly (keyof HeartbeatRecord)[];

const toRecord = (item: Record<string, unknown>) => pick(item, FIELDS) as unknown as HeartbeatRecord;

/**
 * Heartbeats in the task table, one partition (`HEARTBEAT`, sorted by name): listing them is one query. Every
 * change is one conditional write, so a ping never makes a heartbeat, and a lateness is marked once.
 */
export class DynamoHeartbeatStore implements HeartbeatStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string = TABLE.defaultName,
  ) {}

  async putHeartbeat(beat: Parameters<HeartbeatStore['putHeartbeat']>[0]): Promise<void> {
    // An update, not a put: its pings, its lateness and when it was first made stay as they are.
    const set = [
      '#name = :name',
      '#type = :type',
      'everyMs = :every',
      'graceMs = :grace',
      'origin = :origin',
      'createdBy = :by',
      'createdAt = if_not_exists(createdAt, :at)',
    ];
    const remove: string[] = [];
    const values: Record<string, unknown> = {
      ':name': beat.name,
      ':type': 'heartbeat',
      ':every': beat.everyMs,
      ':grace': beat.graceMs,
      ':origin': beat.origin,
      ':by': beat.createdBy,
      ':at': beat.createdAt,
    };
    for (const field of ['service', 'priority'] as const) {
      const value = beat[field];
      if (value === undefined) remove.push(field);
      else {
        set.push(`${field} = :${field}`);
        values[`:${field}`] = value;
      }
    }
    await send(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.heartbeat(beat.name),
          UpdateExpression: `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
          ExpressionAttributeNames: { '#name': 'name', '#type': 'type' },
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  async getHeartbeat(name: string): Promise<HeartbeatRecord | undefined> {
    const { Item } = await send(() =>
      this.db.send(
        new GetCommand({ TableName: this.tableName, Key: keys.heartbeat(name), ConsistentRead: true }),
      ),
    );
    return Item ? toRecord(Item) : undefined;
  }

  async listHeartbeats(): Promise<HeartbeatRecord[]> {
    const items = await queryAll(this.db, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.heartbeatsPartition },
      ConsistentRead: true,
    });
    return items.map(toRecord);
  }

  removeHeartbeat(name: string): Promise<boolean> {
    return conditional(() =>
      this.db.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.heartbeat(name),
          ConditionExpression: 'attribute_exists(pk)',
        }),
      ),
    );
  }

  async ping(name: string, at: string): Promise<HeartbeatRecord | undefined> {
    const before = await updateIf(this.db, {
      TableName: this.tableName,
      Key: keys.heartbeat(name),
      UpdateExpression: 'SET lastPingAt = :at',
      // Only a heartbeat that exists: a ping of an unknown name makes nothing.
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':at': at },
      ReturnValues: 'ALL_OLD',
    });
    return before ? toRecord(before) : undefined;
  }

  markLate(name: string, since: string, lastPingAt: string | undefined): Promise<boolean> {
    return conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.heartbeat(name),
          UpdateExpression:
            lastPingAt === undefined ? 'SET lateSince = :since' : 'SET lateSince = :since, lateFrom = :from',
          // Once, and only while no ping came since the one it is counted from.
          ConditionExpression: `attribute_exists(pk) AND attribute_not_exists(lateSince) AND ${
            lastPingAt === undefined ? 'attribute_not_exists(lastPingAt)' : 'lastPingAt = :from'
          }`,
          ExpressionAttributeValues: {
            ':since': since,
            ...(lastPingAt === undefined ? {} : { ':from': lastPingAt }),
          },
        }),
      ),
    );
  }

  clearLate(name: string, since: string): Promise<boolean> {
    return conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.heartbeat(name),
          UpdateExpression: 'REMOVE lateSince, lateFrom',
          ConditionExpression: 'lateSince = :since',
          ExpressionAttributeValues: { ':since': since },
        }),
      ),
    );
  }
}
