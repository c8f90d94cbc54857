import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { Alert } from '../../src/core/alert.js';
import { normalizeTitle } from '../../src/core/similar.js';
import { SOURCES } from '../../src/ingest/pipeline.js';
import { normalizeAlarm } from '../../src/ingest/sources/cloudwatch.js';
import { inProcessStack, type TestStack } from '../helpers/local-stack.js';
import { snsSigner } from '../helpers/sns.js';

/**
 * Every source, the same checks: its route is served, a sender it cannot authenticate is refused, a body over
 * its limit is refused before it is read, garbage is a 400 with the JSON error shape, never a 500 or a trace.
 */
let stack: TestStack;
let sns: ReturnType<typeof snsSigner>;
beforeAll(async () => {
  sns = snsSigner();
  stack = await inProcessStack({ TMS_SNS_CERT_DIR: sns.dir });
});
afterAll(async () => {
  await stack.close();
  sns.dispose();
});

interface Case {
  /** Headers (and query) that authenticate a body, and a harmless valid body. */
  readonly signed: (body: string) => { headers: Record<string, string>; query?: string };
  readonly valid: unknown;
}
const TOKEN = { authorization: 'Bearer local-ingest-token' };
const CASES: Record<string, Case> = {
  generic: {
    signed: () => ({ headers: TOKEN }),
    valid: { routing_key: 'local-ingest-token', event_action: 'acknowledge', dedup_key: 'table-driven' },
  },
  alertmanager: { signed: () => ({ headers: TOKEN }), valid: { version: '4', alerts: [] } },
  cloudwatch: {
    // SNS signs the body itself: no header; the valid body is signed when the table runs.
    signed: () => ({ headers: { 'content-type': 'text/plain' } }),
    get valid() {
      return sns.sign({
        Type: 'UnsubscribeConfirmation',
        Message: 'unsubscribed',
        Token: 't',
        SubscribeURL: 'https://sns.eu-west-1.amazonaws.com/?x',
      });
    },
  },
  logs: {
    signed: () => ({ headers: TOKEN }),
    valid: { awslogs: { data: 'H4sIAAAAAAAAA6tWyk0tLk5MTw2pLEhVslJy9vcLCfL3ifd1DQ52dHdVqgUAG/cvDCEAAAA=' } },
  },
  kubernetes: {
    signed: () => ({ headers: TOKEN }),
    valid: { type: 'Normal', reason: 'Pulled', involvedObject: { kind: 'Pod', name: 'p' } },
  },
  jenkins: {
    signed: () => ({ headers: {}, query: '?token=local-ingest-token' }),
    valid: { name: 'j', build: { number: 1, phase: 'QUEUED' } },
  },
  github: {
    signed: (body) => ({
      headers: {
        'x-github-event': 'ping',
        'x-github-delivery': `table-${Math.random()}`,
        'x-hub-signature-256': `sha256=${createHmac('sha256', 'local-github-webhook-secret').update(body).digest('hex')}`,
      },
    }),
    valid: { zen: 'Design for failure.', hook_id: 1 },
  },
};

