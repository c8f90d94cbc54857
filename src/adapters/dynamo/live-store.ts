import {
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { TransientError } from '../../core/errors.js';
import { hoursBetween, type LiveChange, type LiveConnection } from '../../core/live.js';
import type { LiveConnectionStore } from '../../core/ports.js';
import { ROLES, type Role } from '../../core/rbac.js';
import { conditional, queryAll, send } from './calls.js';
import { keys, TABLE } from './table.js';

const epochSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);
/** BatchWriteItem's most items a call. */
const BATCH = 25;

function toConnection(item: Record<string, unknown>): LiveConnection | undefined {
  const role = item.role as Role;
  const actor = item.actor as LiveConnection['actor'] | undefined;
  if (typeof item.id !== 'string' || !ROLES.includes(role) || !actor) return undefined;
  return {
    id: item.id,
    role,
    actor,
    connectedAt: String(item.connectedAt),
    expiresAt: String(item.expiresAt),
    ...(typeof item.tokenExpiresAt === 'string' ? { tokenExpiresAt: item.tokenExpiresAt } : {}),
  };
}

/**
 * Live connections and the catch-up log in the task table. A connection is `LIVE#CONN#<shard>` / its id: the
 * pusher reads them by one query of their partition (base-table items, so who opened each is there
 * without widening an index's projection, and no key nears the 2,048-byte limit of an index's). Expired items
 * are left out of every read, as DynamoDB's TTL deletes them only some time after. The log is one partition
 * per hour, sorted by when each task changed: a catch-up is a query of the hours since the client's last
 * change, never a scan; its items are a few dozen bytes (ids and a time, no task).
 */
export class DynamoLiveStore implements LiveConnectionStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string = TABLE.defaultName,
  ) {}

  async connect(connection: LiveConnection): Promise<void> {
    await send(() =>
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.liveConnection(connection.id),
            type: 'live-connection',
            ...connection,
            [TABLE.ttlAttribute]: epochSeconds(connection.expiresAt),
          },
        }),
      ),
    );
  }

  async connection(id: string, now: string): Promise<LiveConnection | undefined> {
    const { Item } = await send(() =>
      this.db.send(
        new GetCommand({ TableName: this.tableName, Key: keys.liveConnection(id), ConsistentRead: true }),
      ),
    );
    if (!Item || String(Item.expiresAt) <= now) return undefined;
    return toConnection(Item);
  }

  refresh(id: string, expiresAt: string): Promise<boolean> {
    return conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.liveConnection(id),
          UpdateExpression: 'SET expiresAt = :expires, #ttl = :ttl',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#ttl': TABLE.ttlAttribute },
          ExpressionAttributeValues: { ':expires': expiresAt, ':ttl': epochSeconds(expiresAt) },
        }),
      ),
    );
  }

  async disconnect(id: string): Promise<void> {
    await send(() =>
      this.db.send(new DeleteCommand({ TableName: this.tableName, Key: keys.liveConnection(id) })),
    );
  }

  async connections(now: string): Promise<LiveConnection[]> {
    const shards = Array.from({ length: keys.liveConnectionShards }, (_, shard) => shard);
    const pages = await Promise.all(
      shards.map((shard) =>
        queryAll(this.db, {
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          FilterExpression: 'expiresAt > :now',
          // Consistent, as the log's reads: a connection just kept is listed (see src/jobs/live.ts).
          ConsistentRead: true,
          ExpressionAttributeValues: { ':pk': keys.liveConnections(shard), ':now': now },
        }),
      ),
    );
    return pages.flat().flatMap((item) => toConnection(item) ?? []);
  }

  async logChanges(changes: readonly LiveChange[], expiresAt: string): Promise<void> {
    const ttl = epochSeconds(expiresAt);
    // One entry per task and time: a batch naming an item twice is refused whole by DynamoDB.
    const unique = new Map(changes.map((c) => [`${c.at}#${c.taskId}`, c]));
    const requests = [...unique.values()].map((change) => ({
      PutRequest: {
        Item: {
          pk: keys.liveChanges(change.at.slice(0, 13)),
          sk: `${change.at}#${change.taskId}`,
          type: 'live-change',
          taskId: change.taskId,
          at: change.at,
          ...(change.deleted ? { deleted: true } : {}),
          [TABLE.ttlAttribute]: ttl,
        },
      },
    }));
    for (let i = 0; i < requests.length; i += BATCH) {
      let pending: typeof requests | undefined = requests.slice(i, i + BATCH);
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        if (attempt === 5)
          throw new TransientError('The live changes could not be logged: DynamoDB kept them unprocessed');
        const batch: typeof requests = pending;
        const { UnprocessedItems } = await send(() =>
          this.db.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: batch } })),
        );
        pending = UnprocessedItems?.[this.tableName] as typeof requests | undefined;
        if (pending?.length) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
      }
    }
  }

  async changesSince(
    since: string,
    now: string,
    limit: number,
  ): Promise<{ changes: LiveChange[]; complete: boolean }> {
    const changes: LiveChange[] = [];
    for (const hour of hoursBetween(new Date(since), new Date(now))) {
      let start: Record<string, unknown> | undefined;
      do {
        const page = await send(() =>
          this.db.send(
            new QueryCommand({
              TableName: this.tableName,
              KeyConditionExpression: 'pk = :pk AND sk >= :since',
              // A change the pusher logged a moment ago is found: it lists connections only after logging.
              ConsistentRead: true,
              ExpressionAttributeValues: { ':pk': keys.liveChanges(hour), ':since': since },
              // One past what is wanted: whether there were more is known without another read.
              Limit: limit + 1 - changes.length,
              ...(start ? { ExclusiveStartKey: start } : {}),
            }),
          ),
        );
        for (const item of page.Items ?? []) {
          if (changes.length === limit) return { changes, complete: false };
          changes.push({
            taskId: String(item.taskId),
            at: String(item.at),
            ...(item.deleted === true ? { deleted: true } : {}),
          });
        }
        start = page.LastEvaluatedKey;
      } while (start);
    }
    return { changes, complete: true };
  }
}
