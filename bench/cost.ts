/**
 * What a million alerts cost on AWS, and an idle month, computed from the counts `npm run bench` measured
 * (DynamoDB requests and capacity units per alert, SQS messages per delivery) and the prices below. The
 * durations of the functions are not measured here (the local stack runs them all in one process on two
 * cores): they are assumptions, named with their figure, so the table can be recomputed with better ones.
 */

/** us-east-1 list prices without free tiers, as of 2025 (check your region's pricing pages). */
export const PRICES = {
  dynamoWriteUnit: 0.625 / 1e6,
  dynamoReadUnit: 0.125 / 1e6,
  sqsRequest: 0.4 / 1e6,
  lambdaRequest: 0.2 / 1e6,
  /** arm64 */
  lambdaGbSecond: 0.0000133334,
  httpApiRequest: 1 / 1e6,
  logsPerGb: 0.5,
  /** a month */
  secret: 0.4,
  alarm: 0.1,
  dashboard: 3,
  customMetric: 0.3,
  kmsKey: 1,
  storagePerGb: 0.25,
  backupPerGb: 0.2,
} as const;

/** What one alert costs, as counted; every figure is per alert. */
export interface AlertCounts {
  /** Write and read capacity units (DynamoDB Local's ConsumedCapacity, or the request count where unknown). */
  readonly writeUnits: number;
  readonly readUnits: number;
  /** SQS requests: a send, a receive and a delete per message when quiet, shared by up to 10 in a batch. */
  readonly sqsRequests: number;
  /** Function invocations and their GB-seconds (assumed durations). */
  readonly invocations: number;
  readonly gbSeconds: number;
  /** HTTP API requests (the sender's POST; none for AWS-invoked sources). */
  readonly httpRequests: number;
  /** CloudWatch Logs ingested, KB. */
  readonly logKb: number;
}

export interface CostLine {
  readonly dynamo: number;
  readonly sqs: number;
  readonly lambda: number;
  readonly http: number;
  readonly logs: number;
  readonly total: number;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** Dollars per million alerts of that kind. */
export function perMillion(counts: AlertCounts): CostLine {
  const m = 1e6;
  const dynamo = m * (counts.writeUnits * PRICES.dynamoWriteUnit + counts.readUnits * PRICES.dynamoReadUnit);
  const sqs = m * counts.sqsRequests * PRICES.sqsRequest;
  const lambda = m * (counts.invocations * PRICES.lambdaRequest + counts.gbSeconds * PRICES.lambdaGbSecond);
  const http = m * counts.httpRequests * PRICES.httpApiRequest;
  const logs = ((m * counts.logKb) / 2 ** 20) * PRICES.logsPerGb;
  return {
    dynamo: round2(dynamo),
    sqs: round2(sqs),
    lambda: round2(lambda),
    http: round2(http),
    logs: round2(logs),
    total: round2(dynamo + sqs + lambda + http + logs),
  };
}

/** Function work per alert, from assumed warm durations at `memoryMb` (see the README's cost section). */
export function functionWork(durationsMs: readonly number[], memoryMb = 512) {
  return {
    invocations: durationsMs.length,
    gbSeconds: durationsMs.reduce((sum, ms) => sum + (ms / 1000) * (memoryMb / 1024), 0),
  };
}

export interface IdleFigures {
  readonly secrets: number;
  readonly alarms: number;
  readonly dashboards: number;
  readonly customMetrics: number;
  readonly kmsKeys: number;
  /** The per-minute sweeper's runs a month and their assumed duration. */
  readonly sweeperMs: number;
  /** The dead-letter monitor: every 5 minutes. */
  readonly monitorMs: number;
  /** Read units of one empty sweep (its queries of empty indexes). */
  readonly sweepReadUnits: number;
  /** SQS requests an event source mapping's pollers make on an empty queue in a month (long polls of 20 s). */
  readonly idlePollRequests: number;
  readonly storageGb: number;
}

/** Dollars for a month with no alert, and what of it is fixed (not storage). */
export function idleMonth(f: IdleFigures) {
  const minutes = 30 * 24 * 60;
  const sweeps = functionWork(Array(minutes).fill(f.sweeperMs));
  const monitors = functionWork(Array(minutes / 5).fill(f.monitorMs), 256);
  const fixed =
    f.secrets * PRICES.secret +
    f.alarms * PRICES.alarm +
    f.dashboards * PRICES.dashboard +
    f.customMetrics * PRICES.customMetric +
    f.kmsKeys * PRICES.kmsKey;
  const work =
    (sweeps.invocations + monitors.invocations) * PRICES.lambdaRequest +
    (sweeps.gbSeconds + monitors.gbSeconds) * PRICES.lambdaGbSecond +
    minutes * f.sweepReadUnits * PRICES.dynamoReadUnit +
    f.idlePollRequests * PRICES.sqsRequest;
  const storage = f.storageGb * (PRICES.storagePerGb + PRICES.backupPerGb);
  return {
    fixed: round2(fixed),
    work: round2(work),
    storage: round2(storage),
    total: round2(fixed + work + storage),
  };
}
