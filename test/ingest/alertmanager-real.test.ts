import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  type RealAlertmanager,
  readmeAlertmanagerConfig,
  requireAlertmanager,
  startAlertmanager,
} from '../helpers/alertmanager.js';
import { ShiftedClock } from '../helpers/clock.js';
import { API, getJson, inProcessStack, PER_ALERT_CONFIG, type TestStack } from '../helpers/local-stack.js';
import { slackOf } from '../helpers/slack.js';

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

describe.each([
  { grouping: 'group (the default)', env: {}, tasks: 1 },
  { grouping: 'alert', env: PER_ALERT_CONFIG, tasks: 300 },
])('a 300-alert group from the real Alertmanager, grouping: $grouping', ({ env, tasks }) => {
  let stack: TestStack;
  let am: RealAlertmanager;
  beforeAll(async () => {
    stack = await inProcessStack(env);
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

  it(`is answered within its timeout (no failed notification) and recorded as ${tasks} task(s)`, async () => {
    // Act
    await am.post(
      Array.from({ length: 300 }, (_, i) => ({
        labels: { alertname: 'TargetDown', job: 'node', instance: `node-${i}:9100`, severity: 'warning' },
        annotations: { summary: `node-${i} is down` },
      })),
    );
    // Assert
    // Observed once the notification's answer came back (or it failed).
    await eventually(
      'Alertmanager notified once',
      () => am.metric('alertmanager_notification_latency_seconds_count'),
      (n) => n >= 1,
      60_000,
    );
    expect(await am.metric('alertmanager_notifications_failed_total')).toBe(0);
    // What the answer left to record is recorded right after it (the stack is idle once it is).
    await stack.idle();
    const recorded = (await stack.deps.store.list({ limit: 400 })).tasks;
    expect(recorded).toHaveLength(tasks);
    if (tasks === 1) expect(recorded[0]?.group).toMatchObject({ firing: 300, resolved: 0 });
    expect(await am.metric('alertmanager_notifications_failed_total')).toBe(0);
    expect(am.log()).not.toContain('context deadline exceeded');
    const archived = await stack.deps.store.unprocessedRaw('9999', 10);
    expect(archived).toEqual([]); // marked processed once the last was recorded
  }, 600_000);
});

describe('grouping: alert, an alert the real Alertmanager mutes while its task is open', () => {
  const clock = new ShiftedClock();
  let dir: string;
  let stack: TestStack;
  let am: RealAlertmanager;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tms-am-stale-'));
    const config = join(dir, 'tms.config.yaml');
    writeFileSync(config, 'sources:\n  alertmanager: { grouping: alert, staleAfter: 10m }\n');
    stack = await inProcessStack({ TMS_CONFIG: config }, { clock, sleep: clock.sleep });
    am = await startAlertmanager({
      webhookUrl: `${stack.url}/ingest/alertmanager`,
      token: 'local-ingest-token',
      groupBy: ['alertname'],
      groupWait: '1s',
      groupInterval: '1s',
      repeatInterval: '2s',
    });
  });
  afterAll(async () => {
    await am?.stop();
    await stack?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const tasks = async () =>
    (await stack.deps.store.list({ limit: 10 })).tasks.filter((t) => t.labels.alertname === 'DiskFull');
  const byInstance = async (instance: string) => (await tasks()).find((t) => t.labels.instance === instance);

  it('is marked no longer reported, cleared when listed again, and resolved by the sweep after staleAfter', async () => {
    // Arrange: two alerts of one group, each its own task.
    await am.post(
      ['db-1', 'db-2'].map((instance) => ({
        labels: { alertname: 'DiskFull', instance, severity: 'warning' },
        annotations: { summary: `disk full on ${instance}` },
      })),
    );
    await eventually('two tasks', tasks, (t) => t.length === 2);
    // Its card links back to the alert and to its silence form in this Alertmanager (its --web.external-url).
    const silenceForm = encodeURIComponent('{alertname="DiskFull",instance="db-2",severity="warning"}');
    expect((await byInstance('db-2'))?.links).toContainEqual({
      label: 'Silence in Alertmanager',
      url: `${am.externalUrl}/#/silences/new?filter=${silenceForm}`,
    });
    // Act: silenced in Alertmanager, so its group's next notifications leave it out.
    const silence = await am.silence(['alertname=DiskFull', 'instance=db-2']);
    const muted = await eventually(
      'db-2 unreported',
      () => byInstance('db-2'),
      (t) => !!t?.unreportedSince,
    );
    await stack.idle();
    const slack = slackOf(stack);
    // Assert
    expect(slack.cardText(muted?.id as string)).toContain(
      'no longer reported (silenced, inhibited or ended)',
    );
    expect((await byInstance('db-1'))?.unreportedSince).toBeUndefined();

    // Listed again once the silence ends: the mark comes off.
    await am.expire(silence);
    await eventually(
      'db-2 reported again',
      () => byInstance('db-2'),
      (t) => !t?.unreportedSince,
    );

    // Muted again and left so past staleAfter: the sweep resolves it, saying why; the other stays open.
    await am.silence(['alertname=DiskFull', 'instance=db-2']);
    await eventually(
      'db-2 unreported again',
      () => byInstance('db-2'),
      (t) => !!t?.unreportedSince,
    );
    clock.advance(11 * 60_000);
    await stack.tick();
    const resolved = await byInstance('db-2');
    expect(resolved).toMatchObject({ status: 'resolved', resolvedBy: 'alertmanager' });
    expect(resolved?.resolution).toContain('No longer reported by Alertmanager since');
    expect((await byInstance('db-1'))?.status).toBe('open');
    const timeline = (await getJson(`${stack.url}/api/tasks/${resolved?.id}`, API())).body.timeline;
    expect(timeline.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining(['opened', 'commented', 'resolved']),
    );
  }, 90_000);
});
