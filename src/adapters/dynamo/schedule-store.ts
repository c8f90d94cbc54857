import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import type { RunLease, ScheduleStore } from '../../core/ports.js';
import type { RunSummary, Schedule, ScheduleRun, ScheduleStatus } from '../../core/schedule.js';
import { conditional, pick, queryAll, send, updateOrOld } from './calls.js';
import { keys, TABLE } from './table.js';

const SCHEDULE_FIELDS = [
  'id',
  'title',
  'at',
  'every',
  'timezone',
  'action',
  'channel',
  'url',
  'priority',
  'service',
  'assignee',
  'status',
  'nextRunAt',
  'lastRun',
  'createdBy',
  'createdAt',
  'origin',
  'version',
] as const satisfies readonly (keyof Schedule)[];

const RUN_FIELDS = [
  'scheduleId',
  'scheduledFor',
  'status',
  'startedAt',
  'finishedAt',
  'error',
  'taskId',
  'attempts',
  'late',
  'skipped',
  'begun',
] as const satisfies readonly (keyof ScheduleRun)[];

/** A run is kept this long after it was due: a schedule's history, then DynamoDB's TTL removes it. */
const RUN_KEEP_MS = 90 * 86_400_000;

const toSchedule = (item: Record<string, unknown>) =>
  ({
    nextRunAt: null,
    lastRun: null,
    ...(pick(item, SCHEDULE_FIELDS) as Record<string, unknown>),
  }) as unknown as Schedule;
const toRun = (item: Record<string, unknown>) => pick(item, RUN_FIELDS) as unknown as ScheduleRun;

/** Where a schedule with a next run sits in the due index: its time, then its id (both fixed-size). */
const dueIndex = (schedule: Pick<Schedule, 'id' | 'nextRunAt'>) =>
  schedule.nextRunAt === null
    ? {}
    : { gsi1pk: keys.schedulesDue, gsi1sk: `${schedule.nextRunAt}#${schedule.id}` };

/**
 * Schedules and runs in the task table (issue 18). Schedules share one partition (few: hundreds), so listing
 * them is one query; the due ones are found in a sparse index ordered by next run, so a sweep reads only what
 * is due. A run item is its own lease: whoever writes it first runs it, and it stays, for the history.
 */
