import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransientError } from '../../src/core/errors.js';
import { projectCards } from '../../src/jobs/card-stream.js';
import { reconcileCards, syncCard } from '../../src/jobs/card-sync.js';
import { ShiftedClock } from '../helpers/clock.js';
import { API, getJson, inProcessStack, postJson, type TestStack } from '../helpers/local-stack.js';
import { ANA, BEN, CHECKOUT, GENERAL, settle, slackOf } from '../helpers/slack.js';

let stack: TestStack;
const clock = new ShiftedClock();
let slack: ReturnType<typeof slackOf>;

beforeAll(async () => {
  stack = await inProcessStack({}, { clock, sleep: clock.sleep });
  slack = slackOf(stack);
});
afterAll(() => stack.close());

const BOT_TOKEN = { authorization: 'Bearer xoxb-tms-local-bot-token' };
const task = async (id: string) => (await getJson(`${stack.url}/api/tasks/${id}`, API())).body.task;

async function open(title: string, user = ANA): Promise<string> {
  const answer = await slack.client.command(`new ${title}`, { user, channel: GENERAL });
  await settle(stack);
  return /\*(TMS-\d+)\*/.exec(answer.body.text)?.[1] as string;
}

async function alert(dedupKey: string, extra: Record<string, unknown> = {}) {
  const answer = await postJson(`${stack.url}/ingest/generic`, {
    routing_key: stack.secrets.INGEST_TOKEN,
    event_action: 'trigger',
    dedup_key: dedupKey,
    payload: {
      summary: 'Checkout <b>5xx</b> above 2% <!channel>',
      source: 'lb-1',
      severity: 'error',
      component: 'checkout',
    },
    ...extra,
  });
  expect(answer.status).toBe(202);
  await settle(stack);
  return answer;
}

describe('alert cards', () => {
  it('shows the source’s links and the service runbook, labels escaped', async () => {
    await alert('cards-links', {
      links: [{ href: 'https://ci.example/run/42', text: 'Run <42>' }],
    });
    const { tasks } = (await getJson(`${stack.url}/api/tasks?service=checkout&limit=1`, API())).body;
    const text = slack.cardText(tasks[0].id);
    expect(slack.card(tasks[0].id).channel).toBe(CHECKOUT);
    expect(text).toContain('<https://ci.example/run/42|Run &lt;42&gt;>');
    expect(text).toContain('<https://wiki.example/checkout|Runbook>');
    expect(text).toContain('Checkout &lt;b&gt;5xx&lt;/b&gt; above 2% &lt;!channel&gt;');
    expect(text).not.toContain('<!channel>');
  });

  it('summarizes repeats of the same alert in the thread instead of a line per repeat', async () => {
    for (let i = 0; i < 4; i++) await alert('cards-storm');
    const { tasks } = (await getJson(`${stack.url}/api/tasks?service=checkout&limit=1`, API())).body;
    const id = tasks[0].id;
    expect((await task(id)).occurrences).toBe(4);
    expect(slack.cardText(id)).toContain('*Occurrences*\\n4, last');
    const lines = slack.thread(id).map((m) => m.text);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^:repeat: Fired again \(2 in all\)/);
  });
});

describe('cards of hostile alerts', () => {
  it('are posted and kept up to date within Slack’s limits, whatever the sender typed', async () => {
    // Prepare: a title, a description and a resolution as long as they may be, every character one that
    // escaping grows five or four times. Before, the description was posted as a 14,000-character section and
    // refused with invalid_blocks: the card never appeared.
    await alert('cards-hostile', {
      payload: {
        summary: '&'.repeat(1_000),
        source: 'lb-1',
        severity: 'error',
        component: 'checkout',
        custom_details: { note: '&<'.repeat(2_000) },
      },
    });
    const { tasks } = (await getJson(`${stack.url}/api/tasks?service=checkout&limit=1`, API())).body;
    const id = tasks[0].id;
    expect((await task(id)).description.length).toBeGreaterThan(3_900);
    // Act
    const answer = await slack.client.command(`resolve ${id} ${'<&'.repeat(1_900)}`, {
      user: ANA,
      channel: CHECKOUT,
    });
    await settle(stack);
    // Assess
    expect(answer.status).toBe(200);
    expect((await task(id)).status).toBe('resolved');
    const card = slack.card(id);
    expect(card.text).toContain('(resolved)');
    const sections = (card.blocks as { text?: { text: string } }[]).flatMap((b) =>
      b.text ? [b.text.text] : [],
    );
    expect(Math.max(...sections.map((t) => t.length))).toBeLessThanOrEqual(3_000);
    expect(sections.some((t) => t.startsWith('*Resolution*\n&lt;&amp;'))).toBe(true);
    expect(slack.thread(id).at(-1)?.text).toMatch(/resolved it: (?:&lt;|&amp;)+…$/);
  });
});

