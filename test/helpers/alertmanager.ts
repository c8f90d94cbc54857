import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';

/**
 * The real Alertmanager (Debian's `prometheus-alertmanager` 0.25) run by a test: on a free 127.0.0.1 port, in a
 * temporary folder, with the receiver the README tells users to paste (read from README.md, so the two cannot
 * drift apart) pointed at a TMS stack, and the route's timings shortened so a test takes seconds.
 */
export const ALERTMANAGER_BIN = '/usr/bin/prometheus-alertmanager';
export const AMTOOL_BIN = '/usr/bin/amtool';
const run = promisify(execFile);

/** Fails loudly when the binaries are missing: on CI they must be there (`.ci/run` installs them). */
export function requireAlertmanager(env: NodeJS.ProcessEnv = process.env): void {
  const missing = [ALERTMANAGER_BIN, AMTOOL_BIN].filter((bin) => !existsSync(bin));
  if (missing.length === 0) return;
  throw new Error(
    env.CI
      ? `${missing.join(' and ')} missing on CI: .ci/run installs prometheus-alertmanager (as root); the real-sender tests must run there`
      : `${missing.join(' and ')} missing: these tests run against the real Alertmanager. Install it with\n  sudo apt-get install -y prometheus-alertmanager prometheus`,
  );
}

/** The receiver block of the README's Alertmanager section, as YAML parsed. */
export function readmeAlertmanagerConfig(readme = 'README.md'): {
  route: Record<string, unknown>;
  receivers: { name: string; webhook_configs: Record<string, unknown>[] }[];
} {
  const text = readFileSync(readme, 'utf8');
  const match = /<!-- alertmanager-receiver -->\n```yaml\n([\s\S]*?)\n```/.exec(text);
  if (!match?.[1]) throw new Error('README.md has no `<!-- alertmanager-receiver -->` YAML block');
  return parse(match[1]);
}

export interface AlertmanagerOptions {
  /** The TMS ingest route, e.g. `${stack.url}/ingest/alertmanager`. */
  readonly webhookUrl: string;
  readonly token: string;
  readonly groupBy?: readonly string[];
  readonly groupWait?: string;
  readonly groupInterval?: string;
  readonly repeatInterval?: string;
  readonly inhibitRules?: readonly Record<string, unknown>[];
  readonly maxAlerts?: number;
}

/** An alert as Alertmanager's API v2 takes it (`POST /api/v2/alerts`), what Prometheus itself sends. */
export interface PostableAlert {
  readonly labels: Record<string, string>;
  readonly annotations?: Record<string, string>;
  readonly startsAt?: string;
  readonly endsAt?: string;
  readonly generatorURL?: string;
}

export interface RealAlertmanager {
  readonly url: string;
  /** `--web.external-url`: what its notifications carry as `externalURL`. */
  readonly externalUrl: string;
  /** The configuration it runs, as written. */
  readonly configText: string;
  post(alerts: readonly PostableAlert[]): Promise<void>;
  /** `amtool silence add`: the silence's id. */
  silence(matchers: readonly string[], duration?: string): Promise<string>;
  /** `amtool silence expire`: the silence ends now. */
  expire(silenceId: string): Promise<void>;
  /** A counter or gauge of its `/metrics`, summed over its label sets (0 when absent). */
  metric(name: string): Promise<number>;
  /** What it logged so far. */
  log(): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The config file: the README's route and receiver, with this test's URL, token and timings. */
export function alertmanagerConfig(options: AlertmanagerOptions): string {
  const readme = readmeAlertmanagerConfig();
  const receivers = readme.receivers.map((receiver) => ({
    ...receiver,
    webhook_configs: receiver.webhook_configs.map((webhook) => {
      const http = webhook.http_config as { authorization: Record<string, unknown> };
      return {
        ...webhook,
        url: options.webhookUrl,
        ...(options.maxAlerts !== undefined ? { max_alerts: options.maxAlerts } : {}),
        http_config: { ...http, authorization: { ...http.authorization, credentials: options.token } },
      };
    }),
  }));
  return stringify({
    route: {
      ...readme.route,
      ...(options.groupBy ? { group_by: [...options.groupBy] } : {}),
      group_wait: options.groupWait ?? '1s',
      group_interval: options.groupInterval ?? '2s',
      repeat_interval: options.repeatInterval ?? '3s',
    },
    receivers,
    ...(options.inhibitRules ? { inhibit_rules: options.inhibitRules } : {}),
  });
}

export async function startAlertmanager(options: AlertmanagerOptions): Promise<RealAlertmanager> {
  requireAlertmanager();
  const dir = mkdtempSync(join(tmpdir(), 'tms-alertmanager-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const configText = alertmanagerConfig(options);
  writeFileSync(join(dir, 'alertmanager.yml'), configText);
  const { output, stop } = await startServer(
    'Alertmanager',
    ALERTMANAGER_BIN,
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--web.external-url=${url}`,
      '--cluster.listen-address=',
      '--log.level=debug',
    ],
    `${url}/-/ready`,
    dir,
  );
  return {
    url,
    externalUrl: url,
    configText,
    async post(alerts) {
      const response = await fetch(`${url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alerts),
      });
      if (!response.ok)
        throw new Error(`Alertmanager refused the alerts: ${response.status} ${await response.text()}`);
    },
    async silence(matchers, duration = '1h') {
      const { stdout } = await run(AMTOOL_BIN, [
        'silence',
        'add',
        `--alertmanager.url=${url}`,
        '--author=tms-test',
        '--comment=muted by a test',
        `--duration=${duration}`,
        ...matchers,
      ]);
      return stdout.trim();
    },
    async expire(silenceId) {
      await run(AMTOOL_BIN, ['silence', 'expire', `--alertmanager.url=${url}`, silenceId]);
    },
    async metric(name) {
      const text = await (await fetch(`${url}/metrics`)).text();
      return text
        .split('\n')
        .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
        .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
    },
    log: output,
    stop,
  };
}

/**
 * A server of Debian's packages started for a test: its output kept, ready once `readyUrl` answers 200, stopped
 * (SIGTERM, then SIGKILL after 5 s) with its folder removed. A server that does not come up is stopped, and its
 * output is in the error.
 */
export async function startServer(
  name: string,
  bin: string,
  args: readonly string[],
  readyUrl: string,
  dir: string,
  timeoutMs = 30_000,
): Promise<{ output(): string; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(bin, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(readyUrl)).ok) return { output: () => output, stop };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${name} was not ready within ${timeoutMs / 1000} s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Waits until `check` holds (polling), or fails with what it last saw: for what a real sender does on its own time. */
export async function eventually<T>(
  what: string,
  read: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!check(last)) {
    if (Date.now() > deadline)
      throw new Error(
        `${what}: not within ${timeoutMs / 1000} s; last seen ${JSON.stringify(last)?.slice(0, 2000)}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 200));
    last = await read();
  }
  return last;
}
