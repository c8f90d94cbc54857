import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type Contribution,
  type HourCounters,
  hourStart,
  type ItemDelta,
  mergeContributions,
  mergeShards,
  type Scope,
} from '../../core/aggregates/counters.js';
import { parseStats, type ResolutionStats, type StatsKey } from '../../core/aggregates/resolutions.js';
import type { TrendEpisode } from '../../core/aggregates/trends.js';
import type { AggregateStore } from '../../core/ports.js';
import { conditional, pick, queryAll, send } from './calls.js';
import { keys, TABLE } from './table.js';

type Item = Record<string, unknown>;

/** Hourly items are kept this long: reports reach back at most 90 days. */
export const HOURLY_RETENTION_MS = 95 * 86_400_000;
const TREND_RETENTION_MS = 7 * 86_400_000;
/** Tasks per write, so an update's expressions stay well inside DynamoDB's 4 KB per expression. */
const TASKS_PER_WRITE = 20;
const ATTEMPTS = 6;
/** Attributes of an hourly item that are not counters. */
const APPLIED_PREFIX = 'v.';
const NOT_COUNTERS = new Set([TABLE.ttlAttribute, 'rev', 'shard']);

const ttlOf = (at: number) => Math.ceil(at / 1000);
const isConditionFailure = (error: unknown) =>
  (error as { name?: string }).name === 'ConditionalCheckFailedException';

