import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShiftedClock } from '../helpers/clock.js';
import { API, getJson, inProcessStack, postJson, type TestStack } from '../helpers/local-stack.js';
import { BEN, CAL, CHECKOUT, settle } from '../helpers/slack.js';

// tms.config.yaml: checkout belongs to payments, whose weekly rotation [U01AAA, U01BBB] hands over Mondays
// 09:00 in Berlin from 2026-01-05. On Tuesday 2027-01-12 it is in its 54th week (index 53): U01BBB's.
const TUESDAY = Date.parse('2027-01-12T12:00:00.000Z');
const FIXTURE = JSON.parse(readFileSync('test/fixtures/generic/pagerduty-trigger.json', 'utf8'));

let stack: TestStack;
beforeAll(async () => {
  const clock = new ShiftedClock();
  clock.advance(TUESDAY - Date.now());
  stack = await inProcessStack({}, { clock, sleep: clock.sleep });
});
afterAll(async () => {
  await stack.close();
});

/** The PagerDuty example event, for the checkout service, under its own dedup key. */
const event = (dedupKey: string) => ({
  ...FIXTURE,
  routing_key: stack.secrets.INGEST_TOKEN,
  dedup_key: dedupKey,
  payload: { ...FIXTURE.payload, component: 'checkout' },
});

async function opened(dedupKey: string) {
  expect((await postJson(`${stack.url}/ingest/generic`, event(dedupKey))).status).toBe(202);
  await settle(stack);
  const { body } = await getJson(`${stack.url}/api/tasks?status=all&limit=100`, API());
  const task = body.tasks.find((t: { fingerprint: string }) => t.fingerprint === `generic:${dedupKey}`);
  const messages = (await getJson(`${stack.url}/_sandbox/slack/messages?channel=${CHECKOUT}`)).body.messages;
  const card = messages.find((m: { text: string }) => m.text.includes(` ${task.id}: `));
  return { task, card: JSON.stringify(card) };
}

describe('a new alert task on the local stack', () => {
  it('is assigned to the on-call of its team, and its card says so', async () => {
    // Act
    const { task, card } = await opened('oncall/rotation');

    // Assess
    expect(task).toMatchObject({
      service: 'checkout',
      team: 'payments',
      assignee: BEN,
      assignedBy: { oncall: 'payments', user: BEN },
    });
    expect(card).toContain(`<@${BEN}>, on call for payments`);
  });

  it('goes to whoever an override stored for now puts on call', async () => {
    // Prepare
    await stack.deps.oncall.createOverride({
      id: 'local-ovr',
      team: 'payments',
      user: CAL,
      start: new Date(TUESDAY - 3_600_000).toISOString(),
      end: new Date(TUESDAY + 86_400_000).toISOString(),
      createdAt: new Date(TUESDAY - 3_600_000).toISOString(),
      createdBy: BEN,
      reason: 'take',
    });

    // Act
    const { task, card } = await opened('oncall/override');

    // Assess
    expect(task).toMatchObject({ assignee: CAL, assignedBy: { oncall: 'payments', user: CAL } });
    expect(card).toContain(`<@${CAL}>, on call for payments`);
  });
});
