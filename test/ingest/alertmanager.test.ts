import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API,
  getJson,
  inProcessStack,
  PER_ALERT_CONFIG,
  postJson,
  type TestStack,
} from '../helpers/local-stack.js';

const fixture = (name: string) =>
  JSON.parse(readFileSync(`test/fixtures/alertmanager/${name}.json`, 'utf8')) as Record<string, unknown> & {
    alerts: Record<string, unknown>[];
  };

// One task per alert (`grouping: alert`): test/ingest/alertmanager-groups.test.ts has the default, per group.
let stack: TestStack;
beforeAll(async () => {
  stack = await inProcessStack(PER_ALERT_CONFIG);
});
afterAll(() => stack.close());

const TOKEN = { authorization: 'Bearer local-ingest-token' };
const send = (body: unknown, headers: Record<string, string> = TOKEN, to: TestStack = stack) =>
  postJson(`${to.url}/ingest/alertmanager`, body, headers);
const task = async (id: string) => (await getJson(`${stack.url}/api/tasks/${id}`, API())).body.task;

describe('POST /ingest/alertmanager with grouping: alert', () => {
  it('opens a task per firing alert, routed and prioritized by its labels, with its links', async () => {
    // Act
    const answer = await send(fixture('alertmanager-v4-firing'));
    // Assert
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({ taskIds: [expect.stringMatching(/^TMS-\d+$/)] });
    expect(await task(answer.body.taskIds[0])).toMatchObject({
      title: 'BlackBox Probe Failure: https://server.example.org',
      description: 'Instance https://server.example.org has been down for over 5m. Job: http_checks',
      priority: 'P1', // severity critical through the config's alertmanager table
      source: 'alertmanager',
      fingerprint: 'alertmanager:1a30ba71cca2921f',
      reportedAt: '2023-02-06T13:08:45.828Z',
      labels: expect.objectContaining({ alertname: 'ProbeFailure', job: 'http_checks' }),
      links: [
        expect.objectContaining({
          label: 'Source',
          url: expect.stringContaining('prometheus.example.org:9090'),
        }),
        {
          label: 'Alertmanager',
          url: expect.stringContaining('prometheus.example.org:9093/#/alerts?filter='),
        },
        {
          label: 'Silence in Alertmanager',
          url: expect.stringContaining('prometheus.example.org:9093/#/silences/new?filter='),
        },
      ],
    });
  });

  it("takes Grafana's webhook, extra fields and all, one task per alert", async () => {
    const answer = await send(fixture('grafana-firing'));
    expect(answer.status).toBe(202);
    expect(answer.body.taskIds).toHaveLength(2);
    const first = await task(answer.body.taskIds[0]);
    expect(first).toMatchObject({
      title: 'This alert was triggered for zone us-1',
      fingerprint: 'alertmanager:c6eadffa33fcdf37',
      priority: 'P3', // no severity label: the default
    });
    expect(first.links.map((l: { label: string }) => l.label)).toEqual(['Source', 'Runbook', 'Silence']);
  });

  it('counts the other HA peer’s copy and re-notifications of a firing alert once; resolves only that fingerprint', async () => {
    // Arrange: Grafana's two alerts are open from the test above.
    const peer = { ...fixture('grafana-firing'), externalURL: 'https://peer-2.example/' };
    const [memory, cpu] = (await send(fixture('grafana-firing'))).body.taskIds;
    // Act
    const copy = await send(peer);
    const resolved = fixture('grafana-firing');
    resolved.alerts = [{ ...resolved.alerts[0], status: 'resolved', endsAt: '2021-10-12T10:10:00Z' }];
    const resolving = await send(resolved);
    // Assert
    expect(copy.body.taskIds).toEqual([memory, cpu]);
    expect(await task(memory)).toMatchObject({
      occurrences: 1,
      status: 'resolved',
      resolvedBy: 'alertmanager',
    });
    expect(await task(cpu)).toMatchObject({ occurrences: 1, status: 'open' });
    expect(resolving.body.taskIds).toEqual([memory]);
  });

  it('records on the task that Alertmanager truncated the group', async () => {
    const body = fixture('alertmanager-v4-firing');
    body.truncatedAlerts = 42;
    body.alerts = [{ ...body.alerts[0], fingerprint: 'truncated-group', labels: { alertname: 'Big' } }];
    const answer = await send(body);
    expect((await task(answer.body.taskIds[0])).labels).toMatchObject({ truncated_alerts: '42' });
  });

  it('refuses a sender without the ingest token, and what is not a webhook, with a JSON reason', async () => {
    const body = fixture('alertmanager-v4-firing');
    expect((await send(body, {})).status).toBe(401);
    expect((await send(body, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await postJson(`${stack.url}/ingest/alertmanager?token=local-ingest-token`, body)).status).toBe(
      202,
    );
    const malformed = await send('{"alerts": [');
    expect(malformed).toMatchObject({ status: 400, body: { error: { code: 'INVALID_EVENT' } } });
    expect((await send({ alerts: [{ status: 'sleeping' }] })).status).toBe(400);
    expect((await send({ receiver: 'x' })).status).toBe(400);
    const huge = await send(`{"alerts":[],"pad":"${'x'.repeat(6 * 1024 * 1024)}"}`);
    expect(huge).toMatchObject({ status: 413, body: { error: { code: 'TOO_LARGE' } } });
  });

  it("verifies Grafana's HMAC signature when a secret is configured, with or without its timestamp", async () => {
    // A stack of its own: the secret is read once, when it starts, as a Lambda reads its own at cold start.
    const grafana = await inProcessStack({ GRAFANA_WEBHOOK_SECRET: 'grafana-hmac-secret' });
    try {
      const body = JSON.stringify({ ...fixture('grafana-firing'), receiver: 'signed' });
      const sign = (text: string, secret = 'grafana-hmac-secret') =>
        createHmac('sha256', secret).update(text).digest('hex');
      const now = String(Math.floor(Date.now() / 1000));
      const stale = String(Math.floor(Date.now() / 1000) - 600);

      const signed = await send(body, { 'x-grafana-alerting-signature': sign(body) }, grafana);
      const withTime = await send(
        `${body} `,
        {
          'x-grafana-alerting-signature': sign(`${now}:${body} `),
          'x-grafana-alerting-signature-timestamp': now,
        },
        grafana,
      );
      const forged = await send(
        body,
        { 'x-grafana-alerting-signature': sign(body, 'guess'), ...TOKEN },
        grafana,
      );
      const old = await send(
        body,
        {
          'x-grafana-alerting-signature': sign(`${stale}:${body}`),
          'x-grafana-alerting-signature-timestamp': stale,
        },
        grafana,
      );

      expect([signed.status, withTime.status]).toEqual([202, 202]);
      expect(forged).toMatchObject({
        status: 401,
        body: { error: { message: 'the Grafana signature does not match' } },
      });
      expect(old.status).toBe(401);
    } finally {
      await grafana.close();
    }
  });
});
