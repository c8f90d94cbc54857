import {
  BatchGetCommand,
  type BatchGetCommandOutput,
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
  mergeHourItems,
  type Scope,
} from '../../core/aggregates/counters.js';
import {
  APPLIED_FOR_MS,
  APPLIED_MARK,
  parseStats,
  type ResolutionStats,
  type StatsKey,
} from '../../core/aggregates/resolutions.js';
import type { TrendEpisode } from '../../core/aggregates/trends.js';
import type { AggregateStore, Opening } from '../../core/ports.js';
import { shardOf } from '../../core/shard.js';
import { conditional, pick, queryAll, send } from './calls.js';
import { keys, TABLE } from './table.js';

type Item = Record<string, unknown>;

/** Hourly items are kept this long: reports reach back at most 90 days. */
export const HOURLY_RETENTION_MS = 95 * 86_400_000;
const TREND_RETENTION_MS = 7 * 86_400_000;
/** Tasks per write, so an update's expressions stay well inside DynamoDB's 4 KB per expression. */
const TASKS_PER_WRITE = 20;
const ATTEMPTS = 6;
/**
 * Tasks whose counted version a statistics item keeps itself (about 60 bytes each): a quiet key's markers
 * never leave it; a busy one's oldest go to marker items, so the item stays a few KB.
 */
export const APPLIED_KEPT = 50;
/** Openings counted in one UpdateItem: its condition stays well within DynamoDB's 4 KB an expression. */
const OPENINGS_PER_WRITE = 20;
const MARKERS_IN_FLIGHT = 16;
const pause = (attempt: number) => new Promise((r) => setTimeout(r, Math.min(1_000, 2 ** attempt * 10)));
/** Attributes of an hourly item that are not counters. */
const APPLIED_PREFIX = 'v.';
const NOT_COUNTERS = new Set([TABLE.ttlAttribute, 'rev', 'shard']);

/**
 * Each scope's hour is kept in this many items, a task's changes always in the same one (FNV-1a of its id, so
 * the same task lands in the same item on every machine and in every release): an item holds a few attributes
 * per task that touched it, so a storm of thousands of different alerts in one channel in one hour stays far
 * from DynamoDB's 400 KB per item. `hours` adds the shards of an hour up. Changing it moves tasks to other
 * items: counted versions would no longer be found, so it stays 8 (`H#<hour>#<0-7>`, ./table.ts).
 */