/** The aggregator's items in the task table (key design in ./table.ts). */
export class DynamoAggregateStore implements AggregateStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string = TABLE.defaultName,
  ) {}

  /**
   * One UpdateItem per group of tasks: ADD the counters and sets, SET each task's counted version, on the
   * condition that no task's version there reached its lowest contribution. When that fails (a record came
   * again, or part of a batch was counted before a failure), the item is read and only what it has not
   * counted is written. Records of one task come in order from one stream shard, so one writer at a time
   * moves a task's version; the ADDs of other tasks' writers never conflict with it.
   */
  async applyCounters(delta: ItemDelta): Promise<readonly Contribution[]> {
    const byTask = new Map<string, Contribution[]>();
    for (const c of delta.contributions) byTask.set(c.taskId, [...(byTask.get(c.taskId) ?? []), c]);
    const counted: Contribution[] = [];
    for (const group of chunk([...byTask.values()], TASKS_PER_WRITE)) {
      try {
        counted.push(...(await this.#applyGroup(delta.scope, delta.hour, delta.shard, group.flat())));
      } catch (error) {
        // What the earlier groups counted stays counted: the caller must know it, whatever failed after.
        throw Object.assign(error as object, { counted });
      }
    }
    return counted;
  }

  async #applyGroup(
    scope: Scope,
    hour: string,
    shard: number,
    contributions: Contribution[],
  ): Promise<Contribution[]> {
    let todo = contributions;
    for (let attempt = 1; todo.length > 0; attempt++) {
      const [merged] = mergeContributions(todo);
      if (!merged) return [];
      const versions = new Map<string, number>();
      for (const c of todo) versions.set(c.taskId, Math.max(versions.get(c.taskId) ?? 0, c.version));
      const names: Record<string, string> = {
        '#scope': 'scope',
        '#hour': 'hour',
        '#type': 'type',
        '#ttl': 'ttl',
      };
      const values: Record<string, unknown> = {
        ':scope': scope,
        ':hour': hour,
        ':type': 'aggregate',
        ':ttl': ttlOf(hourStart(hour) + HOURLY_RETENTION_MS),
      };
      const sets = ['#scope = :scope', '#hour = :hour', '#type = :type', '#ttl = :ttl'];
      const adds: string[] = [];
      const conditions: string[] = [];
      let n = 0;
      for (const [taskId, lowest] of Object.entries(merged.tasks)) {
        const name = `#v${n}`;
        names[name] = `${APPLIED_PREFIX}${taskId}`;
        values[`:low${n}`] = lowest;
        values[`:top${n}`] = versions.get(taskId);
        conditions.push(`(attribute_not_exists(${name}) OR ${name} < :low${n})`);
        sets.push(`${name} = :top${n}`);
        n++;
      }
      let a = 0;
      for (const [counter, value] of Object.entries(merged.counters)) {
        names[`#c${a}`] = counter;
        values[`:c${a}`] = value;
        adds.push(`#c${a} :c${a}`);
        a++;
      }
      for (const [set, members] of Object.entries(merged.sets)) {
        if (members.length === 0) continue;
        names[`#c${a}`] = set;
        values[`:c${a}`] = new Set(members);
        adds.push(`#c${a} :c${a}`);
        a++;
      }
      try {
        await send(() =>
          this.db.send(
            new UpdateCommand({
              TableName: this.tableName,
              Key: keys.hourly(scope, hour, shard),
              UpdateExpression: `SET ${sets.join(', ')}${adds.length > 0 ? ` ADD ${adds.join(', ')}` : ''}`,
              ConditionExpression: conditions.join(' AND '),
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: values,
            }),
          ),
        );
        return todo;
      } catch (error) {
        if (!isConditionFailure(error) || attempt >= ATTEMPTS) throw error;
      }
      // Some of it was counted already: read what the item counted, and write only the rest.
      const counted = await this.#countedVersions(scope, hour, shard);
      todo = todo.filter((c) => c.version > (counted[c.taskId] ?? 0));
    }
    return [];
  }

  async #countedVersions(scope: Scope, hour: string, shard: number): Promise<Record<string, number>> {
    const { Item } = await send(() =>
      this.db.send(
        new GetCommand({
          TableName: this.tableName,
          Key: keys.hourly(scope, hour, shard),
          ConsistentRead: true,
        }),
      ),
    );
    const counted: Record<string, number> = {};
    for (const [name, value] of Object.entries(Item ?? {}))
      if (name.startsWith(APPLIED_PREFIX)) counted[name.slice(APPLIED_PREFIX.length)] = Number(value);
    return counted;
  }

  async hours(scope: Scope, fromHour: string, toHour: string): Promise<HourCounters[]> {
    const items = await this.#query({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': keys.hourlyPartition(scope),
        ':from': `H#${fromHour}`,
        ':to': `H#${toHour}#~`, // every shard of the last hour
      },
    });
    return mergeShards(items.map((item) => hourCountersOf(item)));
  }

  async stats(key: StatsKey): Promise<ResolutionStats> {
    const { Item } = await send(() =>
      this.db.send(new GetCommand({ TableName: this.tableName, Key: statsKey(key) })),
    );
    return parseStats(key, Item);
  }

  async updateStats(
    key: StatsKey,
    fold: (stats: ResolutionStats) => ResolutionStats,
  ): Promise<ResolutionStats> {
    for (let attempt = 1; ; attempt++) {
      const { Item } = await send(() =>
        this.db.send(new GetCommand({ TableName: this.tableName, Key: statsKey(key), ConsistentRead: true })),
      );
      const rev = Number(Item?.rev ?? 0);
      const next = fold(parseStats(key, Item));
      const written = await conditional(() =>
        this.db.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              ...statsKey(key),
              type: 'stats',
              ...next,
              service: key.service,
              ...(key.kind === 'fingerprint' ? { fingerprint: key.fingerprint } : { priority: key.priority }),
              rev: rev + 1,
            },
            ConditionExpression: Item ? 'rev = :rev' : 'attribute_not_exists(pk)',
            ...(Item ? { ExpressionAttributeValues: { ':rev': rev } } : {}),
          }),
        ),
      );
      if (written) return next;
      if (attempt >= ATTEMPTS)
        throw new Error(`stats ${JSON.stringify(key)} kept changing under the aggregator`);
    }
  }

  async fingerprintStats(service: string): Promise<ResolutionStats[]> {
    const items = await this.#query({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :fp)',
      ExpressionAttributeValues: {
        ':pk': keys.servicePartition(service),
        ':fp': keys.fingerprintStatsPrefix,
      },
    });
    return items.map((item) =>
      parseStats({ kind: 'fingerprint', service, fingerprint: String(item.fingerprint ?? '') }, item),
    );
  }

  async trends(): Promise<TrendEpisode[]> {
    const items = await this.#query({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.trends },
    });
    return items.map(
      (item) =>
        pick(item, [
          'scope',
          'kind',
          'service',
          'channel',
          'taskId',
          'title',
          'startedAt',
          'lastHeldAt',
          'recent',
          'expected',
          'postedAt',
          'coveredBy',
        ]) as unknown as TrendEpisode,
    );
  }

  /** While a trend holds (most batches of a storm), one update extends it; only a new episode needs the put. */
  async recordTrend(episode: TrendEpisode, endedBefore: string): Promise<'started' | 'ongoing'> {
    const ttl = ttlOf(Date.parse(episode.lastHeldAt) + TREND_RETENTION_MS);
    const extended = await conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.trend(episode.scope),
          UpdateExpression: 'SET lastHeldAt = :at, recent = :recent, expected = :expected, #ttl = :ttl',
          ConditionExpression: 'lastHeldAt >= :ended AND lastHeldAt <= :at',
          ExpressionAttributeNames: { '#ttl': TABLE.ttlAttribute },
          ExpressionAttributeValues: {
            ':at': episode.lastHeldAt,
            ':ended': endedBefore,
            ':recent': episode.recent,
            ':expected': episode.expected,
            ':ttl': ttl,
          },
        }),
      ),
    );
    if (extended) return 'ongoing';
    const started = await conditional(() =>
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.trend(episode.scope), type: 'trend', ...episode, [TABLE.ttlAttribute]: ttl },
          ConditionExpression: 'attribute_not_exists(pk) OR lastHeldAt < :ended',
          ExpressionAttributeValues: { ':ended': endedBefore },
        }),
      ),
    );
    // Neither: an episode held later than this reading (another writer): it is ongoing.
    return started ? 'started' : 'ongoing';
  }

  async markTrendPosted(
    scope: string,
    startedAt: string,
    postedAt: string,
    coveredBy?: string,
  ): Promise<void> {
    await conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.trend(scope),
          UpdateExpression: `SET postedAt = :at${coveredBy ? ', coveredBy = :by' : ''}`,
          ConditionExpression: 'startedAt = :started',
          ExpressionAttributeValues: {
            ':at': postedAt,
            ':started': startedAt,
            ...(coveredBy ? { ':by': coveredBy } : {}),
          },
        }),
      ),
    );
  }

  async lastDigest(channel: string): Promise<string | undefined> {
    const { Item } = await send(() =>
      this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.digest(channel) })),
    );
    return typeof Item?.lastAt === 'string' ? Item.lastAt : undefined;
  }

  async recordDigest(channel: string, at: string): Promise<void> {
    await conditional(() =>
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.digest(channel), type: 'digest', channel, lastAt: at },
          // Never moved back by a digest that ran late.
          ConditionExpression: 'attribute_not_exists(lastAt) OR lastAt < :at',
          ExpressionAttributeValues: { ':at': at },
        }),
      ),
    );
  }

  #query(input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]> {
    return queryAll(this.db, { TableName: this.tableName, ...input });
  }
}

function statsKey(key: StatsKey) {
  return key.kind === 'fingerprint'
    ? keys.fingerprintStats(key.service, key.fingerprint)
    : keys.serviceStats(key.service, key.priority);
}

function hourCountersOf(item: Item): HourCounters {
  const counters: Record<string, number> = {};
  const sets: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(item)) {
    if (typeof value === 'number' && !name.startsWith(APPLIED_PREFIX) && !NOT_COUNTERS.has(name))
      counters[name] = value;
    else if (value instanceof Set) sets[name] = [...value].map(String);
  }
  return { scope: String(item.scope), hour: String(item.hour), counters, sets };
}

function chunk<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}
