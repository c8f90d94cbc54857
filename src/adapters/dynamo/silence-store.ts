import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SilenceStore } from '../../core/ports.js';
import type { Silence } from '../../core/silence.js';
import { conditional, pick, queryAll, send } from './calls.js';
import { keys, SILENCE_FIELDS, TABLE } from './table.js';

const FIELDS = SILENCE_FIELDS;
/** A silence is kept this long after it ended, for "what was silenced last night". */
const KEEP_MS = 30 * 86_400_000;

const toSilence = (item: Record<string, unknown>) => pick(item, FIELDS) as unknown as Silence;

/** Silences in the task table: those in force are found by one query of a sparse index, never a scan. */
export class DynamoSilenceStore implements SilenceStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string = TABLE.defaultName,
  ) {}

  async createSilence(silence: Silence): Promise<void> {
    await send(() =>
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.silence(silence.id),
            type: 'silence',
            ...silence,
            gsi1pk: keys.silencesActive,
            gsi1sk: `${silence.endsAt}#${silence.id}`,
            [TABLE.ttlAttribute]: Math.floor((Date.parse(silence.endsAt) + KEEP_MS) / 1000),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  async activeSilences(now: string): Promise<Silence[]> {
    const items = await queryAll(this.db, {
      TableName: this.tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :active AND gsi1sk > :now',
      // Past every `<now>#<id>`: one that ends at this very moment is over, as `isActive` has it.
      ExpressionAttributeValues: { ':active': keys.silencesActive, ':now': `${now}#~` },
    });
    return items.map(toSilence);
  }

  async getSilence(id: string): Promise<Silence | undefined> {
    const { Item } = await send(() =>
      this.db.send(
        new GetCommand({ TableName: this.tableName, Key: keys.silence(id), ConsistentRead: true }),
      ),
    );
    return Item ? toSilence(Item) : undefined;
  }

  liftSilence(id: string, by: string, at: string): Promise<boolean> {
    return conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.silence(id),
          UpdateExpression: 'SET liftedAt = :at, liftedBy = :by REMOVE gsi1pk, gsi1sk',
          ConditionExpression: 'attribute_exists(gsi1pk) AND endsAt > :at',
          ExpressionAttributeValues: { ':at': at, ':by': by },
        }),
      ),
    );
  }

  async countSilenced(id: string, at: string): Promise<void> {
    await send(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.silence(id),
          UpdateExpression: 'ADD matched :one SET lastMatchedAt = :at',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':one': 1, ':at': at },
        }),
      ),
    ).catch((error: { name?: string }) => {
      if (error.name !== 'ConditionalCheckFailedException') throw error;
    });
  }
}

/**
 * The silences in force, read at most every few seconds per container: a storm of alerts costs one query per
 * interval, not one per alert. A silence made or lifted in this container applies at once; elsewhere within
 * `ttlMs`.
 */
export class CachedSilences implements SilenceStore {
  #cached: { at: number; silences: Silence[] } | undefined;
  constructor(
    private readonly store: SilenceStore,
    private readonly ttlMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {}

  async activeSilences(now: string): Promise<Silence[]> {
    if (!this.#cached || this.now() - this.#cached.at >= this.ttlMs)
      this.#cached = { at: this.now(), silences: await this.store.activeSilences(now) };
    return this.#cached.silences.filter((s) => s.endsAt > now);
  }

  async createSilence(silence: Silence): Promise<void> {
    await this.store.createSilence(silence);
    this.#cached = undefined;
  }

  getSilence(id: string): Promise<Silence | undefined> {
    return this.store.getSilence(id);
  }

  async liftSilence(id: string, by: string, at: string): Promise<boolean> {
    const lifted = await this.store.liftSilence(id, by, at);
    this.#cached = undefined;
    return lifted;
  }

  countSilenced(id: string, at: string): Promise<void> {
    return this.store.countSilenced(id, at);
  }
}
