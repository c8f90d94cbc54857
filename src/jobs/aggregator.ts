import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { TASK_SK } from '../adapters/dynamo/table.js';
import { toTask } from '../adapters/dynamo/task-store.js';
import {
  type Contribution,
  contributionsOf,
  type ItemDelta,
  itemKey,
  mergeContributions,
  reportChannels,
  scopes,
} from '../core/aggregates/counters.js';
import { factsOf, type TaskChange, type TaskFacts } from '../core/aggregates/facts.js';
import { countsInStats, foldStats, type StatsKey, statsKeysOf } from '../core/aggregates/resolutions.js';
import type { TrendEpisode } from '../core/aggregates/trends.js';
import { routeService } from '../core/alert.js';
import type { Config } from '../core/config.js';
import type { AggregateStore, Clock, Opening } from '../core/ports.js';
import { Task } from '../core/task.js';
import { evaluateTrends, type TrendSubject } from '../core/use-cases/trends.js';
import { logger } from '../runtime/logger.js';
import { type FactMetrics, recordFactMetrics } from '../runtime/metrics.js';

export interface AggregatorDeps {
  readonly config: Config;
  readonly clock: Clock;
  readonly aggregates: AggregateStore;
  /** Posts trend episodes that just started (the Slack surface's job); a failure leaves them to the sweeper. */
  readonly postTrends?: (started: readonly TrendEpisode[], now: Date) => Promise<unknown>;
  readonly metrics?: FactMetrics;
}

/** A stream record that is not a task as TMS writes it: it fails alone, and the rest of its batch goes on. */
export class MalformedRecordError extends Error {
  override readonly name = 'MalformedRecordError';
  constructor(
    message: string,
    readonly context: { readonly eventID?: string; readonly sequenceNumber?: string },
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

/** Only task items reach the aggregator (the same rule as the event source mapping's filter on AWS). */
export const isTaskRecord = (record: DynamoDBRecord): boolean => record.dynamodb?.Keys?.sk?.S === TASK_SK;

function taskOf(image: Record<string, unknown> | undefined, record: DynamoDBRecord): Task {
  const context = {
    ...(record.eventID ? { eventID: record.eventID } : {}),
    ...(record.dynamodb?.SequenceNumber ? { sequenceNumber: record.dynamodb.SequenceNumber } : {}),
  };
  if (!image) throw new MalformedRecordError('the record has no new image', context);
  let item: Record<string, unknown>;
  try {
    item = unmarshall(image as Record<string, AttributeValue>);
  } catch (error) {
    throw new MalformedRecordError('the record’s image is not DynamoDB JSON', context, { cause: error });
  }
  const parsed = Task.safeParse(toTask(item));
  if (!parsed.success)
    throw new MalformedRecordError(
      `the record’s image is not a task: ${parsed.error.issues[0]?.message}`,
      context,
      {
        cause: parsed.error,
      },
    );
  return parsed.data;
}

/** The change a task record carries; undefined for records that are not task changes. Throws when malformed. */
export function changeOf(record: DynamoDBRecord): TaskChange | undefined {
  if (!isTaskRecord(record) || record.eventName === 'REMOVE') return undefined;
  const after = taskOf(record.dynamodb?.NewImage, record);
  const before = record.dynamodb?.OldImage ? taskOf(record.dynamodb.OldImage, record) : undefined;
  return before ? { before, after } : { after };
}

/** A change that only opened or reopened its task (and perhaps fired), as the statistics count it. */
function openingOf({ task, facts }: TaskFacts): Opening | undefined {
  let times = 0;
  for (const fact of facts) {
    if (fact.type === 'opened' || fact.type === 'reopened') times++;
    else if (fact.type !== 'occurred') return undefined;
  }
  return times > 0 ? { taskId: task.id, version: task.version, title: task.title, times } : undefined;
}

const statsId = (key: StatsKey) =>
  key.kind === 'issue' ? `issue|${key.service}|${key.issue}` : `svc|${key.service}|${key.priority}`;

interface Pending {
  readonly change: TaskFacts;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * One batch of the stream, committed as a group. Powertools' batch processor hands every record to `add`
 * at once (records are processed in parallel); each is read on its own, so a malformed record fails alone,
 * and the good ones are folded together: one write per hourly item and per statistics item for the whole
 * batch, however many records touch it. A record succeeds when every write it contributed to did; one that
 * failed is reported in `batchItemFailures` and comes again, and the writes, which count each task's changes
 * once by version, skip what was already counted.
 */
class GroupCommit {
  readonly #pending: Pending[] = [];
  #flush: Promise<void> | undefined;

  constructor(private readonly deps: AggregatorDeps) {}

  add(record: DynamoDBRecord): Promise<void> {
    const change = changeOf(record);
    if (!change) return Promise.resolve();
    const facts = factsOf(change);
    if (facts.facts.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ change: facts, resolve, reject });
      // Once every record of the batch was handed over (the processor starts them all in one go).
      this.#flush ??= new Promise<void>((r) => setImmediate(r)).then(() => this.#commit());
    });
  }

  /** Resolves once the batch's writes are done (and trends are evaluated). */
  done(): Promise<void> {
    return this.#flush ?? Promise.resolve();
  }