export const HOUR_SHARDS = 8;
/** A task's shard of every hourly item. */
export const hourShardOf = (taskId: string): number => shardOf(taskId, HOUR_SHARDS);

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
   * The hour's contributions go to their tasks' shards (`hourShardOf`), written side by side. One UpdateItem
   * per group of tasks of a shard: ADD the counters and sets, SET each task's counted version, on the
   * condition that no task's version there reached its lowest contribution. When that fails (a record came
   * again, or part of a batch was counted before a failure), the item is read and only what it has not
   * counted is written. Records of one task come in order from one stream shard, so one writer at a time
   * moves a task's version; the ADDs of other tasks' writers never conflict with it.
   */
  async applyCounters(delta: ItemDelta): Promise<readonly Contribution[]> {
    const byShard = new Map<number, Map<string, Contribution[]>>();
    for (const c of delta.contributions) {
      const shard = hourShardOf(c.taskId);
      const byTask = byShard.get(shard) ?? new Map<string, Contribution[]>();
      byTask.set(c.taskId, [...(byTask.get(c.taskId) ?? []), c]);
      byShard.set(shard, byTask);
    }
    const counted: Contribution[] = [];
    const outcomes = await Promise.allSettled(
      [...byShard].map(async ([shard, byTask]) => {
        for (const group of chunk([...byTask.values()], TASKS_PER_WRITE))
          counted.push(...(await this.#applyGroup(delta.scope, delta.hour, shard, group.flat())));
      }),
    );
    const failed = outcomes.find((o) => o.status === 'rejected');
    // What the other writes counted stays counted: the caller must know it, whatever failed.
    if (failed) throw Object.assign(failed.reason as object, { counted });
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
    return mergeHourItems(items.map((item) => hourCountersOf(item)));
  }

  async stats(key: StatsKey): Promise<ResolutionStats> {
    const { Item } = await send(() =>
      this.db.send(new GetCommand({ TableName: this.tableName, Key: statsKey(key) })),
    );
    return parseStats(key, Item);
  }

  /** One BatchGetItem (at most 100 keys: a card reads three), retrying what DynamoDB left unread. */
  async statsOf(wanted: readonly StatsKey[]): Promise<ResolutionStats[]> {
    const byKey = new Map<string, Item>();
    const id = (k: { pk: unknown; sk: unknown }) => `${k.pk}|${k.sk}`;
    const itemKeys = wanted.map(statsKey);
    for (const group of chunk(itemKeys, 100)) {
      let request: Record<string, { Keys: Item[] }> | undefined = {
        [this.tableName]: { Keys: [...new Map(group.map((k) => [id(k), k])).values()] },
      };
      for (let attempt = 1; request && Object.keys(request).length > 0; attempt++) {
        if (attempt > 1) await pause(attempt);
        const page: BatchGetCommandOutput = await send(() =>
          this.db.send(new BatchGetCommand({ RequestItems: request })),
        );
        for (const item of page.Responses?.[this.tableName] ?? [])
          byKey.set(id(item as { pk: unknown; sk: unknown }), item);
        request = page.UnprocessedKeys as typeof request;
        if (attempt >= 10 && request && Object.keys(request).length > 0)
          throw new Error('DynamoDB left statistics unread');
      }
    }
    return wanted.map((key) => parseStats(key, byKey.get(id(statsKey(key)))));
  }

  /**
   * Read, fold and write back on the condition that the item's `rev` did not move (else again). Each task's
   * counted version (so a stream record delivered again counts once) is kept in the item for the latest
   * `APPLIED_KEPT` tasks only; older ones are moved into a small marker item per task and statistics item
   * (`keys.statsApplied`) before the write that drops them from the item, so at every moment a counted change
   * is in the item or in its marker. The markers of `tasks` are read (consistently) while some may exist.
   * The item so stays a few KB (one or a few WCU per write) however many tasks a busy service has in 3 hours.
   */
  async updateStats(
    key: StatsKey,
    fold: (stats: ResolutionStats) => ResolutionStats,
    tasks: readonly string[] = [],
  ): Promise<ResolutionStats> {
    const itemKey = statsKey(key);
    for (let attempt = 1; ; attempt++) {
      const { Item } = await send(() =>
        this.db.send(new GetCommand({ TableName: this.tableName, Key: itemKey, ConsistentRead: true })),
      );
      const rev = Number(Item?.rev ?? 0);
      const stored = parseStats(key, Item);
      const spilledAt = typeof Item?.appliedSpilledAt === 'string' ? Item.appliedSpilledAt : undefined;
      // The markers of what the item does not keep; written before the item dropped them, so all are there.
      const marked = spilledAt
        ? await this.markersOf(
            itemKey,
            tasks.filter((t) => stored.applied[t] === undefined),
          )
        : {};
      const applied = { ...marked };
      for (const [taskId, entry] of Object.entries(stored.applied))
        if (entry.version >= (applied[taskId]?.version ?? 0)) applied[taskId] = entry;
      const given: ResolutionStats = { ...stored, applied };
      const next = fold(given);
      // Kept in the item: what it kept and the fold kept, and what the fold counted now.
      const kept: [string, { version: number; at: string }][] = [];
      const fresh: [string, { version: number; at: string }][] = [];
      for (const [taskId, entry] of Object.entries(next.applied)) {
        const before = given.applied[taskId];
        if (!before || entry.version > before.version) fresh.push([taskId, entry]);
        else if (stored.applied[taskId]) kept.push([taskId, entry]);
      }
      // Beyond the item's share, the oldest it kept go to markers; never what is counted now (not yet written).
      kept.sort(([a, x], [b, y]) => x.at.localeCompare(y.at) || a.localeCompare(b));
      const spill = kept.splice(0, Math.max(0, kept.length + fresh.length - APPLIED_KEPT));
      await this.mark(itemKey, spill);
      const now = fresh.reduce((latest, [, e]) => (e.at > latest ? e.at : latest), '');
      const lastSpill = spill.reduce((latest, [, e]) => (e.at > latest ? e.at : latest), spilledAt ?? '');
      // Markers matter while a record can still come again; after that the item stops reading them.
      const stillSpilled =
        lastSpill && !(now && Date.parse(now) - Date.parse(lastSpill) > APPLIED_FOR_MS)
          ? lastSpill
          : undefined;
      const written = await conditional(() =>
        this.db.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              ...itemKey,
              type: 'stats',
              ...next,
              applied: Object.fromEntries([...kept, ...fresh]),
              ...(stillSpilled ? { appliedSpilledAt: stillSpilled } : {}),
              service: key.service,
              ...(key.kind === 'issue' ? { issue: key.issue } : { priority: key.priority }),
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

  /**
   * One UpdateItem, no read: ADD `times` and `rev` (so a concurrent `updateStats` sees the item moved), SET the
   * latest title and task and each task's counted version as an attribute of its own (`a.<task>`, folded into
   * `applied` by the next `updateStats`), on the condition that none of them was counted at its version, that
   * the item spilled no counted versions to markers (those would need reading) and that it holds fewer than
   * APPLIED_KEPT such attributes (so it stays a few KB).
   */
  async countOpenings(key: StatsKey, openings: readonly Opening[], at: string): Promise<boolean> {
    if (openings.length === 0 || new Set(openings.map((o) => o.taskId)).size !== openings.length)
      return false;
    // A few at a time: DynamoDB refuses an expression over 4 KB (about 128 bytes an opening here), and a storm's
    // batch holds up to a thousand. Refused part way, what was written is known counted (`a.<task>`) to the
    // `updateStats` that then folds them all.
    for (const some of chunk(openings, OPENINGS_PER_WRITE))
      if (!(await this.countSomeOpenings(key, some, at))) return false;
    return true;
  }

  private async countSomeOpenings(key: StatsKey, openings: readonly Opening[], at: string): Promise<boolean> {
    const last = openings.at(-1);
    if (!last) return true;
    const names: Record<string, string> = { '#type': 'type', '#fast': 'fastMarks' };
    const values: Record<string, unknown> = {
      ':type': 'stats',
      ':service': key.service,
      ':which': key.kind === 'issue' ? key.issue : key.priority,
      ':title': last.title,
      ':last': last.taskId,
      ':times': openings.reduce((n, o) => n + o.times, 0),
      ':one': 1,
      ':marks': openings.length,
      ':cap': APPLIED_KEPT - openings.length,
    };
    const sets = [
      '#type = :type',
      'service = :service',
      `${key.kind === 'issue' ? 'issue' : 'priority'} = :which`,
      'title = :title',
      'lastTaskId = :last',
    ];
    const conditions = [
      'attribute_not_exists(appliedSpilledAt)',
      '(attribute_not_exists(#fast) OR #fast <= :cap)',
    ];
    openings.forEach((o, i) => {
      names[`#m${i}`] = `${APPLIED_MARK}${o.taskId}`;
      names[`#t${i}`] = o.taskId;
      values[`:v${i}`] = o.version;
      values[`:e${i}`] = { version: o.version, at };
      sets.push(`#m${i} = :e${i}`);
      conditions.push(
        `(attribute_not_exists(#m${i}) OR #m${i}.version < :v${i})`,
        `(attribute_not_exists(applied.#t${i}) OR applied.#t${i}.version < :v${i})`,
      );
    });
    return conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: statsKey(key),
          UpdateExpression: `SET ${sets.join(', ')} ADD times :times, rev :one, #fast :marks`,
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  // Plain private methods, not #private: a test wraps the store with Object.create to stage faults.
  /** The counted versions the markers of a statistics item hold for these tasks. */
  private async markersOf(
    stats: { pk: string; sk: string },
    tasks: readonly string[],
  ): Promise<Record<string, { version: number; at: string }>> {
    const found: Record<string, { version: number; at: string }> = {};
    for (const group of chunk([...new Set(tasks)], 100)) {
      let request: Record<string, { Keys: Item[]; ConsistentRead: boolean }> | undefined = {
        [this.tableName]: { Keys: group.map((t) => keys.statsApplied(stats, t)), ConsistentRead: true },
      };
      for (let attempt = 1; request && Object.keys(request).length > 0; attempt++) {
        if (attempt > 1) await pause(attempt);
        const page: BatchGetCommandOutput = await send(() =>
          this.db.send(new BatchGetCommand({ RequestItems: request })),
        );
        for (const item of page.Responses?.[this.tableName] ?? [])
          if (typeof item.taskId === 'string')
            found[item.taskId] = { version: Number(item.version), at: String(item.at) };
        request = page.UnprocessedKeys as typeof request;
        if (attempt >= 10 && request && Object.keys(request).length > 0)
          throw new Error('DynamoDB left statistics markers unread');
      }
    }
    return found;
  }

  /** Markers for counted versions, each raised only (a late writer never lowers one). */
  private async mark(
    stats: { pk: string; sk: string },
    entries: [string, { version: number; at: string }][],
  ) {
    const queue = [...entries];
    await Promise.all(
      Array.from({ length: Math.min(MARKERS_IN_FLIGHT, queue.length) }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          const [taskId, { version, at }] = next;
          await conditional(() =>
            this.db.send(
              new UpdateCommand({
                TableName: this.tableName,
                Key: keys.statsApplied(stats, taskId),
                UpdateExpression: 'SET #type = :type, taskId = :task, version = :v, #at = :at, #ttl = :ttl',
                ConditionExpression: 'attribute_not_exists(version) OR version < :v',
                ExpressionAttributeNames: { '#type': 'type', '#at': 'at', '#ttl': TABLE.ttlAttribute },
                ExpressionAttributeValues: {
                  ':type': 'stats-applied',
                  ':task': taskId,
                  ':v': version,
                  ':at': at,
                  ':ttl': ttlOf(Date.parse(at) + APPLIED_FOR_MS),
                },
              }),
            ),
          );
        }
      }),
    );
  }

  async issueStats(service: string): Promise<ResolutionStats[]> {
    const items = await this.#query({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :fp)',
      ExpressionAttributeValues: {
        ':pk': keys.servicePartition(service),
        ':fp': keys.issueStatsPrefix,
      },
    });
    // Items written before issue keys name their fingerprint instead.
    return items.map((item) =>
      parseStats({ kind: 'issue', service, issue: String(item.issue ?? item.fingerprint ?? '') }, item),
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
  return key.kind === 'issue'
    ? keys.issueStats(key.service, key.issue)
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
