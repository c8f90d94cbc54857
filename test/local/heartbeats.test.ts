import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShiftedClock } from '../helpers/clock.js';
import { API, getJson, inProcessStack, postJson, type TestStack } from '../helpers/local-stack.js';
import { ANA, BEN, GENERAL, settle, slackOf, VIC } from '../helpers/slack.js';

const HOUR = 3_600_000;
const DB = 'C0DB';
const INGEST = { authorization: 'Bearer local-ingest-token' };

let dir: string;
let stack: TestStack;
let clock: ShiftedClock;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tms-heartbeats-'));
  const config = join(dir, 'tms.config.yaml');
  writeFileSync(
    config,
    [
      'services:',
      `  db: { channel: ${DB} }`,
      'heartbeats:',
      '  nightly-backup: { every: 1d, grace: 1h, service: db, priority: P2 }',
      `rbac: { admins: [${ANA}], viewers: [${VIC}] }`,
      '',
    ].join('\n'),
  );
  // The stack's clock is the test's to move; its own timer ticks once an hour (never, in this test).
  clock = new ShiftedClock();
  stack = await inProcessStack({ TMS_CONFIG: config, TMS_TICK: '1h' }, { clock, sleep: clock.sleep });
});
afterAll(async () => {
  await stack.close();
  rmSync(dir, { recursive: true, force: true });
});

const tick = () => postJson(`${stack.url}/_sandbox/tick`, {});
const ping = (name: string, headers: Record<string, string> = INGEST) =>
  postJson(`${stack.url}/ingest/heartbeat/${name}`, '', headers);
const heartbeatTasks = async () =>
  (
    (await getJson(`${stack.url}/api/tasks?status=all`, API())).body.tasks as { fingerprint: string }[]
  ).filter((t) => t.fingerprint === 'heartbeat:nightly-backup');

// Slack's requests are signed on the real clock: these run before the test that moves the stack's a day on.
describe('/tms heartbeat and /tms heartbeats', () => {
  /** Types `/tms <text>` and returns the reply only the person saw. */
  async function tms(text: string, user = ANA): Promise<string> {
    const slack = slackOf(stack);
    const answer = await slack.client.command(text, { user, channel: GENERAL });
    expect(answer.status).toBe(200);
    await settle(stack);
    return slack.lastPrivate(user);
  }

  it("makes a heartbeat from Slack, lists it beside the config's, refuses to redefine the config's, and removes it", async () => {
    // Prepare: the first tick brings the config's heartbeat into the store.
    await tick();
    // Act
    const made = await tms('heartbeat etl.daily every 1h grace 5m db');
    // Assess
    expect(made).toContain('Made the heartbeat *etl.daily*, every 1h (+5m grace) for db');
    expect(made).toContain('/ingest/heartbeat/etl.daily');
    expect((await ping('etl.daily')).status).toBe(202);
    const listed = await tms('heartbeats');
    expect(listed).toContain('*etl.daily* every 1h (+5m grace) · db');
    expect(listed).toMatch(/\*etl\.daily\*[^\n]*last ping <!date\^\d+\^/);
    expect(listed).toContain('*nightly-backup* every 1d (+1h grace) · db · P2 · from the config');
    expect(await tms('heartbeat nightly-backup every 2d')).toContain('comes from the config');
    expect(await tms('heartbeat etl.daily every 1d', VIC)).toContain('read-only');
    expect(await tms('heartbeat etl.daily every soon')).toContain('Say a duration after every');
    // Another developer can neither redefine nor switch off ana's heartbeat; she (an admin, or its maker) can.
    expect(await tms('heartbeat etl.daily remove', BEN)).toContain(
      "is <@U01AAA>'s heartbeat: only its maker or an admin can remove it",
    );
    expect(await tms('heartbeat etl.daily every 1d', BEN)).toContain(
      'only its maker or an admin can redefine it',
    );
    // Act: removed, its pings are refused.
    expect(await tms('heartbeat etl.daily remove')).toContain('Removed the heartbeat *etl.daily*');
    expect((await ping('etl.daily')).status).toBe(404);
  });
});

describe('heartbeats on the local stack', () => {
  it('refuses a ping without the ingest token (401) and one of an unknown name (404)', async () => {
    expect((await ping('nightly-backup', {})).status).toBe(401);
    const unknown = await ping('never-made');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('NOT_FOUND');
  });

  it('a heartbeat that misses its deadline opens a task once, and the next ping resolves it', async () => {
    // Prepare: a tick brings the config's heartbeat into the store (if none had yet); a ping starts its clock.
    await tick();
    const first = await ping('nightly-backup');
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ heartbeat: 'nightly-backup', taskIds: [] });
    // Act: no ping for a day and an hour, then two ticks.
    clock.advance(25 * HOUR + 60_000);
    await tick();
    await tick();
    // Assess: one task, for the db service, and its card in the db channel.
    const [task, ...more] = await heartbeatTasks();
    expect(more).toEqual([]);
    expect(task).toMatchObject({
      status: 'open',
      service: 'db',
      priority: 'P2',
      source: 'tms',
      occurrences: 1,
      channel: DB,
    });
    expect((task as unknown as { title: string }).title).toMatch(
      /^nightly-backup has not reported for 1 day 1 hour; last ping /,
    );
    const id = (task as unknown as { id: string }).id;
    await expect
      .poll(
        async () =>
          (await getJson(`${stack.url}/_sandbox/slack/messages?channel=${DB}`)).body.messages.some(
            (m: { text: string }) => m.text.includes(`${id}: `) && m.text.includes('nightly-backup'),
          ),
        { timeout: 5_000, interval: 100 },
      )
      .toBe(true);
    // Act: the job succeeds again.
    const back = await ping('nightly-backup');
    // Assess
    expect(back.status).toBe(202);
    expect(back.body.taskIds).toEqual([id]);
    expect((await getJson(`${stack.url}/api/tasks/${id}`, API())).body.task.status).toBe('resolved');
    await tick();
    expect(await heartbeatTasks()).toHaveLength(1);
  });
});
