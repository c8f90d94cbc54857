import { readFileSync } from 'node:fs';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { DynamoLiveStore } from '../../src/adapters/dynamo/live-store.js';
import { toTask } from '../../src/adapters/dynamo/task-store.js';
import type { LiveConnection, ServerMessage } from '../../src/core/live.js';
import type { LiveConnectionStore, LiveSender } from '../../src/core/ports.js';
import { ManualClock } from '../../src/core/time.js';
import { catchUp, pushChanges, SETTLING_MS } from '../../src/jobs/live.js';
import { onEachBackend } from '../helpers/dynamo.js';

/** The golden stream of the DynamoDB Local scenario: an alert, its repeat, a claim, a resolve, other items. */
const golden = (
  JSON.parse(readFileSync('test/fixtures/dynamodb-stream/golden.json', 'utf8')) as {
    records: DynamoDBRecord[];
  }
).records;
const taskRecords = golden.filter((r) => r.dynamodb?.Keys?.sk?.S === 'TASK');
const lastTask = taskRecords.at(-1) as DynamoDBRecord;
/** What the last task record wrote, as the API shows it. */
const latest = toTask(unmarshall(lastTask.dynamodb?.NewImage as Record<string, AttributeValue>));
/** The task's item deleted, as the stream says it (the old image only). */
const removed: DynamoDBRecord = {
  ...lastTask,
  eventName: 'REMOVE',
  dynamodb: {
    ...lastTask.dynamodb,
    OldImage: lastTask.dynamodb?.NewImage,
    NewImage: undefined,
    ApproximateCreationDateTime: 1_796_349_000,
  },
};

/** The WebSocket as the pusher sees it: what each connection was sent, the ids that are gone or failing. */
class Sockets implements LiveSender {
  readonly sent = new Map<string, ServerMessage[]>();
  readonly gone = new Set<string>();
  readonly failing = new Set<string>();
  async send(id: string, message: string): Promise<'sent' | 'gone'> {
    if (this.failing.has(id))
      throw Object.assign(new Error('Internal server error'), { name: 'InternalServerError' });
    if (this.gone.has(id)) return 'gone';
    this.sent.set(id, [...(this.sent.get(id) ?? []), JSON.parse(message) as ServerMessage]);
    return 'sent';
  }
}

const NOW = '2026-12-04T02:00:00.000Z';
const conn = (id: string, fields: Partial<LiveConnection> = {}): LiveConnection => ({
  id,
  role: 'viewer',
  actor: { type: 'user', id: 'U09VIEW' },
  connectedAt: '2026-12-04T01:00:00.000Z',
  expiresAt: '2026-12-04T03:00:00.000Z',
  ...fields,
});