describe('the sweeper under a rate limit', () => {
  /** The card forgets it showed its task, and is due now: as a card left behind looks to the sweeper. */
  async function behind(id: string) {
    const cards = stack.deps.cards;
    const card = await cards.card(id);
    const token = `test-behind-${id}`;
    const now = clock.now();
    await cards.leaseCard(id, token, now.toISOString(), new Date(now.getTime() + 30_000).toISOString());
    const { taskId: _t, lease: _l, leaseUntil: _u, ...state } = card as NonNullable<typeof card>;
    await cards.releaseCard(id, token, {
      ...state,
      shownVersion: 0,
      retryAt: new Date(now.getTime() - 1_000).toISOString(),
    });
  }

  it('stops its pass when Slack asks it to wait, and brings every card up to date once the wait is over', async () => {
    // Prepare: two cards behind their tasks, and Slack about to rate-limit chat.update for 3 s.
    const first = await open('Behind one p3');
    const second = await open('Behind two p3');
    await behind(first);
    await behind(second);
    await postJson(`${stack.url}/_sandbox/slack/faults`, {
      method: 'chat.update',
      error: 'ratelimited',
      retryAfter: 3,
    });
    const updates = () => stack.slack.calls.get('chat.update') ?? 0;
    const before = updates();
    // Act: before, every due card called chat.update in turn, each refused while Slack had asked to wait.
    const pass = await reconcileCards(stack.deps, clock.now());
    // Assess
    expect(updates() - before).toBe(1);
    expect(pass.synced).toBe(0);
    clock.advance(3_000); // Slack's Retry-After, on the stack's clock (the emulator's too)
    await reconcileCards(stack.deps, clock.now());
    for (const id of [first, second])
      expect((await stack.deps.cards.card(id))?.shownVersion).toBeGreaterThan(0);
  });
});

describe('direct messages', () => {
  it('are sent once, even when the thread line after them has to be posted again', async () => {
    // Arrange: ben is assigned by ana; then the card forgets its thread progress, as a failed thread post would leave it.
    const id = await open(`Needs ben p3 <@${BEN}|ben>`);
    expect(slack.dms(BEN).filter((m) => m.text.includes(id))).toHaveLength(1);
    const cards = stack.deps.cards;
    const card = await cards.card(id);
    const token = 'test-rewind';
    const now = clock.now().toISOString();
    await cards.leaseCard(id, token, now, new Date(clock.now().getTime() + 30_000).toISOString());
    const { taskId: _t, lease: _l, leaseUntil: _u, ...state } = card as NonNullable<typeof card>;
    await cards.releaseCard(id, token, { ...state, threadVersion: 0, shownVersion: 0 });
    // Act
    await syncCard(stack.deps, id);
    // Assert
    expect(slack.dms(BEN).filter((m) => m.text.includes(id))).toHaveLength(1);
  });
});

describe('a card writer that dies halfway through a direct message', () => {
  it('leaves the message to the next writer once its lease is over, and sends it once', async () => {
    // Arrange: the card is held (so the stream's writer finds it busy) while ana assigns the task to ben.
    const deps = stack.deps;
    const id = await open('Assigned while a writer dies p3');
    const at = (s: number) => ({ now: () => new Date(clock.now().getTime() + s * 1_000) });
    await deps.cards.leaseCard(id, 'holder', at(0).now().toISOString(), at(30).now().toISOString());
    await slack.client.command(`assign ${id} <@${BEN}|ben>`, { user: ANA, channel: GENERAL });
    await settle(stack);
    expect(slack.dms(BEN).filter((m) => m.text.includes(id))).toEqual([]);
    // The next writer's direct message never returns, as in a process killed (or a Lambda timed out) mid-call.
    const post = deps.slack.chat.postMessage;
    let reached: () => void = () => {};
    const killed = new Promise<void>((resolve) => {
      reached = resolve;
    });
    deps.slack.chat.postMessage = ((args: { channel?: string }) => {
      if (args.channel !== BEN) return post.call(deps.slack.chat, args as never);
      deps.slack.chat.postMessage = post;
      reached();
      return new Promise(() => {});
    }) as typeof post;
    void syncCard({ ...deps, clock: at(31) }, id);
    await killed;
    // Act: a writer while the killed one would still hold the card, then one after its lease.
    const meanwhile = await syncCard({ ...deps, clock: at(45) }, id);
    const after = await syncCard({ ...deps, clock: at(62) }, id);
    const again = await syncCard({ ...deps, clock: at(63) }, id);
    // Assert
    expect([meanwhile, after, again]).toEqual(['busy', 'synced', 'synced']);
    const dms = slack.dms(BEN).filter((m) => m.text.includes(id));
    expect(dms.map((m) => m.text)).toEqual([expect.stringContaining('ana assigned you')]);
  });
});

