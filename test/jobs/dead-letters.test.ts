import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { renderCard } from '../../src/bot/card.js';
import type { TaskStore } from '../../src/core/ports.js';
import { ManualClock } from '../../src/core/time.js';
import { actOnTask } from '../../src/core/use-cases/act-on-task.js';
import { deadLetterFingerprint, watchDeadLetters } from '../../src/jobs/dead-letters.js';
import { FakeDeadLetterQueue } from '../fakes/fake-dead-letter-queue.js';
import { MemoryTaskStore } from '../fakes/memory-task-store.js';
import { dynamoForTests, type TestDynamo } from '../helpers/dynamo.js';
import { depsFor, T0 } from '../helpers/factories.js';
import { captureLogs } from '../helpers/logs.js';

const MINUTE = 60_000;
const REDRIVE =
  'aws sqs start-message-move-task --source-arn arn:aws:sqs:eu-west-1:123456789012:tms-ingest-dlq';

function setup<S extends TaskStore = MemoryTaskStore>(store: S = new MemoryTaskStore() as unknown as S) {
  const clock = new ManualClock(T0);
  const deps = depsFor(store, clock);
  const ingest = new FakeDeadLetterQueue(
    'ingest',
    'Alerts the ingest processor failed on five times.',
    REDRIVE,
    'P1',
  );
  const cards = new FakeDeadLetterQueue('cards-stream', 'Card updates the cards stream consumer gave up on.');
  const watch = async (after = 5 * MINUTE) => {
    clock.advance(after);
    return watchDeadLetters(deps, [ingest, cards], clock.now());
  };
  const taskOf = async (name: string) => {
    const record = await store.fingerprint(deadLetterFingerprint(name));
    const id = record?.openTaskId ?? record?.lastTaskId;
    return id ? store.get(id) : undefined;
  };
  return { store, deps, clock, ingest, cards, watch, taskOf };
}

let logs: ReturnType<typeof captureLogs> | undefined;
afterEach(() => logs?.restore());