onEachBackend((name, dynamo) => {
  const setUp = async (connections: LiveConnection[]) => {
    const live = new DynamoLiveStore(dynamo().embedded.db, await dynamo().freshTable());
    for (const c of connections) await live.connect(c);
    const sockets = new Sockets();
    return { live, sockets, deps: { live, sender: sockets as LiveSender, clock: new ManualClock(NOW) } };
  };

  describe(`the live pusher on ${name}`, () => {
    it('sends each connection the latest version of each task the batch changed, and logs it for catch-up', async () => {
      const { live, sockets, deps } = await setUp([conn('a'), conn('b', { role: 'admin' })]);
      expect(await pushChanges(deps, { Records: golden })).toEqual({ batchItemFailures: [] });
      // One message a task: the counter, fingerprint, timeline, raw and probe items are no task changes.
      for (const id of ['a', 'b'])
        expect(sockets.sent.get(id)).toEqual([{ type: 'task.changed', task: latest }]);
      expect(await live.changesSince(latest.updatedAt, NOW, 10)).toEqual({
        changes: [{ taskId: latest.id, at: latest.updatedAt }],
        complete: true,
      });
    });

    it('says a deleted task is gone, when the stream saw it deleted', async () => {
      const { live, sockets, deps } = await setUp([conn('a')]);
      await pushChanges(deps, { Records: [lastTask, removed] });
      const at = new Date(1_796_349_000 * 1000).toISOString();
      expect(sockets.sent.get('a')).toEqual([{ type: 'task.deleted', taskId: latest.id, at }]);
      expect((await live.changesSince(at, NOW, 10)).changes).toEqual([
        { taskId: latest.id, at, deleted: true },
      ]);
    });

    it('forgets a connection API Gateway calls gone, unless it is still finishing its $connect', async () => {
      const justNow = new Date(Date.parse(NOW) - SETTLING_MS / 2).toISOString();
      const { live, sockets, deps } = await setUp([
        conn('old'),
        conn('new', { connectedAt: justNow }),
        conn('ok'),
      ]);
      sockets.gone.add('old').add('new');
      await pushChanges(deps, { Records: [lastTask] });
      expect((await live.connections(NOW)).map((c) => c.id).sort()).toEqual(['new', 'ok']);
      expect(sockets.sent.get('ok')).toHaveLength(1);
    });

    it('never fails the batch for one connection that cannot be sent to: the others are sent and it is kept', async () => {
      const { live, sockets, deps } = await setUp([conn('a'), conn('broken'), conn('c')]);
      sockets.failing.add('broken');
      expect(await pushChanges(deps, { Records: [lastTask] })).toEqual({ batchItemFailures: [] });
      expect(sockets.sent.get('a')).toHaveLength(1);
      expect(sockets.sent.get('c')).toHaveLength(1);
      expect((await live.connections(NOW)).map((c) => c.id)).toContain('broken');
    });

    it('fails the batch when the store fails, so the stream sends it again', async () => {
      const { live, deps } = await setUp([conn('a')]);
      const down: LiveConnectionStore = Object.assign(Object.create(live) as LiveConnectionStore, {
        connections: () => Promise.reject(Object.assign(new Error('down'), { name: 'InternalServerError' })),
      });
      await expect(pushChanges({ ...deps, live: down }, { Records: [lastTask] })).rejects.toThrow();
    });

    it('passes by a task record that is not a task, and sends the rest', async () => {
      const { sockets, deps } = await setUp([conn('a')]);
      const broken: DynamoDBRecord = {
        ...lastTask,
        dynamodb: {
          ...lastTask.dynamodb,
          Keys: { pk: { S: 'TASK#2' }, sk: { S: 'TASK' } },
          NewImage: { pk: { S: 'TASK#2' }, sk: { S: 'TASK' }, id: { S: 'TMS-2' } },
        },
      };
      expect(await pushChanges(deps, { Records: [broken, lastTask] })).toEqual({ batchItemFailures: [] });
      expect(sockets.sent.get('a')).toEqual([{ type: 'task.changed', task: latest }]);
    });
  });

  describe(`the catch-up on ${name}`, () => {
    it('sends a change its writer stamped before the newest one the client saw, but logged after it', async () => {
      const { live, sockets, deps } = await setUp([conn('conn-1')]);
      // B, stamped 01:59:50, was pushed and seen; A, stamped 01:59:45 by a writer that committed later, was
      // logged once the client had gone.
      await live.logChanges(
        [{ taskId: 'TMS-2', at: '2026-12-04T01:59:50.000Z' }],
        '2026-12-04T04:00:00.000Z',
      );
      await live.logChanges(
        [{ taskId: 'TMS-1', at: '2026-12-04T01:59:45.000Z' }],
        '2026-12-04T04:00:00.000Z',
      );
      const store = { get: async (id: string) => ({ ...latest, id }) };
      await catchUp({ ...deps, store }, conn('conn-1'), '2026-12-04T01:59:50.000Z');
      const sent = sockets.sent.get('conn-1') ?? [];
      expect(sent.flatMap((m) => (m.type === 'task.changed' ? [m.task.id] : [])).sort()).toEqual([
        'TMS-1',
        'TMS-2',
      ]);
      expect(sent.at(-1)).toMatchObject({ type: 'caught_up', complete: true });
    });
  });
});
