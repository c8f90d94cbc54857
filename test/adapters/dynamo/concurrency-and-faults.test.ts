import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it, vi } from 'vitest';
import { DynamoTaskStore, HELD_CHANGES, TASK_ID_BLOCK } from '../../../src/adapters/dynamo/task-store.js';
import { TransientError } from '../../../src/core/errors.js';
import { applyAction } from '../../../src/core/lifecycle.js';
import { ManualClock } from '../../../src/core/time.js';
import { actOnTask } from '../../../src/core/use-cases/act-on-task.js';
import { defaultDeps } from '../../../src/core/use-cases/deps.js';
import { ingestAlert } from '../../../src/core/use-cases/ingest-alert.js';
import { onEachBackend } from '../../helpers/dynamo.js';
import { anAlert, config, slack, T0, user } from '../../helpers/factories.js';

const realDeps = (store: DynamoTaskStore) => defaultDeps(store, config, new ManualClock(T0));

onEachBackend((name, dynamo) => {
  describe(`DynamoTaskStore under concurrency, on ${name}`, () => {
    it('a storm of one alert copies the entries its task holds to the timeline once per few occurrences, not at each', async () => {
      const store = await dynamo().freshStore();
      const deps = realDeps(store);
      await ingestAlert(deps, anAlert());
      const repeats = 8 * HELD_CHANGES;
      const sent = vi.spyOn(dynamo().embedded.db, 'send');
      try {
        // Act: eight at a time, as the processor's batches and a storm's senders count them
        for (let round = 0; round < repeats / 8; round++)
          await Promise.all(Array.from({ length: 8 }, () => ingestAlert(deps, anAlert())));
        // Assess: one copy per HELD_CHANGES occurrences (a few more where a drop raced), and the history is whole
        const copies = sent.mock.calls.filter(([command]) => command instanceof BatchWriteCommand).length;
        expect(copies).toBeLessThanOrEqual(2 * (repeats / HELD_CHANGES));
      } finally {
        sent.mockRestore();
      }
      const timeline = await store.timeline('TMS-1');
      expect(timeline).toHaveLength(repeats + 1);
      expect(new Set(timeline.map((e) => `${e.version}#${e.seq}`)).size).toBe(repeats + 1);
      expect(await store.get('TMS-1')).toMatchObject({ occurrences: repeats + 1 });
    });

    it('two people pressing Claim at once: one wins, the other is told who has the task', async () => {
      const store = await dynamo().freshStore();
      const deps = realDeps(store);
      await ingestAlert(deps, anAlert());
      // Act
      const [ana, ben] = await Promise.all(
        ['U0ANA', 'U0BEN'].map((id) =>
          actOnTask(deps, {
            taskId: 'TMS-1',
            command: { type: 'claim' },
            role: 'developer',
            ctx: { actor: user(id), via: 'slack' },
          }),
        ),
      );
      // Assess
      const winner = ana?.ok ? 'U0ANA' : 'U0BEN';
      const loser = ana?.ok ? ben : ana;
      expect([ana?.ok, ben?.ok].filter(Boolean)).toHaveLength(1);
      expect(loser).toMatchObject({
        ok: false,
        error: { code: 'TASK_ALREADY_CLAIMED', context: { taskId: 'TMS-1', holder: winner } },
      });
      expect(await store.get('TMS-1')).toMatchObject({
        assignee: winner,
        status: 'acknowledged',
        version: 2,
      });
    });

    it('the same alert arriving many times at the same moment opens one task that counts them all', async () => {
      const store = await dynamo().freshStore();
      const deps = realDeps(store);
      // Act
      const outcomes = await Promise.all(Array.from({ length: 12 }, () => ingestAlert(deps, anAlert())));
      // Assess
      expect(outcomes.filter((o) => o.result === 'created')).toHaveLength(1);
      const { tasks } = await store.list({ limit: 50 });
      expect(tasks).toHaveLength(1);
      expect(tasks[0]).toMatchObject({ occurrences: 12 });
      expect((await store.fingerprint(anAlert().fingerprint))?.openTaskId).toBe(tasks[0]?.id);
      // Each delivery took a number to bind; the losers' numbers were handed out again: two tasks, TMS-1 and 2.
      await ingestAlert(deps, anAlert({ fingerprint: 'generic:other' }));
      const ids = (await store.list({ limit: 50 })).tasks.map((t) => t.id).sort();
      expect(ids).toEqual(['TMS-1', 'TMS-2']);
    });

    it('hands out each task number once across processes, each taking growing blocks of numbers', async () => {
      const table = await dynamo().freshTable();
      const db = dynamo().embedded.db;
      const [a, b] = [new DynamoTaskStore(db, table), new DynamoTaskStore(db, table)];
      // Act: two containers at once, each opening 31 tasks.
      const numbers = await Promise.all(
        [a, b].flatMap((store) => Array.from({ length: 31 }, () => store.nextTaskNumber())),
      );
      // Assess: no number twice, and none lost: each took 1, 2, 4, 8 and 16 numbers (five counter writes).
      expect(new Set(numbers).size).toBe(numbers.length);
      expect([...numbers].sort((x, y) => x - y)).toEqual(Array.from({ length: 62 }, (_, i) => i + 1));
      // A store keeps growing its blocks up to TASK_ID_BLOCK while it keeps opening tasks.
      const more = await Promise.all(Array.from({ length: 3 * TASK_ID_BLOCK }, () => a.nextTaskNumber()));
      expect(Math.max(...more)).toBe(62 + 3 * TASK_ID_BLOCK);
      expect(await b.nextTaskNumber()).toBe(62 + 3 * TASK_ID_BLOCK + 1);
    });

    it('counts a repeat on the task another process resolved (or reopened) meanwhile the usual way', async () => {
      const table = await dynamo().freshTable();
      const db = dynamo().embedded.db;
      const clock = new ManualClock(T0);
      // Two containers: one counts repeats on the task it remembers; the other resolves and reopens it.
      const here = defaultDeps(new DynamoTaskStore(db, table), config, clock);
      const there = defaultDeps(new DynamoTaskStore(db, table), config, clock);
      const opened = await ingestAlert(here, anAlert());
      expect(await ingestAlert(here, anAlert())).toEqual({ result: 'appended', taskId: opened.taskId });
      const ctx = { actor: user('U0ANA'), via: 'slack' as const };
      const id = String(opened.taskId);
      await actOnTask(there, {
        taskId: id,
        command: { type: 'resolve', resolution: null },
        role: 'developer',
        ctx,
      });
      // Resolved: the count its cache points at is refused, and the alert opens a new task.
      clock.advance(60 * 60_000);
      const after = await ingestAlert(here, anAlert());
      expect(after).toMatchObject({ result: 'created' }); // past the reopen window
      const open = (await here.store.list({ limit: 10, statuses: ['open'] })).tasks;
      expect(open).toHaveLength(1);
      expect((await here.store.fingerprint(anAlert().fingerprint))?.openTaskId).toBe(open[0]?.id);
      // Reopened elsewhere (its deadlines moved): refused too, then counted on the task as read.
      const current = open[0] ?? expect.fail('one open task');
      await actOnTask(there, {
        taskId: current.id,
        command: { type: 'resolve', resolution: null },
        role: 'developer',
        ctx,
      });
      clock.advance(60_000);
      await actOnTask(there, { taskId: current.id, command: { type: 'reopen' }, role: 'developer', ctx });
      const reopened = (await there.store.get(current.id)) ?? expect.fail('reopened');
      const counts = vi.spyOn(here.store, 'recordOccurrence');
      expect(await ingestAlert(here, anAlert())).toEqual({ result: 'appended', taskId: current.id });
      // The unread count (its cache knew the old deadline) was refused; the one on the task as read counted.
      const unread = counts.mock.calls.map((call) => call[6] !== undefined);
      expect(unread).toEqual([true, false]);
      expect(await counts.mock.results[0]?.value).toBeUndefined();
      expect(await here.store.get(current.id)).toMatchObject({
        status: 'open',
        occurrences: reopened.occurrences + 1,
      });
    });

    it('lists through index queries and reads by key, never a Scan', async () => {
      const store = await dynamo().freshStore();
      await ingestAlert(realDeps(store), anAlert());
      const sent = vi.spyOn(dynamo().embedded.db, 'send');
      try {
        await store.list({ limit: 10 });
        await store.list({ limit: 10, statuses: ['open'], service: 'checkout' });
        await store.list({ limit: 10, assignee: 'U0ANA' });
        await store.timeline('TMS-1');
        const commands = sent.mock.calls.map(([command]) => command.constructor.name);
        expect(commands.length).toBeGreaterThan(0);
        expect(commands).not.toContain(ScanCommand.name);
        // The indexes hold keys: a page's tasks are read by key, in one BatchGetItem per page found.
        expect(new Set(commands)).toEqual(new Set([QueryCommand.name, BatchGetCommand.name]));
      } finally {
        sent.mockRestore();
      }
    });
  });

  describe('DynamoTaskStore faults the emulator cannot stage (aws-sdk-client-mock)', () => {
    it('answers throttling, after the SDK gave up retrying, as a transient error', async () => {
      const client = DynamoDBDocumentClient.from(dynamo().embedded.db);
      const mock = mockClient(client);
      try {
        const throttled = Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
          name: 'ProvisionedThroughputExceededException',
          $retryable: { throttling: true },
        });
        mock.onAnyCommand().rejects(throttled);
        const store = new DynamoTaskStore(client, 'any');
        await expect(store.get('TMS-1')).rejects.toBeInstanceOf(TransientError);
        await expect(store.nextTaskNumber()).rejects.toThrow(
          'DynamoDB is unavailable right now (ProvisionedThroughputExceededException)',
        );
      } finally {
        mock.restore();
      }
    });

    it('a conditional failure at the moment of the save is a conflict, retried on a fresh read', async () => {
      const store = await dynamo().freshStore();
      const deps = realDeps(store);
      await ingestAlert(deps, anAlert());
      // Someone else's change lands between our read and our write, exactly once.
      const real = dynamo().embedded.db.send.bind(dynamo().embedded.db);
      let interfered = false;
      const sent = vi.spyOn(dynamo().embedded.db, 'send').mockImplementation(async (command: unknown) => {
        if (
          !interfered &&
          command instanceof PutCommand &&
          command.input.ConditionExpression === 'version = :expected'
        ) {
          interfered = true;
          const current = await store.get('TMS-1');
          if (!current) throw new Error('TMS-1 exists');
          const other = applyAction(current, { type: 'claim' }, slack('U0BEN'));
          if (!other.ok) throw other.error;
          await real(
            new PutCommand({ ...command.input, Item: { ...command.input.Item, ...other.value.task } }),
          );
          throw new ConditionalCheckFailedException({
            message: 'The conditional request failed',
            $metadata: {},
          });
        }
        return real(command as never);
      });
      try {
        const result = await actOnTask(deps, {
          taskId: 'TMS-1',
          command: { type: 'claim' },
          role: 'developer',
          ctx: { actor: user('U0ANA'), via: 'slack' },
        });
        expect(result).toMatchObject({
          ok: false,
          error: {
            code: 'TASK_ALREADY_CLAIMED',
            context: { taskId: 'TMS-1', user: 'U0ANA', holder: 'U0BEN' },
          },
        });
      } finally {
        sent.mockRestore();
      }
    });

    it('keeps the full history when copying the entries a task item holds to the timeline fails', async () => {
      const store = await dynamo().freshStore();
      const deps = realDeps(store);
      await ingestAlert(deps, anAlert());
      const real = dynamo().embedded.db.send.bind(dynamo().embedded.db);
      let failing = true;
      const sent = vi.spyOn(dynamo().embedded.db, 'send').mockImplementation(async (command: unknown) => {
        if (failing && command instanceof BatchWriteCommand) throw new Error('connection reset');
        return real(command as never);
      });
      const ctx = { actor: user('U0ANA'), via: 'slack' as const };
      const claim = () =>
        actOnTask(deps, { taskId: '1', command: { type: 'claim' }, role: 'developer', ctx });
      try {
        // A change that replaces the item copies what it holds first: that failing, the change is not made.
        await expect(claim()).rejects.toThrow('connection reset');
        expect(await store.get('TMS-1')).toMatchObject({ version: 1, assignee: null });
        // Occurrences add to what the item holds; past HELD_CHANGES the older are copied: failing, still held.
        for (let i = 1; i < HELD_CHANGES; i++) await ingestAlert(deps, anAlert());
        await expect(ingestAlert(deps, anAlert())).rejects.toThrow('connection reset');
      } finally {
        failing = false;
        sent.mockRestore();
      }
      expect(await store.get('TMS-1')).toMatchObject({ occurrences: HELD_CHANGES + 1 });
      const occurred = Array.from({ length: HELD_CHANGES }, () => 'occurred');
      expect((await store.timeline('TMS-1')).map((e) => e.type)).toEqual(['opened', ...occurred]);
      // The next changes copy them: the item then holds only its latest changes, and the history is whole.
      expect(await claim()).toMatchObject({ ok: true });
      await actOnTask(deps, {
        taskId: '1',
        command: { type: 'comment', text: 'on it' },
        role: 'developer',
        ctx,
      });
      const timeline = await store.timeline('TMS-1');
      expect(timeline.map((e) => e.type)).toEqual([
        'opened',
        ...occurred,
        'assigned',
        'acknowledged',
        'commented',
      ]);
      expect(timeline.map((e) => e.version)).toEqual([
        1,
        ...occurred.map((_, i) => i + 2),
        HELD_CHANGES + 2,
        HELD_CHANGES + 2,
        HELD_CHANGES + 3,
      ]);
    });
  });
});