  async #commit(): Promise<void> {
    const pending = this.#pending.splice(0);
    try {
      await this.#write(pending);
    } catch (error) {
      // A fault outside the writes (a bug): every record of the batch fails, none is left waiting.
      for (const p of pending) p.reject(error);
    }
  }

  async #write(pending: Pending[]): Promise<void> {
    const failed = new Map<Pending, unknown>();
    const now = this.deps.clock.now();

    // Counters: each hourly item once, with what every record of the batch adds to it.
    const owners = new Map<string, Pending[]>();
    const contributions = pending.flatMap((p) =>
      contributionsOf(p.change, reportChannels(p.change.task, this.deps.config)).map((c) => {
        const key = itemKey(c);
        owners.set(key, [...(owners.get(key) ?? []), p]);
        return c;
      }),
    );
    // Every change counts in the `all` items: what they counted now is new, whatever else fails (a record
    // that fails and comes again is not counted there again, so its metrics go out now or never).
    const fresh = new Set<string>();
    const counts = (delta: ItemDelta, counted: readonly Contribution[]) => {
      if (delta.scope === scopes.all) for (const c of counted) fresh.add(`${c.taskId}@${c.version}`);
    };
    await inParallel(mergeContributions(contributions), 8, async (delta: ItemDelta) => {
      try {
        counts(delta, await this.deps.aggregates.applyCounters(delta));
      } catch (error) {
        counts(delta, (error as { counted?: readonly Contribution[] }).counted ?? []);
        for (const p of owners.get(itemKey(delta)) ?? []) failed.set(p, error);
      }
    });

    // Resolution statistics: read, fold and write each key once.
    const byStats = new Map<string, { key: StatsKey; entries: Pending[] }>();
    for (const p of pending) {
      if (!countsInStats(p.change)) continue;
      for (const key of statsKeysOf(p.change)) {
        const group = byStats.get(statsId(key)) ?? { key, entries: [] };
        group.entries.push(p);
        byStats.set(statsId(key), group);
      }
    }
    await inParallel([...byStats.values()], 4, async ({ key, entries }) => {
      try {
        // Only openings (most of a storm's, every new alert's): one write that reads nothing.
        const openings = entries.map((e) => openingOf(e.change));
        if (
          openings.every((o): o is Opening => o !== undefined) &&
          (await this.deps.aggregates.countOpenings(key, openings, now.toISOString()))
        )
          return;
        await this.deps.aggregates.updateStats(
          key,
          (stats) =>
            foldStats(
              stats,
              entries.map((e) => e.change),
              now,
            ),
          entries.map((e) => e.change.task.id),
        );
      } catch (error) {
        for (const p of entries) failed.set(p, error);
      }
    });

    for (const p of pending) {
      const error = failed.get(p);
      if (error === undefined) p.resolve();
      else p.reject(error);
    }
    try {
      // Only what was counted for the first time: a record delivered again is not a second metric.
      const once = pending.map((p) => p.change).filter((c) => fresh.has(`${c.task.id}@${c.task.version}`));
      if (this.deps.metrics) recordFactMetrics(this.deps.metrics, once);
    } catch (error) {
      logger.warn('metrics not emitted for this batch', { error });
    }
    await this.#trends(
      pending.filter((p) => !failed.has(p)).map((p) => p.change),
      now,
    );
  }

  /** Trends of what had events in this batch. Derived, so a failure here fails no record: the next event reads again. */
  async #trends(changes: readonly TaskFacts[], now: Date): Promise<void> {
    const subjects = new Map<string, TrendSubject>();
    for (const { task, facts } of changes) {
      if (!facts.some((f) => f.type === 'occurred')) continue;
      // Read for every alert that fired, even its first time: its earlier tasks' events count in its window.
      if (task.fingerprint) {
        const scope = scopes.fingerprint(task.fingerprint);
        subjects.set(scope, {
          scope,
          kind: 'fingerprint',
          service: task.service,
          channel: task.channel,
          taskId: task.id,
          title: task.title,
        });
      }
      const scope = scopes.service(task.service);
      subjects.set(scope, {
        scope,
        kind: 'service',
        service: task.service,
        channel: routeService(task.service, this.deps.config).channel,
        taskId: null,
        title: task.service,
      });
    }
    if (subjects.size === 0) return;
    try {
      const started = await evaluateTrends(
        this.deps.aggregates,
        [...subjects.values()],
        now,
        this.deps.config.trends,
      );
      if (started.length > 0) await this.deps.postTrends?.(started, now);
    } catch (error) {
      logger.warn('trends not evaluated for this batch; the next events read them again', { error });
    }
  }
}

/**
 * The stream aggregator: a consumer of the task table's stream that keeps the counters, statistics and trend
 * episodes the reports read, so no report ever reads history. Partial failures are reported per record.
 */
export async function aggregate(
  deps: AggregatorDeps,
  event: DynamoDBStreamEvent,
  context?: Context,
): Promise<DynamoDBBatchResponse> {
  const group = new GroupCommit(deps);
  const processor = new BatchProcessor(EventType.DynamoDBStreams);
  const response = await processPartialResponse(
    event,
    (record: DynamoDBRecord) => group.add(record),
    processor,
    {
      ...(context ? { context } : {}),
      processInParallel: true,
      // A batch that failed as a whole is answered as failures too, rather than thrown: the same retry, one path.
      throwOnFullBatchFailure: false,
    },
  );
  await group.done();
  for (const error of processor.errors)
    if (error instanceof MalformedRecordError)
      logger.error('malformed stream record', { ...error.context, error });
  return response;
}

async function inParallel<T>(
  items: readonly T[],
  width: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(width, queue.length) }, async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) await work(next);
    }),
  );
}
