/**
 * `npm run bench`: how fast the local stack takes alerts, and what each costs in DynamoDB requests.
 * Prints a table and writes bench/results.json. Not part of `npm test`: figures, not pass/fail.
 *
 *   BENCH_EVENTS=300 BENCH_CONCURRENCY=8 npm run bench
 */
import { writeFileSync } from 'node:fs';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { LOCAL_AWS, startEmbeddedDynamo } from '../src/local/embedded-dynamo.js';
import { startLocalStack } from '../src/local/stack.js';
import { aggregatorPerChange, aggregatorThroughput, digestScaling } from './aggregator.js';
import { alertmanagerGroup } from './alertmanager-group.js';
import { functionWork, idleMonth, perMillion } from './cost.js';
import { hostileInputs, printHostile } from './hostile.js';
import { bundleFigures, clickLatencyUnderStorm, slackTimings } from './slack.js';
import { storm } from './storm.js';
import { wcuPerAlert } from './wcu.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 300);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const COMMANDS = Number(process.env.BENCH_COMMANDS ?? 100);
const CLICKS = Number(process.env.BENCH_CLICKS ?? 40);
const STORM = Number(process.env.BENCH_STORM_ALERTS ?? 10_000);
const RECORDS = Number(process.env.BENCH_STREAM_RECORDS ?? 10_000);
const GROUPS = Number(process.env.BENCH_GROUPS ?? 3);

if (process.argv.slice(2).some((arg) => arg === '--help' || arg === '-h')) {
  console.log(`Usage: [BENCH_…=n …] npm run bench

How fast the local stack takes alerts, commands and clicks, and what each costs in DynamoDB requests: prints a
table and writes bench/results.json. It starts its own stacks (no npm start needed) and takes a few minutes.

  BENCH_EVENTS          alerts sent (default 300)
  BENCH_CONCURRENCY     of them at once (default 8)
  BENCH_COMMANDS        slash commands (default 100)
  BENCH_CLICKS          button clicks (default 40)
  BENCH_STORM_ALERTS    alerts of the storm (default 10000)
  BENCH_STREAM_RECORDS  stream records through the aggregator (default 10000)
  BENCH_GROUPS          300-alert Alertmanager groups sent one task per alert (default 3)`);
  process.exit(0);
}

interface Row {
  name: string;
  count: number;
  /** Requests answered a second. */
  perSecond: number;
  /** Alerts recorded a second, from the first request until everything they set off (queue, cards, counting) is done. */
  endToEndPerSecond?: number;
  /** Of the raw dynalite puts a second of the same run. */
  ofRaw?: number;
  p50ms: number;
  p95ms: number;
  p99ms?: number;
  dynamoRequestsPerEvent?: number;
  dynamoWritesPerEvent?: number;
  dynamoByOperation?: Record<string, number>;
}

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/** Runs `count` calls of `work` with `concurrency` in flight; their latencies and the wall time. */
async function measure(count: number, concurrency: number, work: (i: number) => Promise<void>) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const t = performance.now();
        await work(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    perSecond: count / seconds,
    p50ms: percentile(latencies, 50),
    p95ms: percentile(latencies, 95),
    p99ms: percentile(latencies, 99),
  };
}

async function rawDynalitePuts(): Promise<Row> {
  const dynamo = await startEmbeddedDynamo({ tableName: 'bench-raw' });
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: dynamo.endpoint });
  const result = await measure(EVENTS, CONCURRENCY, async (i) => {
    await client.send(
      new PutItemCommand({
        TableName: 'bench-raw',
        Item: { pk: { S: `BENCH#${i}` }, sk: { S: 'ITEM' }, title: { S: `item ${i}` }, n: { N: String(i) } },
      }),
    );
  });
  client.destroy();
  await dynamo.close();
  return { name: 'dynalite PutItem (raw, no TMS)', count: EVENTS, ...result, dynamoRequestsPerEvent: 1 };
}

