import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { rawOrder } from '../../core/ports.js';
import { shardOf } from '../../core/shard.js';
import { taskNumber } from '../../core/task.js';

/**
 * The one table of TMS, defined once: the DynamoDB adapter, the local stack, the tests and the CDK
 * stack all build it from here.
 *
 * | item               | pk                  | sk                   | gsi1 (pk / sk)                     | gsi2            | gsi3             |
 * |--------------------|---------------------|----------------------|------------------------------------|-----------------|------------------|
 * | task               | TASK#<n>            | TASK                 | STATUS#<status> / <n, padded>      | SERVICE#<svc>   | ASSIGNEE#<user>  |
 * | timeline entry     | TASK#<n>            | EVENT#<ver>#<seq>    |                                    |                 |                  |
 * | task id counter    | COUNTER#task        | COUNTER              |                                    |                 |                  |
 * | fingerprint index  | FP#<fingerprint>    | FP                   |                                    |                 |                  |
 * | raw event          | RAW#<src>#<id>      | RAW                  | RAW#PENDING#<0-7> / <received>#<src>#<id> (until processed; RAW#DEAD once given up on) |
 * | raw body chunk     | RAW#<src>#<id>      | RAW#CHUNK#<digest>#<i> | (TTL as its raw event; a body over 300 KB gzipped) |
 * | Alertmanager group | AMGROUP#<hash>      | GROUP                | AMGROUP#UNREPORTED / <oldest unreported>#<hash> (while one is) |
 * | Slack card         | CARD#<n>            | CARD                 | CARD#DUE / <retryAt>#<n> (while behind)                   |
 * | card audit cursor  | CARD#AUDIT          | CURSOR               |                                    |                 |                  |
 * | seen marker        | SEEN#<scope>#<key>  | SEEN                 | (TTL)                              |                 |                  |
 * | silence            | SILENCE#<id>        | SILENCE              | SILENCE#ACTIVE / <endsAt>#<id> (until lifted; TTL 30 d after its end) |
 * | hourly counters    | AGG#<scope>         | H#<yyyy-mm-ddThh>#<0-7> | (TTL 95 d; 8 shards by task)     |                 |                  |
 * | resolution stats   | AGG#svc:<service>   | FP#<fingerprint> or PRIO#<P1..P4> |                       |                 |                  |
 * | stats counted mark | AGG#APPLIED#<task>  | <stats pk>#<stats sk> | (TTL 3 h after it was counted)   |                 |                  |
 * | trend episode      | AGG#TRENDS          | <scope>              | (TTL 7 d after it last held)       |                 |                  |
 * | digest             | AGG#DIGEST#<channel>| DIGEST               |                                    |                 |                  |
 * | live connection    | LIVE#CONN#<0-3>     | <connectionId>       | (TTL 2 h, moved on by a ping; one partition, one query a batch) |
 * | live change        | LIVE#CHANGES#<yyyy-mm-ddThh> | <at>#<task id> | (TTL 2 h: what a reconnecting client catches up from) |
 * | schedule           | SCHED               | <SCH-id>             | SCHED#DUE / <nextRunAt>#<id> (while it has a next run; keys only) |
 * | schedule run       | SCHEDRUN#<SCH-id>   | <scheduledFor>       | (TTL 90 d after it was due; the run's lease and its history) |
 * | heartbeat          | HEARTBEAT           | <name>               | (one partition: the sweep lists them with one query a minute) |
 * | maintenance window | WINDOW              | <MW-id>              | (one partition: listed by one query, cached per container; TTL 30 d after its last end) |
 * | held alert         | WINDOW#HELD#<MW-id> | <occurrence start>#<fingerprint> | (TTL 30 d after the occurrence's end; the alert, bounded to 100 KB) |
 * | on-call override   | ONCALL#<team>       | OVR#<end>#<id>       | (TTL 14 d after its end; those not ended are one query from `OVR#<now>`) |
 *
 * Aggregator items (pk `AGG#…`) are never task items (sk `TASK`): the stream consumers read task items only,
 * so the aggregator's own writes never feed it again.
 */
/** What a silence item holds (src/adapters/dynamo/silence-store.ts): all of it is in gsi1, where they are listed. */
export const SILENCE_FIELDS = [
  'id',
  'matchers',
  'reason',
  'createdBy',
  'createdAt',
  'endsAt',
  'liftedAt',
  'liftedBy',
  'matched',
  'lastMatchedAt',
] as const;