describe('the dead-letter monitor', () => {
  it('opens one task for a queue that holds messages, and none for an empty one, however often it looks', async () => {
    // Prepare
    const { store, ingest, watch, taskOf } = setup();
    ingest.holding({ depth: 3, firstError: 'ValidationException: item too large', oldestAt: T0 });

    // Act
    const first = await watch();
    const again = await watch();
    const third = await watch();

    // Assess
    expect(first).toEqual([
      { name: 'ingest', depth: 3, result: 'created', taskId: 'TMS-1' },
      { name: 'cards-stream', depth: 0, result: 'ignored', taskId: null },
    ]);
    expect(again.map((w) => w.result)).toEqual(['ignored', 'ignored']);
    expect(third.map((w) => w.result)).toEqual(['ignored', 'ignored']);
    expect(store.tasks.size).toBe(1);
    const task = await taskOf('ingest');
    expect(task).toMatchObject({
      source: 'tms',
      status: 'open',
      priority: 'P1',
      occurrences: 1,
      title: '3 messages in the ingest dead-letter queue',
      fingerprint: 'tms:dead-letters:ingest',
      channel: 'C0GENERAL',
      labels: { queue: 'ingest' },
    });
    expect(await taskOf('cards-stream')).toBeUndefined();
  });

  it('says what failed, how many, the first error, how old the oldest is and how to redrive', async () => {
    const { ingest, watch, taskOf } = setup();
    ingest.holding({ depth: 1, firstError: 'TypeError: x is undefined', oldestAt: T0 });

    await watch(2 * 60 * MINUTE);

    const { description } = (await taskOf('ingest')) ?? {};
    expect(description).toContain('What failed: Alerts the ingest processor failed on five times.');
    expect(description).toContain(
      'How many: 1 message; the oldest was sent 2026-03-02 09:00:00 UTC (2 hours ago).',
    );
    expect(description).toContain('First error: TypeError: x is undefined');
    expect(description).toContain(`redrive them: ${REDRIVE}`);
  });

  it('a queue without a priority of its own opens a P2 task, and says when its messages carry no error', async () => {
    const { cards, watch, taskOf } = setup();
    cards.holding({ depth: 2 });

    await watch();

    const task = await taskOf('cards-stream');
    expect(task?.priority).toBe('P2');
    expect(task?.description).toContain('First error: the messages do not say');
    expect(task?.description).toContain('redrive them: npm run redrive');
  });

  it('counts a change of depth on the same task, saying the new count, and not a look that finds the same', async () => {
    const { store, ingest, watch, taskOf } = setup();
    ingest.holding({ depth: 3 });
    await watch();

    ingest.holding({ depth: 5 });
    const grown = await watch();
    await watch();
    ingest.holding({ depth: 3 });
    await watch();

    expect(grown[0]).toMatchObject({ result: 'appended', taskId: 'TMS-1' });
    const task = await taskOf('ingest');
    expect(task?.occurrences).toBe(3);
    expect(store.tasks.size).toBe(1);
    const said = (await store.timeline('TMS-1'))
      .filter((e) => e.type === 'occurred')
      .map((e) => ('summary' in e ? e.summary : undefined));
    expect(said).toEqual([
      '5 messages in the ingest dead-letter queue now',
      '3 messages in the ingest dead-letter queue now',
    ]);
  });

  it('resolves the task once the queue is empty again, and not while it holds anything', async () => {
    const { ingest, watch, taskOf } = setup();
    ingest.holding({ depth: 2 });
    await watch();
    ingest.holding({ depth: 1 });
    await watch();
    expect((await taskOf('ingest'))?.status).toBe('open');

    ingest.holding({ depth: 0 });
    const emptied = await watch();

    expect(emptied[0]).toMatchObject({ depth: 0, result: 'resolved', taskId: 'TMS-1' });
    expect(await taskOf('ingest')).toMatchObject({
      status: 'resolved',
      resolvedBy: 'tms',
      resolution: 'The ingest dead-letter queue is empty again.',
    });
  });

  it('leaves the task as it is when a look fails, says so in the log, and still looks at the other queues', async () => {
    // Prepare
    const { ingest, cards, watch, taskOf } = setup();
    ingest.holding({ depth: 2 });
    await watch();
    cards.holding({ depth: 1 });
    const denied = Object.assign(new Error('User is not authorized to perform: sqs:getqueueattributes'), {
      name: 'AccessDenied',
    });
    ingest.failing(denied);
    logs = captureLogs();

    // Act
    const watched = await watch();

    // Assess
    expect(watched[0]).toEqual({
      name: 'ingest',
      result: 'failed',
      error: 'AccessDenied: User is not authorized to perform: sqs:getqueueattributes',
    });
    expect(watched[1]).toMatchObject({ name: 'cards-stream', depth: 1, result: 'created' });
    expect(await taskOf('ingest')).toMatchObject({ status: 'open', occurrences: 1 });
    expect(await taskOf('cards-stream')).toMatchObject({ status: 'open' });
    expect(logs.lines).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        message: 'could not look at a dead-letter queue; its task is left as it is',
        queue: 'ingest',
      }),
    );
  });

  it('a queue that refills soon after its task resolved reopens it (a flap), later it opens a new one', async () => {
    const { store, ingest, watch, taskOf } = setup();
    ingest.holding({ depth: 1 });
    await watch();
    ingest.holding({ depth: 0 });
    await watch();

    // The same depth as before: a new occurrence all the same, not a late copy of the resolved one.
    ingest.holding({ depth: 1 });
    const refilled = await watch(2 * MINUTE);
    expect(refilled[0]).toMatchObject({ result: 'reopened', taskId: 'TMS-1' });
    expect(await taskOf('ingest')).toMatchObject({ status: 'open', flapCount: 1 });

    ingest.holding({ depth: 0 });
    await watch();
    ingest.holding({ depth: 1 });
    const later = await watch(60 * MINUTE);
    expect(later[0]).toMatchObject({ result: 'created', taskId: 'TMS-2' });
    expect(store.tasks.size).toBe(2);
  });

  it('a task resolved by hand while the queue still holds messages comes back: nothing waits unseen', async () => {
    const { deps, ingest, watch, taskOf } = setup();
    ingest.holding({ depth: 4 });
    await watch();
    const resolved = await actOnTask(deps, {
      taskId: 'TMS-1',
      command: { type: 'resolve', resolution: 'looked fine to me' },
      role: 'developer',
      ctx: { actor: { type: 'user', id: 'U01AAA' }, via: 'slack' },
    });
    expect(resolved.ok).toBe(true);

    const back = await watch();

    expect(back[0]).toMatchObject({ depth: 4, result: 'reopened', taskId: 'TMS-1' });
    expect(await taskOf('ingest')).toMatchObject({ status: 'open' });
  });

  it('escapes what a message said: an error text cannot mention anyone or forge a link on the card', async () => {
    const { ingest, watch, taskOf, clock } = setup();
    ingest.holding({
      depth: 1,
      firstError: 'boom <!channel> <@U01AAA> <https://evil.example|docs> & co\nsecond line',
    });

    await watch();

    const task = await taskOf('ingest');
    if (!task) throw new Error('no task');
    expect(task.description).toContain(
      'First error: boom <!channel> <@U01AAA> <https://evil.example|docs> & co second line',
    );
    const card = JSON.stringify(renderCard(task, { now: clock.now() }).blocks);
    expect(card).toContain(
      'boom &lt;!channel&gt; &lt;@U01AAA&gt; &lt;https://evil.example|docs&gt; &amp; co',
    );
    expect(card).not.toContain('<!channel>');
    expect(card).not.toContain('<@U01AAA>');
  });
});

describe('the dead-letter monitor on the DynamoDB store (dynalite)', () => {
  let dynamo: TestDynamo;
  beforeAll(async () => {
    dynamo = await dynamoForTests();
  });
  afterAll(() => dynamo.close());

  it('opens once, counts a new depth, resolves when empty and reopens when the queue refills', async () => {
    const { ingest, watch, taskOf } = setup(await dynamo.freshStore());

    ingest.holding({ depth: 2, firstError: 'Error: poisoned' });
    const results = [await watch(), await watch()];
    ingest.holding({ depth: 3 });
    results.push(await watch());
    ingest.holding({ depth: 0 });
    results.push(await watch());
    ingest.holding({ depth: 2 });
    results.push(await watch(2 * MINUTE));

    expect(results.map(([w]) => `${w?.result} ${w?.taskId}`)).toEqual([
      'created TMS-1',
      'ignored TMS-1',
      'appended TMS-1',
      'resolved TMS-1',
      'reopened TMS-1',
    ]);
    expect(await taskOf('ingest')).toMatchObject({ status: 'open', occurrences: 3, flapCount: 1 });
  });
});
