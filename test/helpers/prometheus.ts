import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from './alertmanager.js';

/**
 * The real Prometheus (Debian's `prometheus` 2.42; `.ci/run` installs it on CI) run by a test: its rules
 * evaluated every second and their alerts sent to a real Alertmanager, as a user's Prometheus does, so what
 * reaches TMS is what Prometheus and Alertmanager make of an alert (its startsAt, its endsAt, its grouping).
 */
export const PROMETHEUS_BIN = '/usr/bin/prometheus';

export function requirePrometheus(env: NodeJS.ProcessEnv = process.env): void {
  if (existsSync(PROMETHEUS_BIN)) return;
  throw new Error(
    env.CI
      ? `${PROMETHEUS_BIN} missing on CI: .ci/run installs prometheus (as root); the real-sender tests must run there`
      : `${PROMETHEUS_BIN} missing: these tests run against the real Prometheus. Install it with\n  sudo apt-get install -y prometheus prometheus-alertmanager`,
  );
}

/** An alerting rule as a rule file holds it. */
export interface AlertingRule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

export interface RealPrometheus {
  readonly url: string;
  log(): string;
  stop(): Promise<void>;
}

export async function startPrometheus(options: {
  /** The Alertmanager it sends to, `http://127.0.0.1:port`. */
  readonly alertmanagerUrl: string;
  readonly rules: readonly AlertingRule[];
}): Promise<RealPrometheus> {
  requirePrometheus();
  const dir = mkdtempSync(join(tmpdir(), 'tms-prometheus-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  writeFileSync(join(dir, 'rules.yml'), stringify({ groups: [{ name: 'tms-test', rules: options.rules }] }));
  writeFileSync(
    join(dir, 'prometheus.yml'),
    stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [join(dir, 'rules.yml')],
      alerting: {
        alertmanagers: [{ static_configs: [{ targets: [new URL(options.alertmanagerUrl).host] }] }],
      },
    }),
  );
  const child: ChildProcess = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // Firing alerts are sent again every second (default a minute), so a test sees them at once.
      '--rules.alert.resend-delay=1s',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
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
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Prometheus was not ready within 30 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { url, log: () => output, stop };
}
