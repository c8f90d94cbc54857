/**
 * The hostile inputs of `npm run bench` (issue 13): what a sender controls, at its worst, through the local
 * stack's HTTP API, timed. Each is a figure, not a pass/fail; the pass/fail guards are in npm test
 * (test/ingest/linear-patterns.test.ts, hostile-senders.test.ts). Alone: `npx tsx --expose-gc bench/hostile.ts`.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { globMatch, LIMITS } from '../src/core/bounds.js';
import { normalizeLogMessage } from '../src/ingest/sources/logs.js';
import { SandboxSlack } from '../src/local/slack-client.js';
import { type LocalStack, startLocalStack } from '../src/local/stack.js';

export interface HostileFigures {
  /** An ordinary alert (a new task) for comparison: the longest event-loop block. */
  baselineMs: number;
  /** `/tms silence group=*a*a*a*a*a*a*b`, then one alert whose group is 64 a's: the longest event-loop block. */
  silenceGlobMs: number;
  /** The longest glob allowed (128 stars) against a 100,000-character value, in the matcher alone. */
  longestGlobMs: number;
  /** One log line `ERROR ` + `a.` × 30,000 (a 404-byte gzip body): the longest event-loop block. */
  logLineMs: number;
  /** The worst of several adversarial lines of 2 MB (the inflate cap), in the normaliser alone. */
  worstLogLineMs: number;
  /** Heap before and after 6,000 notifications naming the certificate with `?v=N`. */
  certificateHeapMiB: { before: number; after: number; refused: number };
  /** A 2,100-character service label and a 245 KB body of twenty 12 KB links: tasks they opened. */
  oversizeTasks: { longService: number; longLinks: number };
}

const heapMiB = () => {
  (globalThis as { gc?: () => void }).gc?.();
  return Math.round(process.memoryUsage().heapUsed / 2 ** 20);
};
const time = async (work: () => unknown) => {
  const started = performance.now();
  await work();
  return Number((performance.now() - started).toFixed(1));
};
/** The longest the event loop was held while `work` ran: what every other request waited (the "freeze"). */
const frozen = async (work: () => unknown) => {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  await work();
  delay.disable();
  return Number((delay.max / 1e6).toFixed(1));
};

