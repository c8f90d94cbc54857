import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { Alert } from '../../src/core/alert.js';
import { globMatch, LIMITS, utf8Bytes } from '../../src/core/bounds.js';
import { normalizeTitle } from '../../src/core/similar.js';
import { redactCredentials } from '../../src/ingest/archive-policy.js';
import { SOURCES } from '../../src/ingest/pipeline.js';
import type { IngestRequest } from '../../src/ingest/source.js';
import { normalizeAlarm } from '../../src/ingest/sources/cloudwatch.js';
import { WORKLOAD_PATTERNS } from '../../src/ingest/sources/kubernetes.js';
import { matcher, normalizeLogMessage } from '../../src/ingest/sources/logs.js';
import { regexLiterals, superLinearShapes } from '../helpers/regex-shape.js';

/**
 * The guard for "every pattern that sees sender text runs in linear time", without a stopwatch: the work of
 * ingesting a delivery is (input bounded by the route's and the fields' limits) × (per-character cost of
 * its patterns), so both are checked. The patterns by shape (test/helpers/regex-shape.ts); the inputs by
 * running every source on the largest adversarial payloads and reading the bounds off its alerts. The
 * time those inputs take is in the bench (`npm run bench`, "hostile inputs").
 */
const SENDER_FACING = [
  ...readdirSync('src/ingest', { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join('src/ingest', f)),
  'src/core/alert.ts',
  'src/core/bounds.ts',
  'src/core/silence.ts',
  'src/core/similar.ts',
  'src/core/task.ts',
  'src/http/respond.ts',
];

describe('the shape check', () => {
  it('finds the shapes that backtrack, including the patterns that froze the server', () => {
    for (const bad of [
      /\b[\w.+-]+@[\w-]+\.[\w.-]+\b/g, // the email pattern: 6.1 s on one 60 KB line
      /\b(0x)?[0-9a-f]*\d[0-9a-f]*\b/gi, // the hex pattern
      /"(?:[^"\\]|\\.)*"/g, // an unclosed quoted string of escapes
      /^\S*\d{4}-\d{2}-\d{2}[T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?\S*\s*/,
      /^.*a.*a.*b$/, // what `*a*a*b` became as a regex
      /(a+)+$/,
      /^Bearer\s+(.+)$/,
    ])
      expect([bad.source, superLinearShapes(bad).length > 0]).toEqual([bad.source, true]);
  });

  it('passes linear ones: bounded runs, runs nothing after can fail, separators a run cannot pass', () => {
    for (const good of [
      /\s+/g,
      /\d+(?:\.\d+)?/g,
      /\w+/g,
      /^(.+)-\d+$/,
      /^Bearer\s+(\S.*)$/i,
      /\b[\w.+-]{1,64}@/g,
    ])
      expect([good.source, superLinearShapes(good)]).toEqual([good.source, []]);
  });
});

describe('every pattern that sees sender text', () => {
  it('is linear by its shape (every literal in the ingest sources, the alert core and the HTTP helpers)', () => {
    const patterns = SENDER_FACING.flatMap((file) =>
      regexLiterals(readFileSync(file, 'utf8')).map((regex) => ({ file, regex })),
    );
    // The scanner bites: it sees the patterns of log normalisation (here by one of them).
    expect(patterns.length).toBeGreaterThan(30);
    expect(patterns.some((p) => p.regex.source.includes('@[\\w-]{1,63}'))).toBe(true);
    // And those of titles, for the "same issue" key (pod suffixes, host names).
    expect(patterns.some((p) => p.file === 'src/core/similar.ts' && p.regex.source.includes('{6,10}-'))).toBe(
      true,
    );
    const built = [...WORKLOAD_PATTERNS, matcher(['ERROR', 'a.b*c', 'uncaught exception'])].map((regex) => ({
      file: 'built at run time',
      regex,
    }));
    const findings = [...patterns, ...built].flatMap(({ file, regex }) =>
      superLinearShapes(regex).map((f) => `${file}: /${regex.source}/: ${f}`),
    );
    expect(findings).toEqual([]);
  });
});

const config = loadConfig({ TMS_CONFIG: 'tms.config.yaml' });
const huge = (n: number, unit = 'a.') => unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
/** The alerts a source reads from a body, as re-driving does (no verification; the shapes are the same). */
async function alertsOf(source: string, body: unknown, headers: Record<string, string> = {}) {
  const request: IngestRequest = {
    headers,
    query: {},
    body: typeof body === 'string' ? body : JSON.stringify(body),
    receivedAt: new Date('2026-03-02T09:00:00Z'),
  };
  const reader = SOURCES[source];
  if (!reader) throw new Error(source);
  expect(request.body.length).toBeLessThanOrEqual(reader.maxBytes);
  const received = await reader.receive(request, { ingestToken: '' }, { verify: false, config });
  if (!received.ok) throw new Error(`${source}: ${received.error.body}`);
  return received.value.alerts;
}
function expectBounded(alerts: readonly Alert[]) {
  expect(alerts.length).toBeGreaterThan(0);
  for (const a of alerts) {
    expect(utf8Bytes(a.fingerprint)).toBeLessThanOrEqual(LIMITS.fingerprintBytes);
    expect(utf8Bytes(a.service ?? '')).toBeLessThanOrEqual(LIMITS.nameBytes);
    expect(a.title.length).toBeLessThanOrEqual(LIMITS.titleLength);
    expect(a.description.length).toBeLessThanOrEqual(LIMITS.descriptionLength);
    expect((a.summary ?? '').length).toBeLessThanOrEqual(LIMITS.summaryLength);
    const labelBytes = Object.entries(a.labels).reduce(
      (sum, [k, v]) => sum + utf8Bytes(k) + utf8Bytes(v) + LIMITS.labelOverheadBytes,
      0,
    );
    expect(labelBytes).toBeLessThanOrEqual(LIMITS.labelBytes);
    expect(a.links.length).toBeLessThanOrEqual(LIMITS.linkCount);
    for (const l of a.links) expect(l.url.length).toBeLessThanOrEqual(LIMITS.urlLength);
  }
}

