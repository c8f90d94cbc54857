import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { CardRecord, CardState, CardStore, SeenStore } from '../../core/ports.js';
import { conditional, pick, send } from './calls.js';
import { keys, TABLE } from './table.js';

const CARD_FIELDS = [
  'taskId',
  'channel',
  'ts',
  'permalink',
  'shownVersion',
  'threadVersion',
  'occurrencesReported',
  'occurrencesReportedAt',
  'renderedAt',
  'retryAt',
  'attempts',
  'lastError',
  'lease',
  'leaseUntil',
] as const;

const toCard = (item: Record<string, unknown>) => pick(item, CARD_FIELDS) as unknown as CardRecord;

/** Slack cards and at-most-once markers, in the task table (key design in ./table.ts). */
export class DynamoCardStore implements CardStore, SeenStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string = TABLE.defaultName,
  ) {}

  async card(taskId: string): Promise<CardRecord | undefined> {
    const { Item } = await send(() =>
      this.db.send(
        new GetCommand({ TableName: this.tableName, Key: keys.card(taskId), ConsistentRead: true }),
      ),
    );
    return Item ? toCard(Item) : undefined;
  }

  async leaseCard(
    taskId: string,
    token: string,
    now: string,
    until: string,
  ): Promise<CardRecord | undefined> {
    try {
      const { Attributes } = await send(() =>
        this.db.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.card(taskId),
            UpdateExpression: [
              'SET taskId = :id, #type = :type, lease = :token, leaseUntil = :until, retryAt = :until,',
              'gsi1pk = :due, gsi1sk = :order,',
              'shownVersion = if_not_exists(shownVersion, :zero), threadVersion = if_not_exists(threadVersion, :zero),',
              'occurrencesReported = if_not_exists(occurrencesReported, :one), attempts = if_not_exists(attempts, :zero)',
            ].join(' '),
            ConditionExpression: 'attribute_not_exists(lease) OR leaseUntil < :now',
            ExpressionAttributeNames: { '#type': 'type' },
            ExpressionAttributeValues: {
              ':id': taskId,
              ':type': 'card',
              ':token': token,
              ':until': until,
              ':now': now,
              ':due': keys.cardsDue,
              ':order': keys.cardOrder(until, taskId),
              ':zero': 0,
              ':one': 1,
            },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      return Attributes ? toCard(Attributes) : undefined;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return undefined;
      throw error;
    }
  }

  async releaseCard(taskId: string, token: string, state: CardState): Promise<boolean> {
    const item: Record<string, unknown> = { ...keys.card(taskId), type: 'card', taskId, ...state };
    if (state.retryAt) {
      item.gsi1pk = keys.cardsDue;
      item.gsi1sk = keys.cardOrder(state.retryAt, taskId);
    }
    return conditional(() =>
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'lease = :token',
          ExpressionAttributeValues: { ':token': token },
        }),
      ),
    );
  }

  async dueCards(now: string, limit: number): Promise<string[]> {
    const { Items } = await send(() =>
      this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :due AND gsi1sk <= :now',
          ExpressionAttributeValues: { ':due': keys.cardsDue, ':now': `${now}#~` },
          Limit: limit,
        }),
      ),
    );
    return (Items ?? []).map((item) => String(item.taskId));
  }

  async forget(scope: string, key: string): Promise<void> {
    await send(() =>
      this.db.send(new DeleteCommand({ TableName: this.tableName, Key: keys.seen(scope, key) })),
    );
  }

  firstSighting(scope: string, key: string, expiresAt: string): Promise<boolean> {
    return conditional(() =>
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.seen(scope, key),
            type: 'seen',
            [TABLE.ttlAttribute]: Math.ceil(Date.parse(expiresAt) / 1000),
          },
          // An expired marker that DynamoDB has not deleted yet no longer counts.
          ConditionExpression: 'attribute_not_exists(pk) OR #ttl < :now',
          ExpressionAttributeNames: { '#ttl': TABLE.ttlAttribute },
          ExpressionAttributeValues: { ':now': Math.floor(Date.now() / 1000) },
        }),
      ),
    );
  }
}