const post = async (source: string, body: string, headers: Record<string, string>, query = '') => {
  const response = await fetch(`${stack.url}/ingest/${source}${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await response.text();
  return {
    status: response.status,
    text,
    json: JSON.parse(text) as { error?: { code: string; message: string } },
  };
};

describe.each(Object.keys(SOURCES))('/ingest/%s', (source) => {
  const c = CASES[source] as Case;

  it('has a case in this table', () => {
    expect(c).toBeDefined();
  });

  it('accepts a valid delivery from an authenticated sender', async () => {
    const body = JSON.stringify(c.valid);
    const { headers, query } = c.signed(body);
    expect((await post(source, body, headers, query)).status).toBe(202);
  });

  it('refuses a sender it cannot authenticate', async () => {
    const { routing_key: _credential, ...rest } = c.valid as { routing_key?: string; Signature?: string };
    // A credential in the body is left out; a signature over it is forged.
    const unsigned =
      'Signature' in rest ? { ...rest, Signature: Buffer.from('forged').toString('base64') } : rest;
    const answer = await post(source, JSON.stringify(unsigned), {});
    expect(answer.status).toBe(401);
    expect(answer.json.error?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a body over its limit before reading it', async () => {
    const body = 'x'.repeat(SOURCES[source]?.maxBytes ?? 0).concat('x');
    const { headers, query } = c.signed(body);
    const answer = await post(source, body, headers, query);
    expect(answer.status).toBe(413);
    expect(answer.json.error?.code).toBe('TOO_LARGE');
  });

  it.each(['', 'not json', '[]', 'null', '{"alerts": "many"}', '{"build": {"number": -1}}', '\u0000\u0001'])(
    'answers garbage %j with a 400 or 202 and the JSON error shape, never a 500',
    async (garbage) => {
      const { headers, query } = c.signed(garbage);
      const answer = await post(source, garbage, headers, query);
      expect([400, 202]).toContain(answer.status);
      if (answer.status === 400)
        expect(answer.json.error).toEqual({ code: expect.any(String), message: expect.any(String) });
      expect(answer.text).not.toMatch(/at .*\.[tj]s:\d+/);
    },
  );
});

/**
 * What each source's real fixture says the issue is: the source's own class of the problem, and its title as
 * "the same issue" compares it (src/core/similar.ts). Read as re-driving reads (no verification).
 */
const fixture = (path: string) => readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8');
const octokit = createRequire(import.meta.url)('@octokit/webhooks-examples/api.github.com/index.json') as {
  name: string;
  examples: { workflow_job?: { conclusion?: string } }[];
}[];
const failedJob = octokit
  .find((e) => e.name === 'workflow_job')
  ?.examples.find((e) => e.workflow_job?.conclusion === 'failure');
const config = loadConfig({ TMS_CONFIG: 'tms.config.yaml' });
async function alertsOf(
  source: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<readonly Alert[]> {
  const request = { headers, query: {}, body, receivedAt: new Date('2026-11-22T10:05:00Z') };
  const received = await SOURCES[source]?.receive(request, { ingestToken: '' }, { verify: false, config });
  if (!received?.ok) throw new Error(`${source}: ${received?.error.body}`);
  return received.value.alerts;
}
const ISSUES: Record<string, { read: () => Promise<readonly Alert[]>; issues: [string, string][] }> = {
  generic: {
    read: () => alertsOf('generic', fixture('generic/pagerduty-trigger.json')),
    issues: [['disk', 'disk at <n>% on machine <host>']],
  },
  alertmanager: {
    read: async () => [
      ...(await alertsOf('alertmanager', fixture('alertmanager/alertmanager-v4-firing.json'))),
      ...(await alertsOf('alertmanager', fixture('alertmanager/grafana-firing.json'))),
    ],
    issues: [
      ['ProbeFailure', 'blackbox probe failure: https://<host>'],
      // Grafana's example is one group (`grouping: group`, the default) of two alerts with no common alertname.
      ['My Super Webhook group', 'my super webhook group: <n> firing'],
    ],
  },
  github: {
    read: () =>
      alertsOf('github', JSON.stringify(failedJob), {
        'x-github-event': 'workflow_job',
        'x-github-delivery': 'issue-class',
      }),
    issues: [['CodeQL', 'codeql failing on main (codertocat/hello-world)']],
  },
  jenkins: {
    read: () => {
      const success = JSON.parse(fixture('jenkins/completed-success.json'));
      return alertsOf(
        'jenkins',
        JSON.stringify({ ...success, build: { ...success.build, status: 'FAILURE' } }),
      );
    },
    issues: [['asgard', 'asgard is failing']],
  },
  kubernetes: {
    read: () => alertsOf('kubernetes', fixture('kubernetes/backoff-warning.json')),
    issues: [['BackOff Pod', 'backoff: checkout in checkout (prod-eu)']],
  },
  logs: {
    read: () => alertsOf('logs', fixture('aws/cloudwatch-logs-event.json')),
    issues: [
      ['testLogGroup', '[error] first test message'],
      ['testLogGroup', '[error] second test message'],
    ],
  },
  cloudwatch: {
    read: async () => {
      const sns = JSON.parse(fixture('aws/cloudwatch-alarm-sns-payload-single-metric.json')).Records[0].Sns;
      const alarm = normalizeAlarm(sns.Message, new Date('2026-11-22T10:05:00Z'));
      return alarm?.success ? [alarm.data] : [];
    },
    issues: [['EXAMPLE', 'example in alarm']],
  },
};

describe.each(Object.keys(SOURCES))('the issue class of %s', (source) => {
  it('is read from its real fixture, beside its title as the same issue compares it', async () => {
    const c = ISSUES[source];
    expect(c, 'a fixture case in this table').toBeDefined();
    const alerts = await (c as NonNullable<typeof c>).read();
    expect(alerts.map((a) => [a.issueClass, normalizeTitle(a.title)])).toEqual(c?.issues);
  });
});
