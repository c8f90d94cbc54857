import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/time.js';
import { API, getJson, inProcessStack, postJson, type TestStack } from '../helpers/local-stack.js';
import { ANA, CHECKOUT, GENERAL, settle, slackOf } from '../helpers/slack.js';

/**
 * Issue 18's "done when" for maintenance windows, on the local stack with a clock the test moves: an alert during
 * a window opens nothing and posts nothing; one still firing when it ends opens its task at the tick after;
 * one resolved during it opens nothing.
 */
describe('maintenance windows on the local stack', () => {
  let stack: TestStack;
  // A Sunday night, 01:50 in Berlin (ana's time zone).
  const clock = new ManualClock('2026-12-06T00:50:00.000Z');
  let slack: ReturnType<typeof slackOf>;

  beforeAll(async () => {
    stack = await inProcessStack({ TMS_TICK: '1h' }, { clock });
    slack = slackOf(stack);
  }, 60_000);
  afterAll(() => stack?.close(), 60_000);

  const send = async (action: 'trigger' | 'resolve', key: string, summary: string) => {
    const answer = await postJson(`${stack.url}/ingest/generic`, {
      routing_key: stack.secrets.INGEST_TOKEN,
      event_action: action,
      dedup_key: key,
      payload: { summary, source: 'db-1', severity: 'error', component: 'checkout' },
    });
    expect(answer.status).toBeLessThan(300);
    await settle(stack);
  };
  /** `/tms <text>` typed by ana, signed at the stack's time (Slack's five-minute rule is checked on it). */
  const tms = async (text: string) => {
    const body = slack.client.commandBody(text, { user: ANA, channel: GENERAL });
    const answer = await slack.client.send(body, { timestamp: Math.floor(clock.now().getTime() / 1000) });
    expect(answer.status).toBe(200);
    await settle(stack);
  };
  const tasks = async (): Promise<{ id: string; title: string; description: string }[]> =>
    (await getJson(`${stack.url}/api/tasks`, API())).body.tasks;
  const checkoutPosts = () => stack.slack.messages(CHECKOUT).filter((m) => !m.ephemeral_user);

  it('holds alerts back during the window, and opens the one still firing at the tick after it ends', async () => {
    // Prepare: ana makes a window over checkout from 02:00 to 03:00 her time.
    await tms('maintenance checkout from 02:00 to 03:00 db upgrade');
    const reply = slack.lastPrivate(ANA);
    expect(reply).toMatch(/^Maintenance window \*MW-[0-9a-z]{6}\* holds back checkout from /);
    expect(reply).toContain('(read in Europe/Berlin) — db upgrade.');
    const id = /\*(MW-[0-9a-z]{6})\*/.exec(reply)?.[1] as string;
    const postsBefore = checkoutPosts().length;

    // Act: during the window, one alert fires and stays firing, another fires and recovers.
    clock.set('2026-12-06T01:10:00.000Z');
    await send('trigger', 'db-disk', 'Disk full on db-1');
    await send('trigger', 'db-disk', 'Disk full on db-1');
    await send('trigger', 'db-cpu', 'CPU high on db-1');
    clock.set('2026-12-06T01:20:00.000Z');
    await send('resolve', 'db-cpu', 'CPU high on db-1');
    await stack.tick();

    // Assess: nothing opened, nothing posted, and the window counts what it held.
    expect((await tasks()).map((t) => t.title)).not.toContain('Disk full on db-1');
    expect((await tasks()).map((t) => t.title)).not.toContain('CPU high on db-1');
    expect(checkoutPosts()).toHaveLength(postsBefore);
    expect(await stack.deps.windows.getWindow(id)).toMatchObject({ held: 3 });
    await tms('silences');
    expect(slack.lastPrivate(ANA)).toContain(`*Maintenance windows in force*\n• *${id}* checkout until `);
    expect(slack.lastPrivate(ANA)).toContain('(3 held back)');

    // Act: the window ends; the next tick releases what it held (a second tick changes nothing).
    clock.set('2026-12-06T02:00:30.000Z');
    await postJson(`${stack.url}/_sandbox/tick`, {});
    await postJson(`${stack.url}/_sandbox/tick`, {});
    await settle(stack);

    // Assess: the alert still firing has its task, which says the window held it; the recovered one has none.
    const open = await tasks();
    const disk = open.filter((t) => t.title === 'Disk full on db-1');
    expect(disk).toHaveLength(1);
    expect(disk[0]?.description).toContain(`Held back by maintenance window ${id} (db upgrade)`);
    expect(disk[0]?.description).toContain('it fired 2 times during it');
    expect(open.map((t) => t.title)).not.toContain('CPU high on db-1');
    await expect
      .poll(() => checkoutPosts().filter((m) => m.text.includes(disk[0]?.id as string)).length)
      .toBe(1);

    // Assess: after the window, the same alerts open tasks as usual.
    await send('trigger', 'db-cpu', 'CPU high on db-1');
    expect((await tasks()).map((t) => t.title)).toContain('CPU high on db-1');
  }, 60_000);
});