export class DynamoScheduleStore implements ScheduleStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string = TABLE.defaultName,
  ) {}

  async createSchedule(schedule: Schedule): Promise<void> {
    await send(() =>
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.schedule(schedule.id), type: 'schedule', ...schedule, ...dueIndex(schedule) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  async getSchedule(id: string): Promise<Schedule | undefined> {
    const { Item } = await send(() =>
      this.db.send(
        new GetCommand({ TableName: this.tableName, Key: keys.schedule(id), ConsistentRead: true }),
      ),
    );
    return Item ? toSchedule(Item) : undefined;
  }

  async listSchedules(): Promise<Schedule[]> {
    const items = await queryAll(this.db, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.schedulesPartition },
      ConsistentRead: true,
    });
    const order = (s: Schedule) => `${s.nextRunAt ?? '~'}#${s.id}`;
    return items.map(toSchedule).sort((a, b) => (order(a) < order(b) ? -1 : 1));
  }

  async dueSchedules(now: string, limit: number): Promise<Schedule[]> {
    // The index holds keys only; each due schedule is then read by key, consistently, so a sweep never runs
    // from a copy the index has not caught up on.
    const page = await send(() =>
      this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :due AND gsi1sk <= :now',
          // Past every `<now>#<id>`: a schedule due at this very moment is due.
          ExpressionAttributeValues: { ':due': keys.schedulesDue, ':now': `${now}#~` },
          Limit: limit,
        }),
      ),
    );
    const read = await Promise.all((page.Items ?? []).map((item) => this.getSchedule(String(item.sk))));
    return read.filter((s): s is Schedule => s !== undefined && s.nextRunAt !== null && s.nextRunAt <= now);
  }

  deleteSchedule(id: string): Promise<boolean> {
    return conditional(() =>
      this.db.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.schedule(id),
          ConditionExpression: 'attribute_exists(pk)',
        }),
      ),
    );
  }

  async advanceSchedule(
    id: string,
    expectedNextRunAt: string,
    change: { nextRunAt: string | null; lastRun: RunSummary; status: ScheduleStatus },
  ): Promise<boolean> {
    const next = change.nextRunAt;
    const outcome = await updateOrOld(this.db, {
      TableName: this.tableName,
      Key: keys.schedule(id),
      UpdateExpression:
        next === null
          ? 'SET nextRunAt = :next, lastRun = :last, #status = :status, version = version + :one REMOVE gsi1pk, gsi1sk'
          : 'SET nextRunAt = :next, lastRun = :last, #status = :status, version = version + :one, gsi1pk = :due, gsi1sk = :order',
      ConditionExpression: 'nextRunAt = :expected',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':next': next,
        ':last': change.lastRun,
        ':status': change.status,
        ':one': 1,
        ':expected': expectedNextRunAt,
        ...(next === null ? {} : { ':due': keys.schedulesDue, ':order': `${next}#${id}` }),
      },
    });
    return 'written' in outcome;
  }

  async beginRun(run: ScheduleRun, holder: string, leaseUntil: string, now: string): Promise<RunLease> {
    const key = keys.scheduleRun(run.scheduleId, run.scheduledFor);
    // What the run starts with is set only where a holder before did not: one taking over keeps its task id.
    // `begun` counts the sweepers that began it: this store's to keep, whatever the caller says.
    const { begun: _begun, ...starting } = run;
    const fields = pick(starting as unknown as Record<string, unknown>, RUN_FIELDS);
    const names: Record<string, string> = {
      '#holder': 'holder',
      '#lease': 'leaseUntil',
      '#ttl': TABLE.ttlAttribute,
      '#begun': 'begun',
    };
    const values: Record<string, unknown> = {
      ':holder': holder,
      ':lease': leaseUntil,
      ':now': now,
      ':running': 'running',
      ':ttl': Math.floor((Date.parse(run.scheduledFor) + RUN_KEEP_MS) / 1000),
      ':zero': 0,
      ':one': 1,
    };
    const sets = [
      '#holder = :holder',
      '#lease = :lease',
      '#ttl = :ttl',
      '#begun = if_not_exists(#begun, :zero) + :one',
    ];
    for (const [field, value] of Object.entries(fields)) {
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      sets.push(`#${field} = if_not_exists(#${field}, :${field})`);
    }
    const outcome = await updateOrOld(this.db, {
      TableName: this.tableName,
      Key: key,
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: 'attribute_not_exists(pk) OR (#status = :running AND #lease <= :now)',
      ExpressionAttributeNames: { ...names, '#status': 'status' },
      ExpressionAttributeValues: values,
      ReturnValues: 'ALL_NEW',
    });
    if ('written' in outcome) return { outcome: 'begun', run: toRun(outcome.written) };
    const old =
      outcome.old ??
      (
        await send(() =>
          this.db.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true })),
        )
      ).Item;
    // Gone between the refusal and the read: only its TTL removes a run, long after it mattered.
    if (!old) return { outcome: 'in-progress' };
    return old.status === 'running' ? { outcome: 'in-progress' } : { outcome: 'done', run: toRun(old) };
  }

  async noteRunTask(
    scheduleId: string,
    scheduledFor: string,
    holder: string,
    taskId: string,
  ): Promise<boolean> {
    const outcome = await updateOrOld(this.db, {
      TableName: this.tableName,
      Key: keys.scheduleRun(scheduleId, scheduledFor),
      UpdateExpression: 'SET taskId = :task',
      ConditionExpression: 'holder = :holder AND #status = :running',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':task': taskId, ':holder': holder, ':running': 'running' },
    });
    return 'written' in outcome;
  }

  async finishRun(run: ScheduleRun, holder: string): Promise<boolean> {
    const fields = pick(run as unknown as Record<string, unknown>, RUN_FIELDS);
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = { ':holder': holder, ':running': 'running' };
    const sets: string[] = [];
    for (const [field, value] of Object.entries(fields)) {
      if (field === 'scheduleId' || field === 'scheduledFor') continue;
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      sets.push(`#${field} = :${field}`);
    }
    const outcome = await updateOrOld(this.db, {
      TableName: this.tableName,
      Key: keys.scheduleRun(run.scheduleId, run.scheduledFor),
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: 'holder = :holder AND #status = :running',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
    return 'written' in outcome;
  }

  async listRuns(scheduleId: string, limit: number): Promise<ScheduleRun[]> {
    const page = await send(() =>
      this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': keys.scheduleRunsOf(scheduleId) },
          ScanIndexForward: false,
          Limit: limit,
          ConsistentRead: true,
        }),
      ),
    );
    return (page.Items ?? []).map(toRun);
  }
}
