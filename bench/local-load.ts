/**
 * The local stack under a steady load, from outside, as senders would load it: `npm start`'s program in a child
 * process (PORT=0, on 127.0.0.1 only), fed at a fixed rate for a fixed time with generic and Alertmanager
 * deliveries and signed slash commands; latencies, requests in flight, answers by status and the child's RSS
 * every 5 s. Bounded: at most 300 s and 30,000 requests. Figures, not pass/fail.
 *
 *   npx tsx bench/local-load.ts --store leveldb --rate 50 --seconds 150
 *   npx tsx bench/local-load.ts --store memory --unbounded     # the bound lifted, for the "before" figure
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SandboxSlack } from '../src/local/slack-client.js';

const { values } = parseArgs({
  options: {
    store: { type: 'string', default: 'leveldb' },
    rate: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '150' },
    unbounded: { type: 'boolean', default: false },
  },
});
const RATE = Math.min(200, Number(values.rate));
const SECONDS = Math.min(300, Number(values.seconds));
const TOTAL = Math.min(30_000, RATE * SECONDS);

const alertmanager = readFileSync('test/fixtures/alertmanager/alertmanager-v4-firing.json', 'utf8');

async function start(): Promise<{ url: string; child: ChildProcess; dir?: string }> {
  const dir = values.store === 'leveldb' ? mkdtempSync(join(tmpdir(), 'tms-load-')) : undefined;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/local/main.ts'], {
    env: {
      ...process.env,
      PORT: '0',
      TMS_TICK: '30s',
      ...(dir ? { TMS_DATA_DIR: dir } : {}),
      ...(values.unbounded ? { TMS_MAX_IN_FLIGHT: '1000000', TMS_MAX_SLACK_IN_FLIGHT: '1000000' } : {}),
    },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /TMS is running at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', () => reject(new Error(`the stack exited:\n${output}`)));
  });
  child.stdout?.resume();
  return { url, child, ...(dir ? { dir } : {}) };
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

async function main(): Promise<void> {
  const { url, child, dir } = await start();
  const slack = new SandboxSlack(url, 'local-slack-signing-secret');
  const latencies: number[] = [];
  const slackLatencies: number[] = [];
  const statuses: Record<string, number> = {};
  const rss: { s: number; MiB: number }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;

  const one = async (i: number) => {
    const kind = i % 10;
    const started = performance.now();
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let status = 0;
    try {
      if (kind === 0) {
        status = (await slack.command(`new Load ${i} p3`, { user: 'U01AAA', channel: 'C0GENERAL' })).status;
      } else {
        const body =
          kind < 4
            ? alertmanager.replace(/"alertname": ?"[^"]*"/, `"alertname":"Load${i % 200}"`)
            : JSON.stringify({
                routing_key: 'local-ingest-token',
                event_action: 'trigger',
                dedup_key: `load-${i % 500}`,
                payload: { summary: `Load ${i % 500}`, source: 'bench', severity: 'warning' },
              });
        const path = kind < 4 ? '/ingest/alertmanager?token=local-ingest-token' : '/ingest/generic';
        const response = await fetch(`${url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(60_000),
        });
        await response.arrayBuffer();
        status = response.status;
      }
    } catch {
      status = -1;
    } finally {
      inFlight--;
    }
    const ms = performance.now() - started;
    (kind === 0 ? slackLatencies : latencies).push(ms);
    statuses[status] = (statuses[status] ?? 0) + 1;
  };

  const started = performance.now();
  const sampler = setInterval(() => {
    rss.push({ s: Math.round((performance.now() - started) / 1000), MiB: rssMiB(child.pid as number) });
    process.stderr.write(`${JSON.stringify({ ...rss.at(-1), inFlight, statuses })}\n`);
  }, 5_000);
  rss.push({ s: 0, MiB: rssMiB(child.pid as number) });
  const running: Promise<void>[] = [];
  for (let i = 0; i < TOTAL; i++) {
    const due = started + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    running.push(one(i));
  }
  // What is still unanswered a minute after the last request was sent is reported as such, not waited for.
  await Promise.race([Promise.all(running), new Promise((resolve) => setTimeout(resolve, 60_000))]);
  const unanswered = inFlight;
  clearInterval(sampler);
  rss.push({ s: Math.round((performance.now() - started) / 1000), MiB: rssMiB(child.pid as number) });
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  if (dir) rmSync(dir, { recursive: true, force: true });

  const sorted = latencies.sort((a, b) => a - b);
  const slackSorted = slackLatencies.sort((a, b) => a - b);
  const figures = {
    store: values.store,
    bounded: !values.unbounded,
    rate: RATE,
    seconds: SECONDS,
    requests: TOTAL,
    p50ms: Math.round(percentile(sorted, 50)),
    p95ms: Math.round(percentile(sorted, 95)),
    slackP50ms: Math.round(percentile(slackSorted, 50)),
    slackP95ms: Math.round(percentile(slackSorted, 95)),
    maxInFlight,
    unanswered,
    statuses,
    rssMiB: rss,
  };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
