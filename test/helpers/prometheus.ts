import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort, startServer } from './alertmanager.js';

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
  const { output, stop } = await startServer(
    'Prometheus',
    PROMETHEUS_BIN,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // Firing alerts are sent again every second (default a minute), so a test sees them at once.
      '--rules.alert.resend-delay=1s',
    ],
    `${url}/-/ready`,
    dir,
  );
  return { url, log: output, stop };
}