describe('every normaliser on the largest adversarial input its route takes', () => {
  it('log lines: only the first LIMITS.logLineLength characters are read, whatever follows', () => {
    for (const unit of ['a.', '\\"', '1', 'a@', ' ', "'", '0x', '2024-01-01T']) {
      const line = `ERROR "${huge(MAX_LINE, unit)}`;
      expect(normalizeLogMessage(line)).toBe(normalizeLogMessage(line.slice(0, LIMITS.logLineLength)));
    }
  });

  it('titles: only the first LIMITS.titleLength characters make the "same issue" key, whatever follows', () => {
    for (const unit of ['a-', 'a.', '-x2k', '0x', '"', 'ip-1.']) {
      const title = `Down on ${huge(MAX_LINE, unit)}`;
      expect(normalizeTitle(title)).toBe(normalizeTitle(title.slice(0, LIMITS.titleLength)));
    }
  });

  it('logs, Alertmanager, Kubernetes, generic, Jenkins, GitHub and CloudWatch: alerts within the bounds', async () => {
    const gz = (messages: string[]) => ({
      awslogs: {
        data: gzipSync(
          JSON.stringify({
            messageType: 'DATA_MESSAGE',
            logGroup: huge(5_000),
            logStream: 's',
            logEvents: messages.map((message, i) => ({ id: `${i}`, timestamp: 0, message })),
          }),
        ).toString('base64'),
      },
    });
    expectBounded(await alertsOf('logs', gz([`ERROR ${huge(1_500_000)}`])));
    const labels = Object.fromEntries(
      Array.from({ length: 200 }, (_, i) => [`${i}${huge(2_000)}`, huge(5_000)]),
    );
    expectBounded(
      await alertsOf('alertmanager', {
        alerts: [
          {
            status: 'firing',
            labels: { ...labels, service: huge(100_000, 'é'), severity: huge(10_000) },
            annotations: {
              summary: huge(100_000),
              description: huge(100_000),
              runbook_url: `https://x/${huge(50_000)}`,
            },
            generatorURL: `https://x/${huge(100_000)}`,
            startsAt: '2026-03-02T09:00:00Z',
          },
        ],
      }),
    );
    expectBounded(
      await alertsOf('kubernetes', {
        type: 'Warning',
        reason: 'BackOff',
        message: huge(100_000),
        clusterName: huge(20_000),
        involvedObject: {
          kind: 'Pod',
          name: `${huge(60_000, 'a-')}-7d9f8b6c5d-x2kq9`,
          labels: { service: huge(20_000) },
        },
      }),
    );
    expectBounded(
      await alertsOf('generic', {
        event_action: 'trigger',
        dedup_key: huge(255, '🙂'),
        payload: {
          summary: huge(1024),
          source: huge(255),
          severity: 'critical',
          component: huge(255, '🙂'),
          custom_details: Object.fromEntries(
            Array.from({ length: 100 }, (_, i) => [`${i}${huge(100)}`, huge(2_000)]),
          ),
        },
        links: Array.from({ length: 40 }, () => ({
          href: `https://x/${huge(2_500, '🙂')}`,
          text: huge(500),
        })),
      }),
    );
    expectBounded(
      await alertsOf('jenkins', {
        name: huge(512, '🙂'),
        build: {
          number: 1,
          phase: 'COMPLETED',
          status: 'FAILURE',
          full_url: `https://ci/${huge(100_000)}`,
          scm: { url: `git@x:${huge(100_000, 'a/')}`, branch: huge(100_000) },
          notes: huge(500_000),
        },
      }),
    );
    expectBounded(
      await alertsOf(
        'github',
        {
          action: 'completed',
          workflow_run: {
            id: 1,
            name: huge(100_000),
            head_branch: huge(100_000, '🙂'),
            conclusion: 'failure',
            html_url: `https://github.com/${huge(100_000)}`,
            display_title: huge(100_000),
          },
          repository: { full_name: huge(100_000) },
        },
        { 'x-github-event': 'workflow_run', 'x-github-delivery': 'd1' },
      ),
    );
    const alarm = normalizeAlarm(
      JSON.stringify({
        AlarmName: huge(100_000),
        NewStateValue: 'ALARM',
        NewStateReason: huge(100_000),
        AlarmArn: `arn:aws:cloudwatch:eu-west-1:1:alarm:${huge(10_000)}`,
        Trigger: {
          Dimensions: Array.from({ length: 50 }, () => ({ name: huge(1_000), value: huge(1_000) })),
        },
      }),
      new Date(),
    );
    expectBounded(alarm?.success ? [alarm.data] : []);
  });

  it('globs and credential redaction: the worst cases give the right answers', () => {
    expect(globMatch(`${'*a'.repeat(LIMITS.globLength / 2 - 1)}*b`, huge(100_000, 'a'))).toBe(false);
    expect(globMatch('*a*b*', `x${huge(50_000, 'a')}b`)).toBe(true);
    expect(redactCredentials(`https://h/?token=${huge(100_000, 'x')}`)).toBe('https://h/?token=[redacted]');
  });
});

/** A CloudWatch Logs batch is at most MAX_INFLATED_BYTES; one line can be nearly all of it. */
const MAX_LINE = 2 * 1024 * 1024 - 1024;
