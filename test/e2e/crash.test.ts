import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DynamoCardStore } from '../../src/adapters/dynamo/card-store.js';
import { createDocumentClient } from '../../src/adapters/dynamo/task-store.js';
import { HANDLING_LEASE_MS } from '../../src/bot/app.js';
import { LOCAL_AWS } from '../../src/local/embedded-dynamo.js';
import { type SandboxCard, SandboxSlack } from '../../src/local/slack-client.js';
import { API, getJson, npmStart, type StartedProcess } from '../helpers/local-stack.js';

/**
 * `npm start` on a kept store, killed with SIGKILL in the middle of a burst of deliveries and clicks, again and
 * again at seeded random moments, and restarted on the same folder each time; senders re-send what was not
 * acknowledged, as they do. Afterwards every delivery is counted exactly once, every click took effect, and
 * every card shows its task's version.
 */

const SEED = Number(process.env.TMS_CRASH_SEED ?? 13);
const KILLS = 3;
const BURST = 24;
const ANA = 'U01AAA';
const GENERAL = 'C0GENERAL';

/** mulberry32: a small seeded generator, so a failing run can be run again (TMS_CRASH_SEED). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
const rand = random(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Real payloads (test/fixtures/*/README.md say where they come from), varied per delivery as senders vary them.
const fixture = (path: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8'));
const PAGERDUTY = fixture('generic/pagerduty-trigger.json');
const ALERTMANAGER = fixture('alertmanager/alertmanager-v4-firing.json');

interface Delivery {
  readonly fingerprint: string;
  /** A generic sender's retry is recognised by the Idempotency-Key it sends again (PagerDuty's protocol has none). */
  readonly idempotencyKey?: string;
  readonly path: string;
  readonly body: string;
  acknowledged: boolean;
}

let sequence = 0;
function delivery(): Delivery {
  const n = ++sequence;
  if (rand() < 0.5) {
    const key = `crash-${pick(['db', 'queue', 'cache'])}`;
    const body = {
      ...PAGERDUTY,
      routing_key: 'local-ingest-token',
      dedup_key: key,
      payload: { ...PAGERDUTY.payload, timestamp: new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString() },
    };
    return {
      fingerprint: `generic:${key}`,
      idempotencyKey: `crash-delivery-${n}`,
      path: '/ingest/generic',
      body: JSON.stringify(body),
      acknowledged: false,
    };
  }
  const fp = pick(['c0ffee01', 'c0ffee02']);
  const [alert] = ALERTMANAGER.alerts;
  // Without its groupKey, read alert by alert (as `grouping: alert` reads it): the deliveries of the burst
  // arrive in any order, and each new firing of an alert is one occurrence, whatever came before it.
  const { groupKey: _grouped, ...ungrouped } = ALERTMANAGER;
  const body = {
    ...ungrouped,
    alerts: [
      {
        ...alert,
        fingerprint: fp,
        labels: { ...alert.labels, alertname: `Probe${fp}` },
        // A new firing (Alertmanager counts by startsAt); a retry is the same body, delivered before.
        startsAt: new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString(),
      },
    ],
  };
  return {
    fingerprint: `alertmanager:${fp}`,
    path: '/ingest/alertmanager',
    body: JSON.stringify(body),
    acknowledged: false,
  };
}

interface Click {
  readonly taskId: string;
  readonly priority: string;
  readonly body: string;
  acknowledged: boolean;
}

const folder = mkdtempSync(join(tmpdir(), 'tms-crash-'));
let tms: StartedProcess | undefined;
afterAll(async () => {
  await tms?.stop('SIGKILL');
  if (!process.env.TMS_CRASH_KEEP) rmSync(folder, { recursive: true, force: true });
  else process.stdout.write(`kept ${folder}\n`);
});

// The burst is all in flight at once (no shedding), so the kill lands in the middle of as much work as it can.
const start = () => npmStart({ TMS_DATA_DIR: folder, TMS_TICK: '1h', TMS_MAX_IN_FLIGHT: '64' });
const storeUrl = (process: StartedProcess) =>
  /AWS_ENDPOINT_URL_DYNAMODB=(http:\/\/127\.0\.0\.1:\d+)/.exec(process.output())?.[1] as string;

async function send(url: string, d: Delivery): Promise<void> {
  try {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (d.path === '/ingest/alertmanager') headers.authorization = 'Bearer local-ingest-token';
    if (d.idempotencyKey) headers['idempotency-key'] = d.idempotencyKey;
    const response = await fetch(`${url}${d.path}`, { method: 'POST', headers, body: d.body });
    await response.arrayBuffer();
    if (response.status === 202) d.acknowledged = true;
  } catch {
    // the connection died with the process: not acknowledged
  }
}

async function press(slack: SandboxSlack, c: Click): Promise<void> {
  try {
    if ((await slack.send(c.body)).status === 200) c.acknowledged = true;
  } catch {
    // not acknowledged
  }
}

/** What a sender does with what was not acknowledged: sends it again until it is. */
async function resend(items: { acknowledged: boolean }[], again: (item: never) => Promise<void>) {
  const deadline = Date.now() + 30_000;
  for (let left = items.filter((i) => !i.acknowledged); left.length > 0; ) {
    await Promise.all(left.map((i) => again(i as never)));
    left = left.filter((i) => !i.acknowledged);
    if (left.length === 0) break;
    if (Date.now() > deadline) throw new Error(`${left.length} still not acknowledged after 30 s`);
    await sleep(300);
  }
}

async function cardOf(url: string, taskId: string): Promise<SandboxCard | undefined> {
  const { body } = await getJson(`${url}/_sandbox/slack/messages`);
  return (body.messages as (SandboxCard & Record<string, unknown>)[])
    .filter((m) => !m.ephemeral_user && !m.response_url && m.thread_ts === null)
    .filter((m) => String(m.text).includes(` ${taskId}: `))
    .at(-1);
}

async function tasksNow(url: string): Promise<Map<string, { priority: string }>> {
  const { body } = await getJson(`${url}/api/tasks?limit=100`, API());
  return new Map((body.tasks as { id: string; priority: string }[]).map((t) => [t.id, t]));
}

const tick = async (url: string) =>
  expect((await fetch(`${url}/_sandbox/tick`, { method: 'POST' })).status).toBe(200);

describe('the local stack killed with SIGKILL during a burst, and restarted on its folder', () => {
  it(`loses nothing, counts nothing twice, and leaves every click repeatable (seed ${SEED})`, async () => {
    tms = await start();
    const slack = () => new SandboxSlack((tms as StartedProcess).url, 'local-slack-signing-secret');

    // Arrange: tasks people click on, with their cards.
    const clickable: string[] = [];
    for (let i = 0; i < 3; i++) {
      const answer = await slack().command(`new Crash click target ${i} p3`, { user: ANA, channel: GENERAL });
      clickable.push(/\*(TMS-\d+)\*/.exec(answer.body.text)?.[1] as string);
    }
    const priority = new Map(clickable.map((id) => [id, 'P3']));
    const deliveries: Delivery[] = [];
    const clicks: Click[] = [];
    const seen = new Map<string, SandboxCard>();

    for (let round = 0; round < KILLS; round++) {
      const url = tms.url;
      await tick(url);
      // Each click is pressed on the card as it is now, choosing a priority it does not have.
      const planned: Click[] = [];
      for (const id of clickable) {
        // After a restart Slack still shows the card last posted (the emulator, in memory, forgot it).
        const card = (await cardOf(url, id)) ?? seen.get(id);
        if (!card) throw new Error(`no card for ${id} in round ${round}`);
        seen.set(id, card);
        // A priority the card offers (a card from before the restart may show an older one) and the task has not.
        const offered = card.blocks
          .flatMap((b) => b.elements ?? [])
          .filter((e) => e.action_id === 'tms_priority')
          .flatMap((e) => e.options ?? [])
          .map((o) => o.value.split(':').at(-1));
        const target = pick(['P2', 'P3', 'P4'].filter((p) => p !== priority.get(id) && offered.includes(p)));
        priority.set(id, target);
        const body = slack().actionBody(card, 'tms_priority', ANA, { value: target });
        planned.push({ taskId: id, priority: target, body, acknowledged: false });
      }
      const burst = Array.from({ length: BURST }, delivery);
      deliveries.push(...burst);
      clicks.push(...planned);

      // Act: the burst, and SIGKILL at a random moment inside it.
      const started = Date.now();
      const inFlight = [
        ...burst.map(async (d) => {
          await sleep(rand() * 400);
          await send(url, d);
        }),
        ...planned.map(async (c) => {
          await sleep(rand() * 400);
          await press(slack(), c);
        }),
      ];
      await sleep(80 + rand() * 400 - (Date.now() - started));
      await tms.stop('SIGKILL');
      await Promise.all(inFlight);

      // Restart on the same folder; senders and people try again what was not answered.
      tms = await start();
      await resend(deliveries, (d: Delivery) => send((tms as StartedProcess).url, d));
      await resend(clicks, (c: Click) => press(slack(), c));
      // A person whose card does not show their choice presses again. A click killed halfway held its key
      // under a lease as long as the bot's Lambda timeout (HANDLING_LEASE_MS); the restart released the
      // claims of the run it knows is dead, so pressing again acts now (say, within 10 s of the first press
      // again), not only once the lease has run out.
      const restarted = (tms as StartedProcess).url;
      const shown = await tasksNow(restarted);
      const unseen = planned.filter((c) => shown.get(c.taskId)?.priority !== c.priority);
      const deadline = Date.now() + Math.min(10_000, HANDLING_LEASE_MS - 1_000);
      for (const c of unseen) {
        for (;;) {
          c.acknowledged = false;
          await resend([c], (again: Click) => press(slack(), again));
          if ((await tasksNow(restarted)).get(c.taskId)?.priority === c.priority) break;
          if (Date.now() > deadline) throw new Error(`pressing again on ${c.taskId} did not act`);
          await sleep(200);
        }
      }
      if (unseen.length > 0) {
        // Released by the restart's recovery, not by the lease running out.
        const released = /restart: \d+ click\(s\) or event\(s\) cut short/;
        for (const until = Date.now() + 5_000; !released.test(tms.output()) && Date.now() < until; )
          await sleep(100);
        expect(tms.output()).toMatch(released);
      }
    }
    await tick(tms.url);
    await tick(tms.url);

    // Assess: every delivery counted exactly once, on one task per fingerprint.
    const { body } = await getJson(`${tms.url}/api/tasks?limit=100`, API());
    const tasks = body.tasks as {
      id: string;
      fingerprint?: string;
      occurrences: number;
      version: number;
      priority: string;
    }[];
    const expected = new Map<string, number>();
    for (const d of deliveries) expected.set(d.fingerprint, (expected.get(d.fingerprint) ?? 0) + 1);
    const counted = new Map<string, number[]>();
    for (const t of tasks)
      if (t.fingerprint) counted.set(t.fingerprint, [...(counted.get(t.fingerprint) ?? []), t.occurrences]);
    expect
      .soft(Object.fromEntries(counted), 'occurrences per task: each delivery exactly once')
      .toEqual(Object.fromEntries([...expected].map(([fp, n]) => [fp, [n]])));

    // Every click took effect: each task has the priority of the last click on it.
    const clicked = Object.fromEntries(clickable.map((id) => [id, tasks.find((t) => t.id === id)?.priority]));
    expect.soft(clicked, 'priority per task: the last click on it').toEqual(Object.fromEntries(priority));

    // Every card shows its task's version.
    const cards = new DynamoCardStore(createDocumentClient({ ...LOCAL_AWS, endpoint: storeUrl(tms) }), 'tms');
    const versions = Object.fromEntries(tasks.map((t) => [t.id, t.version]));
    const shown: Record<string, number | undefined> = {};
    // A card may still be on its way (its lane waits out Slack's one edit a second): a few seconds, not forever.
    for (const until = Date.now() + 10_000; ; await sleep(250)) {
      for (const t of tasks) shown[t.id] = (await cards.card(t.id))?.shownVersion;
      if (tasks.every((t) => shown[t.id] === t.version) || Date.now() > until) break;
    }
    expect.soft(shown, 'version each card shows').toEqual(versions);
  }, 150_000); // three cold starts of `npm start` and the re-sends: 25 s alone, far more on a busy machine
});