export const TABLE = {
  defaultName: 'tms',
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds; DynamoDB deletes the item some time after. */
  ttlAttribute: 'ttl',
  /**
   * Each index holds its keys and what its queries read, never whole items: a write changes an index copy only
   * when it changes one of those (an occurrence changes none), and no body, timeline or card is copied. Task
   * lists read the keys, then the page's tasks by key (src/adapters/dynamo/task-store.ts `list`).
   */
  indexes: [
    {
      name: 'gsi1',
      partitionKey: 'gsi1pk',
      sortKey: 'gsi1sk',
      // STATUS#: keys only. RAW#PENDING / RAW#DEAD: the raw refs. AMGROUP#UNREPORTED: the group key.
      // CARD#DUE: the card's task and lease. SILENCE#ACTIVE: the silence (small, few).
      projection: {
        type: 'INCLUDE',
        attributes: [
          'source',
          'deliveryId',
          'receivedAt',
          'attempts',
          'deadAt',
          'key',
          'taskId',
          'lease',
          'leaseUntil',
          ...SILENCE_FIELDS,
        ],
      },
    },
    // SERVICE#: filtered by status.
    {
      name: 'gsi2',
      partitionKey: 'gsi2pk',
      sortKey: 'gsi2sk',
      projection: { type: 'INCLUDE', attributes: ['status'] },
    },
    // ASSIGNEE#: filtered by status and service.
    {
      name: 'gsi3',
      partitionKey: 'gsi3pk',
      sortKey: 'gsi3sk',
      projection: { type: 'INCLUDE', attributes: ['status', 'service'] },
    },
  ],
} as const satisfies {
  readonly defaultName: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly ttlAttribute: string;
  readonly indexes: readonly IndexSpec[];
};

/** One global secondary index: its keys, and what it copies of each item (`ProjectionType`). */
export interface IndexSpec {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly projection: {
    readonly type: 'ALL' | 'KEYS_ONLY' | 'INCLUDE';
    readonly attributes?: readonly string[];
  };
}

export type IndexName = (typeof TABLE.indexes)[number]['name'];

/** The CreateTable request for the local store and tests (infra builds the same table in CDK). */
export function createTableInput(tableName: string = TABLE.defaultName): CreateTableCommandInput {
  const keys = [
    TABLE.partitionKey,
    TABLE.sortKey,
    ...TABLE.indexes.flatMap((i) => [i.partitionKey, i.sortKey]),
  ];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: keys.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: TABLE.indexes.map((index) => ({
      IndexName: index.name,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ],
      Projection: {
        ProjectionType: index.projection.type,
        ...('attributes' in index.projection ? { NonKeyAttributes: [...index.projection.attributes] } : {}),
      },
    })),
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
  };
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** The sort key of a task's own item: what the stream's consumers (and their filters on AWS) look for. */
export const TASK_SK = 'TASK';

