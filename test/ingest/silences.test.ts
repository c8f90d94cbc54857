import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, getJson, inProcessStack, postJson, type TestStack } from '../helpers/local-stack.js';
import { ANA, BEN, GENERAL, settle, slackOf, VIC } from '../helpers/slack.js';

let stack: TestStack;
let slack: ReturnType<typeof slackOf>;
beforeAll(async () => {
  stack = await inProcessStack();
  slack = slackOf(stack);
});
afterAll(() => stack.close());

async function tms(text: string, user = BEN): Promise<string> {
  const answer = await slack.client.command(text, { user, channel: GENERAL });
  expect(answer.status).toBe(200);
  return String(answer.body.text);
}
const trigger = (key: string, component?: string, extra: Record<string, unknown> = {}) =>
  postJson(`${stack.url}/ingest/generic`, {
    routing_key: 'local-ingest-token',
    event_action: 'trigger',
    dedup_key: key,
    payload: {
      summary: `Alert ${key}`,
      source: 'test',
      severity: 'error',
      ...(component ? { component } : {}),
      ...extra,
    },
  });
const tasksFor = async (key: string) =>
  (await getJson(`${stack.url}/api/tasks?limit=100`, API())).body.tasks.filter(
    (t: { fingerprint: string }) => t.fingerprint === `generic:${key}`,
  );

describe('/tms silence', () => {
  it('holds matching alerts back (no task, nothing posted) until it is lifted; others go on', async () => {
    // Arrange
    const reply = await tms('silence checkout 2h deploy &amp; migration');
    const id = /\*(S-[0-9a-z]+)\*/.exec(reply)?.[1] as string;
    expect(reply).toContain('Silenced checkout until <!date^');
    expect(reply).toContain('deploy &amp; migration');
    const posts = stack.slack.messages().length;
    // Act
    const silenced = await trigger('held-1', 'checkout');
    const other = await trigger('passes-1');
    await settle(stack);
    // Assert
    expect([silenced.status, other.status]).toEqual([202, 202]);
    expect(await tasksFor('held-1')).toEqual([]);
    expect(await tasksFor('passes-1')).toHaveLength(1);
    expect(stack.slack.messages().filter((m) => m.text.includes('held-1'))).toEqual([]);
    expect(stack.slack.messages().length).toBeGreaterThan(posts); // the other alert's card
    expect(await tms('silences')).toMatch(
      new RegExp(`\\*${id}\\* checkout until <!date\\^.* — deploy &amp; migration \\(1 held back\\)`),
    );
    // Lifted: the same alert opens its task.
    expect(await tms(`silences lift ${id}`)).toBe(`Lifted *${id}*: matching alerts open tasks again.`);
    await trigger('held-1', 'checkout');
    expect(await tasksFor('held-1')).toHaveLength(1);
    expect(await tms(`silences lift ${id}`)).toBe(`There is no silence ${id} in force.`);
  });

  it('matches labels, with globs', async () => {
    await tms('silence class=disk-* 30m');
    await trigger('disk-1', undefined, { class: 'disk-full' });
    await trigger('cpu-1', undefined, { class: 'cpu-high' });
    expect(await tasksFor('disk-1')).toEqual([]);
    expect(await tasksFor('cpu-1')).toHaveLength(1);
  });

  it('still lets a resolve through, so a task open before the silence can close', async () => {
    await trigger('open-before');
    await tms('silence source=generic 10m');
    await postJson(`${stack.url}/ingest/generic`, {
      routing_key: 'local-ingest-token',
      event_action: 'resolve',
      dedup_key: 'open-before',
    });
    expect((await tasksFor('open-before'))[0].status).toBe('resolved');
    for (const s of (await tms('silences')).matchAll(/\*(S-[0-9a-z]+)\*/g))
      await tms(`silences lift ${s[1]}`, ANA);
  });

  it('answers mistakes with the usage, and refuses read-only users', async () => {
    expect(await tms('silence checkout')).toContain('Usage: `/tms silence');
    expect(await tms('silence billing 1h')).toContain('"billing" is neither a service nor key=value');
    expect(await tms('silence checkout 2h', VIC)).toContain('read-only access');
    expect(await tms('silences lift S-nothere')).toBe('There is no silence S-nothere in force.');
  });
});
