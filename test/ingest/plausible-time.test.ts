import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ShiftedClock } from '../helpers/clock.js';
import { API, getJson, inProcessStack, postJson, type TestStack } from '../helpers/local-stack.js';
import { ANA, CHECKOUT, settle, slackOf } from '../helpers/slack.js';

/**
 * Which time TMS counts an event at, on the local stack with the default config (trends: at least 5 events
 * in the last hour, 3× the day before): the sender's when plausible, else the receipt. Each test has a stack
 * of its own, so what it counts is only what it sent.
 */
let clock: ShiftedClock;
let stack: TestStack;
let slack: ReturnType<typeof slackOf>;
beforeEach(async () => {
  clock = new ShiftedClock();
  stack = await inProcessStack({}, { clock, sleep: clock.sleep });
  slack = slackOf(stack);
});
afterEach(() => stack.close());

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const TOKEN = { authorization: 'Bearer local-ingest-token' };
const iso = (ms: number) => new Date(ms).toISOString();
/** What `/tms <text>` answered, as the blocks' text. */
async function ask(text: string): Promise<string> {
  const answer = await slack.client.command(text, { user: ANA, channel: CHECKOUT });
  await settle(stack);
  return JSON.stringify(answer.body);
}
async function trigger(dedupKey: string, timestamp: string) {
  // A PagerDuty Events API v2 trigger (test/fixtures/generic/pagerduty-trigger.json), its time the sender's.
  const answer = await postJson(`${stack.url}/ingest/generic`, {
    routing_key: 'local-ingest-token',
    event_action: 'trigger',
    dedup_key: dedupKey,
    payload: {
      summary: 'Checkout p99 above 2s',
      source: 'prod-checkout-7',
      severity: 'warning',
      component: 'checkout',
      timestamp,
    },
  });
  expect(answer.status).toBe(202);
}
async function onlyTask() {
  await settle(stack);
  const { tasks } = (await getJson(`${stack.url}/api/tasks?limit=100`, API())).body;
  expect(tasks).toHaveLength(1);
  return tasks[0];
}
const slackDate = (at: string) =>
  `<!date^${Date.parse(at) / 1000}^{date_short} {time}|${at.slice(0, 16).replace('T', ' ')} UTC>`;

describe('the time TMS counts an event at', () => {
  it('counts 60 triggers a sender dates fourteen months back when they arrive: trending now, and the card says what the sender said', async () => {
    // Act: the same event, six at a time every six seconds for a minute, its timestamp a static example's
    for (let i = 0; i < 10; i++) {
      await Promise.all(Array.from({ length: 6 }, () => trigger('checkout-p99', '2025-09-16T16:55:00Z')));
      clock.advance(6 * SECOND);
    }
    // Assert
    const task = await onlyTask();
    expect(task.occurrences).toBe(60);
    expect(Date.now() - Date.parse(task.lastSeenAt)).toBeLessThan(24 * 3_600_000);
    expect(task.reportedAt).toBe('2025-09-16T16:55:00.000Z');
    const trends = await ask('trends checkout');
    expect(trends).toContain('Trending now');
    expect(trends).toContain('Checkout p99 above 2s');
    expect(await ask('stats checkout')).toContain('alert events *60*');
    expect(slack.cardText(task.id)).toContain(
      `sender's clock says ${slackDate('2025-09-16T16:55:00.000Z')} (counted at receipt)`,
    );
  }, 120_000); // 60 deliveries, each counted and its card brought up to date: slow on a loaded machine

  it('counts a sender time ten minutes ahead at receipt', async () => {
    // Act
    const sent = clock.now().getTime();
    const ahead = iso(sent + 10 * MINUTE);
    await trigger('clock-ahead', ahead);
    // Assert
    const task = await onlyTask();
    expect(Date.parse(task.firstSeenAt)).toBeGreaterThanOrEqual(sent);
    expect(Date.parse(task.firstSeenAt)).toBeLessThan(sent + 10 * MINUTE);
    expect(task.firstSeenAt).toBe(task.lastSeenAt);
    expect(task.reportedAt).toBe(ahead);
    // The SLA clock starts at receipt too: a P3 has one hour to be acknowledged.
    expect(Date.parse(task.ackDueAt) - Date.parse(task.firstSeenAt)).toBe(60 * MINUTE);
  });

  it('resolves an Alertmanager alert at its endsAt, 40 s before the delivery, and counts MTTR from its startsAt', async () => {
    // Arrange: Alertmanager's v4 webhook (test/fixtures/alertmanager), firing for 10 minutes already
    const webhook = JSON.parse(
      readFileSync('test/fixtures/alertmanager/alertmanager-v4-firing.json', 'utf8'),
    );
    const [alert] = webhook.alerts;
    const startsAt = iso(clock.now().getTime() - 10 * MINUTE);
    const firing = { ...webhook, alerts: [{ ...alert, startsAt }] };
    expect((await postJson(`${stack.url}/ingest/alertmanager`, firing, TOKEN)).status).toBe(202);
    await settle(stack);
    // Act: four minutes on, its resolve, ended 40 s before Alertmanager's group interval sent it
    clock.advance(4 * MINUTE);
    const endsAt = iso(clock.now().getTime() - 40 * SECOND);
    const resolved = {
      ...webhook,
      status: 'resolved',
      alerts: [{ ...alert, status: 'resolved', startsAt, endsAt }],
    };
    expect((await postJson(`${stack.url}/ingest/alertmanager`, resolved, TOKEN)).status).toBe(202);
    // Assert
    const task = await onlyTask();
    expect(task).toMatchObject({ status: 'resolved', firstSeenAt: startsAt, resolvedAt: endsAt });
    expect(task.reportedAt).toBeUndefined();
    // 13 min 20 s from firing to recovery, not the 4 min between the two deliveries.
    expect(await ask('stats')).toContain('MTTR *13 min*');
  });

  it('does not count tasks people open with /tms new as alert events', async () => {
    // Act: six tasks typed in, one more than the trend's minimum
    for (const title of [
      'Rotate the API keys',
      'Renew the TLS cert',
      'Update the runbook',
      'Tidy dashboards',
    ]) {
      await ask(`new ${title}`);
    }
    await ask('new Review the on-call rota');
    await ask('new Plan the game day');
    // Assert: opened, but no alert events and nothing trending
    const stats = await ask('stats');
    expect(stats).toMatch(/Opened \*6\*/);
    expect(stats).toContain('alert events *0*');
    expect(await ask('trends')).toContain('Nothing is trending right now.');
  });
});