export async function hostileInputs(stack: LocalStack): Promise<HostileFigures> {
  const token = stack.secrets.INGEST_TOKEN;
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${stack.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as { taskIds?: string[] } };
  };
  const generic = (dedupKey: string, payload: Record<string, unknown> = {}, extra = {}) => ({
    routing_key: token,
    event_action: 'trigger',
    dedup_key: dedupKey,
    payload: { summary: `Hostile ${dedupKey}`, source: 'bench', severity: 'error', ...payload },
    ...extra,
  });

  // The silence, as Slack's slash command sends it (the emulator signs it).
  const slack = new SandboxSlack(stack.url, stack.secrets.SLACK_SIGNING_SECRET);
  const silenced = await slack.command('silence group=*a*a*a*a*a*a*b 1h', {
    user: 'U01AAA',
    channel: 'C0GENERAL',
  });
  if (silenced.status !== 200) throw new Error(`/tms silence answered ${silenced.status}`);
  // Warm: the first request of each route loads its handler (a cold start), which is not what is measured.
  await post('/ingest/generic', generic('warm-up'));
  await stack.dispatcher.idle();
  const baselineMs = await frozen(() => post('/ingest/generic', generic('plain', { group: 'b' })));
  await stack.dispatcher.idle();
  const silenceGlobMs = await frozen(() =>
    post('/ingest/generic', generic('glob', { group: 'a'.repeat(64) })),
  );
  const longestGlobMs = await time(() =>
    globMatch(`${'*a'.repeat(LIMITS.globLength / 2 - 1)}*b`, 'a'.repeat(100_000)),
  );

  const logBody = (message: string) => ({
    awslogs: {
      data: gzipSync(
        JSON.stringify({
          messageType: 'DATA_MESSAGE',
          logGroup: '/aws/lambda/checkout',
          logStream: 'bench',
          logEvents: [{ id: `line-${message.length}`, timestamp: Date.now(), message }],
        }),
      ).toString('base64'),
    },
  });
  await post('/ingest/logs', logBody('ERROR warm-up'));
  await stack.dispatcher.idle();
  const logLineMs = await frozen(() => post('/ingest/logs', logBody(`ERROR ${'a.'.repeat(30_000)}`)));
  const twoMB = 2 * 1024 * 1024;
  let worstLogLineMs = 0;
  for (const unit of ['a.', '\\"', '1', 'a@', "'", '2024-01-01T'])
    worstLogLineMs = Math.max(
      worstLogLineMs,
      await time(() => normalizeLogMessage(`ERROR "${unit.repeat(twoMB / unit.length)}`)),
    );

  const before = heapMiB();
  let refused = 0;
  for (let n = 0; n < 6_000; n++) {
    const answer = await post(
      '/ingest/cloudwatch',
      {
        Type: 'Notification',
        MessageId: `bench-${n}`,
        TopicArn: 'arn:aws:sns:eu-west-1:123456789012:alarms',
        Message: '{}',
        Timestamp: new Date().toISOString(),
        SignatureVersion: '2',
        Signature: 'AAAA',
        SigningCertURL: `https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-x.pem?v=${n}`,
      },
      { 'content-type': 'text/plain; charset=UTF-8' },
    );
    if (answer.status === 401) refused++;
  }
  const certificateHeapMiB = { before, after: heapMiB(), refused };

  const alertmanager = {
    version: '4',
    status: 'firing',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'LongService', service: `svc-${'x'.repeat(2096)}`, severity: 'critical' },
        annotations: { summary: 'A service named at length' },
        startsAt: new Date().toISOString(),
      },
    ],
  };
  const longService = (await post('/ingest/alertmanager', alertmanager)).body.taskIds?.length ?? 0;
  const links = Array.from({ length: 20 }, (_, i) => ({
    href: `https://ci.example.com/run/${i}?q=${'a'.repeat(12_000)}`,
    text: `log ${i}`,
  }));
  const linked = await post('/ingest/generic', generic('links', {}, { links }));
  await stack.dispatcher.idle();
  const listed = await fetch(`${stack.url}/api/tasks?limit=100`, {
    headers: { authorization: `Bearer ${stack.secrets.TMS_API_TOKEN}` },
  });
  const tasks = ((await listed.json()) as { tasks: { fingerprint: string }[] }).tasks;
  const longLinks = linked.status === 202 ? tasks.filter((t) => t.fingerprint === 'generic:links').length : 0;

  return {
    baselineMs,
    silenceGlobMs,
    longestGlobMs,
    logLineMs,
    worstLogLineMs,
    certificateHeapMiB,
    oversizeTasks: { longService, longLinks },
  };
}

export function printHostile(h: HostileFigures): void {
  console.log(
    [
      `Hostile inputs (issue 13); an ordinary new alert blocks the server at most ${h.baselineMs} ms:`,
      `  silence glob *a*a*a*a*a*a*b + one alert: server blocked at most ${h.silenceGlobMs} ms; longest glob on 100,000 chars: ${h.longestGlobMs} ms`,
      `  log line ERROR + a.×30,000: server blocked at most ${h.logLineMs} ms; worst 2 MB line in the normaliser: ${h.worstLogLineMs} ms`,
      `  6,000 certificate URLs with ?v=N: heap ${h.certificateHeapMiB.before} → ${h.certificateHeapMiB.after} MiB, ${h.certificateHeapMiB.refused} refused`,
      `  tasks opened: 2,100-char service ${h.oversizeTasks.longService}, 245 KB of links ${h.oversizeTasks.longLinks}`,
    ].join('\n'),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const stack = await startLocalStack({ env: { ...process.env, PORT: '0', TMS_TICK: '1h' } });
  try {
    printHostile(await hostileInputs(stack));
  } finally {
    await stack.close();
  }
}
