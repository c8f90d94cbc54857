import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  type RealAlertmanager,
  readmeAlertmanagerConfig,
  requireAlertmanager,
  startAlertmanager,
} from '../helpers/alertmanager.js';
import { inProcessStack, type TestStack } from '../helpers/local-stack.js';

/**
 * Against the real Alertmanager 0.25 (Debian's package; `.ci/run` installs it on CI): alerts posted to its API
 * v2, as Prometheus posts them, grouped and delivered by it to the stack through the README's receiver.
 */
beforeAll(() => requireAlertmanager());

describe("the README's Alertmanager receiver", () => {
  it('is what the real-sender tests run: resolved alerts sent, the token as credentials, never in the URL', () => {
    const { receivers } = readmeAlertmanagerConfig();
    const webhook = receivers[0]?.webhook_configs[0] as Record<string, unknown>;
    expect(webhook).toMatchObject({
      send_resolved: true,
      max_alerts: expect.any(Number),
      http_config: { authorization: { type: 'Bearer', credentials: '<token>' } },
    });
    expect(String(webhook.url)).not.toContain('token');
  });
});

describe('a 300-alert group from the real Alertmanager', () => {
  let stack: TestStack;
  let am: RealAlertmanager;
  beforeAll(async () => {
    stack = await inProcessStack();
    // Its timeout for a notification is its group interval: 10 s, the lower bound.
    am = await startAlertmanager({
      webhookUrl: `${stack.url}/ingest/alertmanager`,
      token: 'local-ingest-token',
      groupInterval: '10s',
      repeatInterval: '1h',
    });
  });
  afterAll(async () => {
    await am?.stop();
    await stack?.close();
  });

  it('is answered within its timeout (no failed notification) and all 300 alerts are recorded', async () => {
    // Act
    await am.post(
      Array.from({ length: 300 }, (_, i) => ({
        labels: { alertname: 'TargetDown', job: 'node', instance: `node-${i}:9100`, severity: 'warning' },
        annotations: { summary: `node-${i} is down` },
      })),
    );
    // Assert
    await eventually(
      'Alertmanager notified once',
      () => am.metric('alertmanager_notifications_total'),
      (n) => n >= 1,
    );
    await eventually(
      'the 300 alerts recorded',
      async () => (await stack.deps.store.list({ limit: 400 })).tasks.length,
      (n) => n === 300,
      180_000,
    );
    expect(await am.metric('alertmanager_notifications_failed_total')).toBe(0);
    expect(am.log()).not.toContain('context deadline exceeded');
    const archived = await stack.deps.store.unprocessedRaw('9999', 10);
    expect(archived).toEqual([]); // marked processed once the last was recorded
  }, 240_000);
});