/** Every key TMS writes, in one place. Task numbers are padded so string order is number order. */
export const keys = {
  task: (id: string) => ({ pk: `TASK#${taskNumber(id)}`, sk: TASK_SK }),
  /** A deleted task's tombstone, beside where its item was (no index attributes, no stream consumer's sort key). */
  taskTombstone: (id: string) => ({ pk: `TASK#${taskNumber(id)}`, sk: 'DELETED' }),
  taskOrder: (id: string) => pad(taskNumber(id), 10),
  byStatus: (status: string) => `STATUS#${status}`,
  byService: (service: string) => `SERVICE#${service}`,
  byAssignee: (assignee: string) => `ASSIGNEE#${assignee}`,
  timelineEntry: (id: string, version: number, seq: number) => ({
    pk: `TASK#${taskNumber(id)}`,
    sk: `EVENT#${pad(version, 10)}#${pad(seq, 3)}`,
  }),
  timelinePrefix: 'EVENT#',
  counter: { pk: 'COUNTER#task', sk: 'COUNTER' },
  fingerprint: (fingerprint: string) => ({ pk: `FP#${fingerprint}`, sk: 'FP' }),
  raw: (source: string, deliveryId: string) => ({ pk: `RAW#${source}#${deliveryId}`, sk: 'RAW' }),
  /**
   * Unprocessed raw events spread over a few index partitions, so a storm of deliveries does not write one
   * hot GSI partition (about 1,000 writes a second each); the sweeper reads every shard.
   */
  rawPendingShards: 8,
  rawPending: (deliveryId: string) => `RAW#PENDING#${shardOf(deliveryId, 8)}`,
  rawPendingShard: (shard: number) => `RAW#PENDING#${shard}`,
  /** Deliveries given up on after too many attempts: few, listed for an operator's replay. */
  rawDead: 'RAW#DEAD',
  rawChunk: (digest: string, index: number) => `RAW#CHUNK#${digest}#${pad(index, 3)}`,
  rawChunkPrefix: (digest: string) => `RAW#CHUNK#${digest}#`,
  /** What one queued chunk of a delivery touched (its message's first alert's index), beside its raw item. */
  rawQueued: (index: number) => `RAW#QUEUED#${pad(index, 6)}`,
  rawQueuedPrefix: 'RAW#QUEUED#',
  rawOrder: (receivedAt: string, source: string, deliveryId: string) =>
    rawOrder({ receivedAt, source, deliveryId }),
  alertGroup: (key: string) => ({ pk: `AMGROUP#${key}`, sk: 'GROUP' }),
  alertGroupsUnreported: 'AMGROUP#UNREPORTED',
  card: (id: string) => ({ pk: `CARD#${taskNumber(id)}`, sk: 'CARD' }),
  cardsDue: 'CARD#DUE',
  cardOrder: (retryAt: string, id: string) => `${retryAt}#${pad(taskNumber(id), 10)}`,
  cardAudit: { pk: 'CARD#AUDIT', sk: 'CURSOR' },
  seen: (scope: string, key: string) => ({ pk: `SEEN#${scope}#${key}`, sk: 'SEEN' }),
  silence: (id: string) => ({ pk: `SILENCE#${id}`, sk: 'SILENCE' }),
  silencesActive: 'SILENCE#ACTIVE',
  hourly: (scope: string, hour: string, shard: number) => ({
    pk: `AGG#${keyPart(scope)}`,
    sk: `H#${hour}#${shard}`,
  }),
  hourlyPartition: (scope: string) => `AGG#${keyPart(scope)}`,
  /**
   * An issue's statistics: its issue key, or a fingerprint for the history of tasks written before issue
   * keys (the prefix is theirs, so both are one query; issue keys start `issue:`, which no fingerprint does).
   */
  issueStats: (service: string, issue: string) => ({
    pk: `AGG#svc:${keyPart(service)}`,
    sk: `FP#${keyPart(issue)}`,
  }),
  issueStatsPrefix: 'FP#',
  serviceStats: (service: string, priority: string) => ({
    pk: `AGG#svc:${keyPart(service)}`,
    sk: `PRIO#${priority}`,
  }),
  servicePartition: (service: string) => `AGG#svc:${keyPart(service)}`,
  /** The version of a task a statistics item counted, once that item no longer keeps it (one per task). */
  statsApplied: (stats: { pk: string; sk: string }, taskId: string) => ({
    pk: `AGG#APPLIED#${keyPart(taskId)}`,
    sk: `${stats.pk}#${stats.sk}`,
  }),
  trends: 'AGG#TRENDS',
  trend: (scope: string) => ({ pk: 'AGG#TRENDS', sk: keyPart(scope) }),
  digest: (channel: string) => ({ pk: `AGG#DIGEST#${channel}`, sk: 'DIGEST' }),
  /**
   * WebSocket connections, in one partition: the pusher lists them with one query per stream batch (never a
   * scan, never an index whose projection would have to carry who each connection is). One, not several: the
   * listing is paid for every batch of task changes, the partition's write bound (1,000 a second) only by
   * dashboards connecting. More shards (`shardOf(id, n)`) when connections number in the tens of thousands.
   */
  liveConnectionShards: 1,
  liveConnection: (id: string) => ({ pk: `LIVE#CONN#${shardOf(id, 1)}`, sk: id }),
  liveConnections: (shard: number) => `LIVE#CONN#${shard}`,
  liveChanges: (hour: string) => `LIVE#CHANGES#${hour}`,
  /** Schedules, in one partition (hundreds at most: listing them is one query). */
  schedule: (id: string) => ({ pk: 'SCHED', sk: id }),
  schedulesPartition: 'SCHED',
  schedulesDue: 'SCHED#DUE',
  scheduleRun: (id: string, scheduledFor: string) => ({ pk: `SCHEDRUN#${id}`, sk: scheduledFor }),
  scheduleRunsOf: (id: string) => `SCHEDRUN#${id}`,
  /** Heartbeats, in one partition (tens, hundreds at most: the sweep lists them with one query a minute). */
  heartbeat: (name: string) => ({ pk: 'HEARTBEAT', sk: name }),
  heartbeatsPartition: 'HEARTBEAT',
  /** Maintenance windows, in one partition (a hundred or so: every alert reads the list, through a cache). */
  window: (id: string) => ({ pk: 'WINDOW', sk: id }),
  windowsPartition: 'WINDOW',
  /** What one occurrence of a window held, one item per fingerprint (fingerprints are bounded to 512 bytes). */
  heldAlert: (windowId: string, occurrenceStart: string, fingerprint: string) => ({
    pk: `WINDOW#HELD#${windowId}`,
    sk: `${occurrenceStart}#${keyPart(fingerprint)}`,
  }),
  heldOfWindow: (windowId: string) => `WINDOW#HELD#${windowId}`,
  heldOfOccurrence: (occurrenceStart: string) => `${occurrenceStart}#`,
  /** A team's on-call overrides (issue 19), in its own partition sorted by end: few, one query. */
  oncallOverride: (team: string, end: string, id: string) => ({
    pk: `ONCALL#${team}`,
    sk: `OVR#${end}#${id}`,
  }),
  oncallOf: (team: string) => `ONCALL#${team}`,
  oncallOverridePrefix: 'OVR#',
} as const;

/**
 * A part of a key that stays within DynamoDB's key sizes (a sort key is at most 1,024 bytes): fingerprints may
 * be long, so one above 400 bytes is shortened to a prefix and a hash of the whole.
 */
function keyPart(text: string): string {
  if (Buffer.byteLength(text) <= 400) return text;
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(text)) hash = BigInt.asUintN(64, (hash ^ BigInt(byte)) * 0x100000001b3n);
  return `${Buffer.from(text)
    .subarray(0, 300)
    .toString('utf8')
    .replace(/\uFFFD$/, '')}…${hash.toString(16)}`;
}