describe('a card that went away', () => {
  it('is posted again when someone deleted it', async () => {
    const id = await open('Deleted card p3');
    const old = slack.card(id);
    await postJson(`${stack.url}/slack/api/chat.delete`, { channel: GENERAL, ts: old.ts }, BOT_TOKEN);
    await slack.client.click(old, 'tms_ack', BEN);
    await settle(stack);
    const card = slack.card(id);
    expect(card.ts).not.toBe(old.ts);
    expect(card.text).toBe(`P3 ${id}: Deleted card (acknowledged)`);
  });

  it('moves to the default channel when its channel was archived', async () => {
    await alert('cards-archived');
    const { tasks } = (await getJson(`${stack.url}/api/tasks?service=checkout&limit=1`, API())).body;
    const id = tasks[0].id;
    expect(slack.card(id).channel).toBe(CHECKOUT);
    for (const method of ['chat.update', 'chat.postMessage'])
      await postJson(`${stack.url}/_sandbox/slack/faults`, { method, error: 'is_archived', count: 1 });
    await slack.client.click(slack.card(id), 'tms_ack', BEN);
    await settle(stack);
    const moved = stack.slack
      .messages(GENERAL)
      .filter((m) => m.text.includes(` ${id}: `) && m.thread_ts === null && !m.ephemeral_user);
    expect(moved).toHaveLength(1);
    expect(moved[0]?.text).toContain('(acknowledged)');
    expect(JSON.stringify(moved[0]?.blocks)).toContain('cannot post in <#C0CHECKOUT>');
  });
});

describe('the stream consumer', () => {
  const record = (id: string, seq: string, sk = 'TASK'): DynamoDBRecord => ({
    eventName: 'MODIFY',
    dynamodb: {
      Keys: { pk: { S: `TASK#${id.slice(4)}` }, sk: { S: sk } },
      NewImage: { id: { S: id } },
      SequenceNumber: seq,
    },
  });

  it('syncs each task once per batch, ignores other items, and fails only the records of a task it could not sync', async () => {
    // Arrange
    const good = await open('Stream good p3');
    const bad = await open('Stream bad p3');
    // The good task's card falls behind: Slack fails its update (a rate limit would hold every update here).
    await postJson(`${stack.url}/_sandbox/slack/faults`, {
      method: 'chat.update',
      error: 'internal_error',
    });
    await slack.client.click(slack.card(good), 'tms_ack', BEN);
    await settle(stack);
    expect(slack.card(good).text).toBe(`P3 ${good}: Stream good (open)`);
    const real = stack.deps;
    const deps = {
      ...real,
      store: new Proxy(real.store, {
        get(target, name, receiver) {
          if (name === 'get')
            return async (id: string) => {
              if (id === bad) throw new TransientError('DynamoDB is unavailable right now');
              return target.get(id);
            };
          return Reflect.get(target, name, receiver);
        },
      }),
    };
    // Act
    const response = await projectCards(deps, {
      Records: [
        record(good, '1'),
        record(bad, '2'),
        record(good, '3', 'CARD'),
        record(bad, '4'),
        record(good, '5'),
      ],
    });
    // Assert
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: '2' }, { itemIdentifier: '4' }]);
    expect(slack.card(good).text).toBe(`P3 ${good}: Stream good (acknowledged)`);
    expect(slack.card(good).edits).toBe(1); // two records of the task, one update
  });
});