async function main(): Promise<void> {
  const raw = await rawDynalitePuts();
  const stack = await startLocalStack({ env: { ...process.env, PORT: '0', TMS_TICK: '1h' } });
  const send = async (dedupKey: string) => {
    const response = await fetch(`${stack.url}/ingest/generic`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        routing_key: stack.secrets.INGEST_TOKEN,
        event_action: 'trigger',
        dedup_key: dedupKey,
        payload: {
          summary: `Bench alert ${dedupKey}`,
          source: 'bench',
          severity: 'error',
          component: 'checkout',
        },
      }),
    });
    if (response.status !== 202)
      throw new Error(`ingest answered ${response.status}: ${await response.text()}`);
  };
  const requestsSoFar = () => new Map(stack.feed.requests);
  /**
   * `count` requests, `concurrency` in flight: how fast they are answered, and how fast the alerts are recorded
   * end to end (until the queue, the cards and the counting they set off are done), with every DynamoDB request
   * they cost in that time, card and counting included.
   */
  const phase = async (
    name: string,
    work: (i: number) => Promise<void>,
    count = EVENTS,
    concurrency = CONCURRENCY,
  ): Promise<Row> => {
    await stack.idle();
    const before = requestsSoFar();
    const started = performance.now();
    const result = await measure(count, concurrency, work);
    await stack.idle();
    const seconds = (performance.now() - started) / 1000;
    const byOperation: Record<string, number> = {};
    let total = 0;
    let writes = 0;
    for (const [operation, n] of stack.feed.requests) {
      const delta = n - (before.get(operation) ?? 0);
      if (delta > 0) {
        byOperation[operation] = Number((delta / count).toFixed(2));
        total += delta;
        if (WRITES.has(operation)) writes += delta;
      }
    }
    return {
      name,
      count,
      ...result,
      endToEndPerSecond: count / seconds,
      ofRaw: count / seconds / raw.perSecond,
      dynamoRequestsPerEvent: Number((total / count).toFixed(2)),
      dynamoWritesPerEvent: Number((writes / count).toFixed(2)),
      dynamoByOperation: byOperation,
    };
  };

  await send('warm-up'); // the first request loads the handler, as a cold start would
  const single = await phase('ingest, one new alert at a time (answer)', (i) => send(`single-${i}`), 100, 1);
  const fresh = await phase('ingest, new alert each (opens a task)', (i) => send(`new-${i}`));
  const duplicate = await phase('ingest, one alert repeated (appends)', () => send('the-same-alert'));
  const slack = await slackTimings(stack, COMMANDS, CLICKS);
  // The same click while alerts keep arriving: a person's card edit is not to wait behind a storm's.
  const underStorm = await clickLatencyUnderStorm(stack, CLICKS, 600);
  const hostile = await hostileInputs(stack);
  // One task per Alertmanager group (the default): a 300-alert group is one alert.
  const grouped = await alertmanagerGroup(stack, 300);
  const memory = process.memoryUsage();
  await stack.close();
  // One task per alert (`grouping: alert`), as the storm has measured from the start: the per-alert figures,
  // and the 300-alert group answered within its budget with the rest recorded after the answer.
  const perAlert = await startLocalStack({
    env: { ...process.env, PORT: '0', TMS_TICK: '1h', TMS_CONFIG: 'bench/alert-mode.config.yaml' },
  });
  const alertStorm = await storm(perAlert, STORM, CONCURRENCY);
  const perAlertGroups = [];
  for (let i = 0; i < GROUPS; i++) perAlertGroups.push(await alertmanagerGroup(perAlert, 300));
  const answers = perAlertGroups.map((g) => g.answerMs).sort((a, b) => a - b);
  const group = {
    group: grouped,
    alert: {
      ...(perAlertGroups.at(-1) as (typeof perAlertGroups)[number]),
      runs: GROUPS,
      answerP50Ms: percentile(answers, 50),
      answerP99Ms: percentile(answers, 99),
      allRecordedMs: Math.max(...perAlertGroups.map((g) => g.allRecordedMs)),
      tasksEach: perAlertGroups.map((g) => g.tasks),
    },
  };
  await perAlert.close();
  const bundles = await bundleFigures();
  const wcu = await wcuPerAlert();
  const aggregator = [await aggregatorThroughput(RECORDS, 1), await aggregatorThroughput(RECORDS, 100)];
  const digest = await digestScaling();
  const perChange = await aggregatorPerChange();

  const rows = [raw, single, fresh, duplicate];

  // AWS cost per million alerts from these counts. Measured: DynamoDB requests and writes per alert (above), the
  // ingest path's write units on DynamoDB Local (bench/wcu.ts). Assumed, and said in the README: a card's or the
  // counting's write is one unit (their items are under 1 KB), a read request one read unit (strongly consistent,
  // under 4 KB), the functions' warm durations below at 512 MB, 0.6 KB of logs an invocation, SQS a send, a
  // receive and a delete a message when quiet (1 each: a delivery's alerts share one message up to ten).
  const INGEST_WRITES_NEW = 4; // archive, the fingerprint's one-write bind, the task, the archive marked processed
  const INGEST_WRITES_REPEAT = 3; // archive, the counted occurrence, the archive marked processed
  const units = (row: Row, ingestWrites: number, ingestWcu: number | null) => {
    const writes = row.dynamoWritesPerEvent ?? 0;
    const reads = (row.dynamoRequestsPerEvent ?? 0) - writes;
    const rest = Math.max(0, writes - ingestWrites);
    return { writeUnits: (ingestWcu ?? ingestWrites * 2) + rest, readUnits: reads };
  };
  const costNew = perMillion({
    ...units(fresh, INGEST_WRITES_NEW, wcu.newAlert),
    sqsRequests: 3,
    // ingest 40 ms, processor 80 ms, card projector 400 ms (two Slack calls), aggregator 100 ms
    ...functionWork([40, 80, 400, 100]),
    httpRequests: 1,
    logKb: 4 * 0.6 + 0.5,
  });
  const costRepeat = perMillion({
    ...units(duplicate, INGEST_WRITES_REPEAT, wcu.repeat),
    sqsRequests: 3,
    // ingest 40 ms, processor 40 ms, a card edit 300 ms, the aggregator 100 ms (each in full: a quiet system)
    ...functionWork([40, 40, 300, 100]),
    httpRequests: 1,
    logKb: 4 * 0.6 + 0.5,
  });
  // A storm's copy: 20 alerts a delivery share its request, its message and its two invocations.
  const costDuplicate = perMillion({
    writeUnits: alertStorm.duplicateAlert.writes * 2,
    readUnits: alertStorm.duplicateAlert.requests - alertStorm.duplicateAlert.writes,
    sqsRequests: 3 / 20,
    ...functionWork([40 / 20, 200 / 20]),
    httpRequests: 1 / 20,
    logKb: (2 * 0.6 + 0.5) / 20,
  });
  const idle = idleMonth({
    secrets: 5,
    alarms: 29,
    dashboards: 1,
    customMetrics: 2,
    kmsKeys: 1,
    sweeperMs: 300,
    monitorMs: 200,
    sweepReadUnits: 6,
    // Lambda's SQS pollers long-poll an empty queue: about five of them, a request each 20 s (estimated, not billed
    // separately from the first million a month SQS does not charge).
    idlePollRequests: 5 * 3 * 60 * 24 * 30,
    storageGb: 1,
  });
  const results = {
    at: new Date().toISOString(),
    node: process.version,
    events: EVENTS,
    concurrency: CONCURRENCY,
    rssMiB: Math.round(memory.rss / 2 ** 20),
    heapUsedMiB: Math.round(memory.heapUsed / 2 ** 20),
    rows: rows.map((r) => ({
      ...r,
      perSecond: Math.round(r.perSecond),
      ...(r.endToEndPerSecond !== undefined ? { endToEndPerSecond: Math.round(r.endToEndPerSecond) } : {}),
      ...(r.ofRaw !== undefined ? { ofRaw: Number(r.ofRaw.toFixed(3)) } : {}),
      p50ms: Number(r.p50ms.toFixed(1)),
      p95ms: Number(r.p95ms.toFixed(1)),
      ...(r.p99ms !== undefined ? { p99ms: Number(r.p99ms.toFixed(1)) } : {}),
    })),
    slack: slack.map((t) => ({
      ...t,
      perSecond: Number.isNaN(t.perSecond) ? null : Math.round(t.perSecond),
      p50ms: Number(t.p50ms.toFixed(1)),
      p95ms: Number(t.p95ms.toFixed(1)),
      p99ms: Number(t.p99ms.toFixed(1)),
    })),
    slackUnderStorm: {
      ...underStorm,
      p50ms: Number(underStorm.p50ms.toFixed(1)),
      p95ms: Number(underStorm.p95ms.toFixed(1)),
      p99ms: Number(underStorm.p99ms.toFixed(1)),
    },
    bundles: { ...bundles, ratio: Number((bundles.tmsBot.importMs / bundles.bareBolt.importMs).toFixed(2)) },
    wcu,
    cost: { newAlert: costNew, repeat: costRepeat, duplicate: costDuplicate, idleMonth: idle },
    storm: alertStorm,
    alertmanagerGroup: group,
    hostile,
    aggregator,
    aggregatorPerChange: perChange,
    digest,
  };
  writeFileSync('bench/results.json', `${JSON.stringify(results, null, 2)}\n`);

  print([
    [
      'benchmark',
      'events',
      'answered/s',
      'recorded/s',
      'of raw',
      'p50 ms',
      'p95 ms',
      'p99 ms',
      'DynamoDB req/event',
      'writes/event',
    ],
    ...results.rows.map((r) => [
      r.name,
      String(r.count),
      String(r.perSecond),
      String(r.endToEndPerSecond ?? ''),
      String(r.ofRaw ?? ''),
      String(r.p50ms),
      String(r.p95ms),
      String(r.p99ms ?? ''),
      String(r.dynamoRequestsPerEvent ?? ''),
      String(r.dynamoWritesPerEvent ?? ''),
    ]),
  ]);
  for (const r of results.rows)
    if (r.dynamoByOperation) console.log(`  ${r.name}: ${JSON.stringify(r.dynamoByOperation)}`);
  console.log('');
  print([
    ['Slack, one request at a time', 'count', 'per second', 'p50 ms', 'p95 ms', 'p99 ms'],
    ...results.slack.map((t) => [
      t.name,
      String(t.count),
      t.perSecond === null ? '' : String(t.perSecond),
      String(t.p50ms),
      String(t.p95ms),
      String(t.p99ms),
    ]),
  ]);
  console.log('');
  print([
    ['bundle (esm, minified, node22, split as deployed)', 'eager KB', 'total KB', 'import ms', 'x bare Bolt'],
    ...(
      [
        ['TMS bot Lambda (src/handlers/bot.ts)', bundles.tmsBot],
        ['bare Bolt app, same receiver', bundles.bareBolt],
        ...(bundles.bareBoltWithStubs
          ? [['bare Bolt with the bot’s stubs', bundles.bareBoltWithStubs] as const]
          : []),
      ] as const
    ).map(([name, b]) => [
      name,
      String(Math.round(b.bytes / 1024)),
      String(Math.round(b.totalBytes / 1024)),
      String(b.importMs),
      (b.importMs / bundles.bareBolt.importMs).toFixed(2),
    ]),
  ]);
  console.log('');
  print([
    ['Acknowledge click → card edited', 'p50 ms', 'p95 ms', 'p99 ms'],
    ...results.slack
      .filter((t) => t.name.includes('card edited'))
      .map((t) => ['alone', String(t.p50ms), String(t.p95ms), String(t.p99ms)]),
    [
      `while ${underStorm.stormAlerts} alerts arrive (${Math.round(underStorm.stormPerSecond)}/s)`,
      String(results.slackUnderStorm.p50ms),
      String(results.slackUnderStorm.p95ms),
      String(results.slackUnderStorm.p99ms),
    ],
  ]);
  console.log('');
  console.log(
    `DynamoDB write units (DynamoDB Local, the ingest path): new alert ${wcu.newAlert ?? 'not measured (no Java/emulator)'}, repeat ${wcu.repeat ?? '-'}`,
  );
  print([
    [
      'AWS $ per million alerts (see README: What it costs)',
      'DynamoDB',
      'SQS',
      'Lambda',
      'HTTP API',
      'logs',
      'total',
    ],
    ...(
      [
        ['new alert (opens a task, posts its card)', costNew],
        ['repeat (appends)', costRepeat],
        ['duplicate in a storm', costDuplicate],
      ] as const
    ).map(([name, c]) => [
      name,
      String(c.dynamo),
      String(c.sqs),
      String(c.lambda),
      String(c.http),
      String(c.logs),
      String(c.total),
    ]),
  ]);
  console.log(
    `idle month: $${idle.total} (fixed $${idle.fixed}: secrets, alarms, dashboard, metrics, key; work $${idle.work}; storage $${idle.storage})`,
  );
  console.log('');
  const s = alertStorm;
  console.log(
    [
      `Alertmanager storm: ${s.alerts} alerts in ${s.deliveries} deliveries (20 fingerprints, two HA peers, shuffled)`,
      `  ${s.alertsPerSecond} alerts/s; held: ${s.openTasks} open tasks, ${s.cards} cards`,
      `  DynamoDB per new alert: ${s.newAlert.requests} requests (${s.newAlert.writes} writes), card included`,
      `  DynamoDB per duplicate alert: ${s.duplicateAlert.requests} requests (${s.duplicateAlert.writes} writes)`,
      `  Slack calls for the whole storm: ${JSON.stringify(s.slackCalls)}`,
    ].join('\n'),
  );
  console.log('');
  print([
    ['300-alert Alertmanager group', 'status', 'ms'],
    ...(['group', 'alert'] as const).flatMap((mode) => [
      [`grouping: ${mode}: time to answer`, String(group[mode].status), String(group[mode].answerMs)],
      [
        `grouping: ${mode}: until all recorded (${group[mode].tasks} tasks)`,
        '',
        String(group[mode].allRecordedMs),
      ],
    ]),
  ]);
  console.log(
    `  grouping: alert, ${group.alert.runs} groups: answered p50 ${group.alert.answerP50Ms} ms, p99 ${group.alert.answerP99Ms} ms; tasks each: ${group.alert.tasksEach.join(', ')}`,
  );
  console.log('');
  printHostile(hostile);
  console.log('');
  print([
    [
      'stream aggregator, batches of 100',
      'records',
      'tasks',
      'records/s',
      'DynamoDB req/record',
      'writes/record',
    ],
    ...aggregator.map((a) => [
      a.tasks === 1 ? 'one alert storming' : `${a.tasks} alerts at once`,
      String(a.records),
      String(a.tasks),
      String(a.recordsPerSecond),
      String(a.requestsPerRecord),
      String(a.writesPerRecord),
    ]),
  ]);
  print([
    ['aggregator, one change alone in its batch', 'DynamoDB requests', 'writes'],
    ...Object.entries(perChange).map(([name, f]) => [name, String(f.requests), String(f.writes)]),
  ]);
  console.log('');
  print([
    ['digest over the same 24 h', 'ms (median of 5)', 'DynamoDB requests'],
    ['1,000 events', String(digest.events1k.ms), String(digest.events1k.requests)],
    ['100,000 events', String(digest.events100k.ms), String(digest.events100k.requests)],
    ['ratio', String(digest.ratio), ''],
  ]);
  console.log(
    `\nconcurrency ${CONCURRENCY}, Node ${process.version}, RSS ${results.rssMiB} MiB; written to bench/results.json`,
  );
}

/** A table with the first column left-aligned and the others right-aligned. */
function print(table: string[][]): void {
  const widths = table[0]?.map((_, c) => Math.max(...table.map((row) => row[c]?.length ?? 0))) ?? [];
  for (const [i, row] of table.entries()) {
    console.log(
      row
        .map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0)))
        .join('  '),
    );
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

await main();
