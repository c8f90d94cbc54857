import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Task } from '../../src/core/task.js';
import { eventually, type RealAlertmanager, startAlertmanager } from '../helpers/alertmanager.js';
import { ShiftedClock } from '../helpers/clock.js';
import { inProcessStack, type TestStack } from '../helpers/local-stack.js';
import { type RealPrometheus, startPrometheus } from '../helpers/prometheus.js';
import { slackOf } from '../helpers/slack.js';

/**
 * Prometheus 2.42 → Alertmanager 0.25 → TMS, all real (Debian's packages), with TMS's defaults
 * (`grouping: group`): a rule that fires on two instances for a while and then stops. TMS's clock runs
 * half a minute ahead of theirs, so the times TMS counts can be told from the times it received things.
 */
const AHEAD_MS = 30_000;

describe('Prometheus and Alertmanager, grouped by alertname, into TMS', () => {
  const clock = new ShiftedClock();
  let stack: TestStack;
  let am: RealAlertmanager;
  let prometheus: RealPrometheus;
  /** When the rule stops firing, in their (real) time. */
  let stopsAt: number;

  beforeAll(async () => {
    clock.advance(AHEAD_MS);
    stack = await inProcessStack({}, { clock });
    am = await startAlertmanager({
      webhookUrl: `${stack.url}/ingest/alertmanager`,
      token: 'local-ingest-token',
      groupBy: ['alertname'],
      groupWait: '1s',
      groupInterval: '2s',
      repeatInterval: '1h',
    });
    stopsAt = Date.now() + 25_000;
    const firingUntil = `vector(1) and on() (vector(time()) < ${Math.floor(stopsAt / 1000)})`;
    prometheus = await startPrometheus({
      alertmanagerUrl: am.url,
      rules: ['checkout-1', 'checkout-2'].map((instance) => ({
        alert: 'CheckoutLatencyHigh',
        expr: firingUntil,
        labels: { service: 'checkout', severity: 'critical', instance },
        annotations: { summary: 'Checkout p99 latency is high', runbook_url: 'https://wiki.example/latency' },
      })),
    });
  }, 60_000);
  afterAll(async () => {
    await prometheus?.stop();
    await am?.stop();
    await stack?.close();
  });

  const groupTasks = async () =>
    (await stack.deps.store.list({ limit: 20 })).tasks.filter((t) => t.source === 'alertmanager');

  it('is one task for the group, its card listing both alerts, resolved at the time Prometheus saw it end', async () => {
    // Act: Prometheus fires both alerts; Alertmanager groups them and notifies TMS.
    const [firing] = await eventually(
      'one group task with both alerts firing',
      groupTasks,
      (tasks) => tasks.length === 1 && tasks[0]?.group?.firing === 2,
      40_000,
    );
    const opened = firing as Task;
    // Assert: one task, in checkout, at P1, its card listing the group.
    expect(opened).toMatchObject({ service: 'checkout', priority: 'P1', status: 'open' });
    expect(opened.labels).toMatchObject({ alertname: 'CheckoutLatencyHigh', service: 'checkout' });
    // What the group shares, as its latest notification says (its first may have held one alert only).
    expect(opened.group?.commonLabels).toMatchObject({
      alertname: 'CheckoutLatencyHigh',
      service: 'checkout',
    });
    expect(opened.group?.commonLabels.instance).toBeUndefined();
    // Its links: to the group in this Alertmanager, and to a silence of the whole group (its group_by labels).
    expect(opened.links).toContainEqual({
      label: 'Silence in Alertmanager',
      url: `${am.externalUrl}/#/silences/new?filter=${encodeURIComponent('{alertname="CheckoutLatencyHigh"}')}`,
    });
    // Counted from when Prometheus fired it, not from when TMS (half a minute ahead) received it.
    expect(Date.parse(opened.firstSeenAt)).toBeLessThan(Date.parse(opened.createdAt) - AHEAD_MS + 5_000);
    await stack.idle();
    const card = slackOf(stack).cardText(opened.id);
    expect(card).toContain('2 firing');
    expect(card).toMatch(/checkout-1/);
    expect(card).toMatch(/checkout-2/);

    // Act: the rule stops; Prometheus sends both resolved, Alertmanager the group's resolved notification.
    const [resolved] = await eventually(
      'the group task resolved',
      groupTasks,
      (tasks) => tasks[0]?.status === 'resolved',
      60_000,
    );
    const done = resolved as Task;
    // Assert: resolved by its source at Prometheus' endsAt (about when the rule stopped, in real time), which is
    // half a minute before TMS received it; still one task.
    expect(done).toMatchObject({ resolvedBy: 'alertmanager', id: opened.id });
    const resolvedAt = Date.parse(done.resolvedAt as string);
    expect(resolvedAt).toBeGreaterThan(stopsAt - 3_000);
    expect(resolvedAt).toBeLessThan(Date.parse(done.updatedAt) - AHEAD_MS + 5_000);
    expect(await groupTasks()).toHaveLength(1);
    expect(await am.metric('alertmanager_notifications_failed_total')).toBe(0);
  }, 150_000);
});