describe('the card projector', () => {
  /** The target with its method calls counted, by name. */
  function counting<T extends object>(target: T): { proxy: T; calls: Map<string, number> } {
    const calls = new Map<string, number>();
    const proxy = new Proxy(target, {
      get(object, name) {
        const value = Reflect.get(object, name);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.set(String(name), (calls.get(String(name)) ?? 0) + 1);
          return value.apply(object, args);
        };
      },
    });
    return { proxy, calls };
  }

  it('posts and edits a card from the stream records alone: no task read, history once, no timeline for a repeat', async () => {
    // Prepare: the records of an alert that opened and fired again, as the stream delivered them.
    const records: DynamoDBRecord[] = [];
    const stop = stack.feed.onRecord((record) => {
      if (record.dynamodb?.Keys?.sk?.S === 'TASK') records.push(record as DynamoDBRecord);
    });
    // In a service whose team has no on-call rotation: opened unassigned, so no one is told by DM (a DM to the
    // on-call it was assigned to reads the timeline, which is what this test counts).
    const unrostered = {
      payload: { summary: 'Checkout 5xx above 2%', source: 'lb-1', severity: 'error', component: 'general' },
    };
    await alert('cards-from-image', unrostered);
    await alert('cards-from-image', unrostered);
    stop();
    const id = records[0]?.dynamodb?.NewImage?.id?.S as string;
    const mine = records.filter((r) => r.dynamodb?.NewImage?.id?.S === id);
    expect(mine.map((r) => r.eventName)).toEqual(['INSERT', 'MODIFY']);
    // The card as it was before those records reached it: never posted.
    const cards = stack.deps.cards;
    const now = clock.now();
    await cards.leaseCard(
      id,
      'test-forget',
      now.toISOString(),
      new Date(now.getTime() + 30_000).toISOString(),
    );
    await cards.releaseCard(id, 'test-forget', {
      shownVersion: 0,
      threadVersion: 0,
      occurrencesReported: 1,
      attempts: 0,
    });
    const store = counting(stack.deps.store);
    const aggregates = counting(stack.deps.aggregates);
    const deps = { ...stack.deps, store: store.proxy, aggregates: aggregates.proxy };
    const calls = (method: string) => stack.slack.calls.get(method) ?? 0;
    const reads = () => [...aggregates.calls.values()].reduce((a, b) => a + b, 0);
    const posted = calls('chat.postMessage');
    const updated = calls('chat.update');

    // Act: the opening. Before, its card read the task three times, the timeline once, history three times.
    await projectCards(deps, { Records: [mine[0] as DynamoDBRecord] });
    // Assess
    expect(calls('chat.postMessage')).toBe(posted + 1);
    expect(await cards.card(id)).toMatchObject({ shownVersion: 1, threadVersion: 1 });
    expect(Object.fromEntries(store.calls)).toEqual({});
    expect(reads()).toBe(1);

    // Act: the repeat, once the card's pacing allows an edit.
    clock.advance(2_000);
    await projectCards(deps, { Records: [mine[1] as DynamoDBRecord] });
    expect(calls('chat.update')).toBe(updated + 1);
    expect(await cards.card(id)).toMatchObject({ shownVersion: 2, threadVersion: 2 });
    expect(Object.fromEntries(store.calls)).toEqual({});
    expect(reads()).toBe(1); // the history line is kept on the card

    // Act: the repeat's record delivered again: the card shows it already.
    await projectCards(deps, { Records: [mine[1] as DynamoDBRecord] });
    expect(calls('chat.update')).toBe(updated + 1);
    expect(Object.fromEntries(store.calls)).toEqual({});
  });

  it('leaves a card held by another writer to that writer, who shows the version seen before releasing it', async () => {
    // Prepare: a card held by a writer rendering an older version, and the record of a newer one.
    const records: DynamoDBRecord[] = [];
    const stop = stack.feed.onRecord((record) => {
      if (record.dynamodb?.Keys?.sk?.S === 'TASK') records.push(record as DynamoDBRecord);
    });
    await alert('cards-held');
    await alert('cards-held');
    stop();
    const id = records[0]?.dynamodb?.NewImage?.id?.S as string;
    const repeat = records.find((r) => r.eventName === 'MODIFY' && r.dynamodb?.NewImage?.id?.S === id);
    const cards = stack.deps.cards;
    const held = (await cards.card(id)) as NonNullable<Awaited<ReturnType<typeof cards.card>>>;
    const now = clock.now();
    await cards.leaseCard(id, 'other', now.toISOString(), new Date(now.getTime() + 30_000).toISOString());
    const { taskId: _t, lease: _l, leaseUntil: _u, ...state } = held;
    await cards.releaseCard(id, 'other', { ...state, shownVersion: 1, retryAt: now.toISOString() });
    await cards.leaseCard(id, 'other', now.toISOString(), new Date(now.getTime() + 30_000).toISOString());
    // Act
    const outcome = await projectCards(stack.deps, { Records: [repeat as DynamoDBRecord] });
    // Assess: nothing failed, and the holder cannot say the card is up to date at version 1.
    expect(outcome.batchItemFailures).toEqual([]);
    expect(await cards.card(id)).toMatchObject({ lease: 'other', wanted: 2 });
    expect(await cards.releaseCard(id, 'other', { ...state, shownVersion: 1, retryAt: undefined })).toBe(
      false,
    );
    expect(await cards.releaseCard(id, 'other', { ...state, shownVersion: 2, retryAt: undefined })).toBe(
      true,
    );
  });
});
