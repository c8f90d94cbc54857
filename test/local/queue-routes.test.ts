import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/time.js';
import { watchDeadLetters } from '../../src/jobs/dead-letters.js';
import { localDeadLetterQueues, type PeekedMessage, queueRoute } from '../../src/local/queue-routes.js';
import { deadLetterQueueContract } from '../adapters/dead-letter-queue.contract.js';
import { MemoryTaskStore } from '../fakes/memory-task-store.js';
import { depsFor, T0 } from '../helpers/factories.js';

/** What the local stack's LocalQueue shows the monitor: its depth and a peek at its first messages. */
const localQueue = (messages: PeekedMessage[]) => ({
  name: 'ingest-dead',
  depth: () => messages.length,
  peek: (limit = 10) => messages.slice(0, limit),
});

const peeked = (i: number, sentAt: string, lastError?: string): PeekedMessage => ({
  messageId: `m-${i}`,
  body: JSON.stringify({ v: 1, source: 'generic', deliveryId: `d-${i}` }),
  receiveCount: 5,
  sentAt,
  ...(lastError ? { lastError } : {}),
});

deadLetterQueueContract('the local dead-letter queues', async (held) => {
  const [queue] = localDeadLetterQueues({
    ingest: localQueue(held.map((m, i) => peeked(i, m.sentAt, m.error))),
  });
  if (!queue) throw new Error('no queue');
  return queue;
});

describe('the local dead-letter queues, watched by the monitor', () => {
  it("open a P1 task for the ingest queue's dead letters that says how to redrive this very stack", async () => {
    // Prepare
    const messages = [peeked(1, T0, 'Error: poisoned message')];
    const store = new MemoryTaskStore();
    const clock = new ManualClock(T0);
    const queues = localDeadLetterQueues({ ingest: localQueue(messages) }, 'http://127.0.0.1:3999');

    // Act
    const opened = await watchDeadLetters(depsFor(store, clock), queues, clock.now());
    messages.splice(0);
    const emptied = await watchDeadLetters(depsFor(store, clock), queues, clock.now());

    // Assess
    expect(opened).toEqual([{ name: 'ingest', depth: 1, result: 'created', taskId: 'TMS-1' }]);
    const task = await store.get('TMS-1');
    expect(task?.priority).toBe('P1');
    expect(task?.description).toContain('First error: Error: poisoned message');
    expect(task?.description).toContain('redrive them: npm run redrive -- --url http://127.0.0.1:3999');
    expect(emptied[0]).toMatchObject({ result: 'resolved', taskId: 'TMS-1' });
  });

  it('the routes answer only their own paths', async () => {
    const queues = { ingestDead: { ...localQueue([]), redrive: async () => 0 } };

    expect(await queueRoute('GET', '/_sandbox/tick', queues)).toBeUndefined();
    expect((await queueRoute('POST', '/_sandbox/queues', queues))?.status).toBe(405);
    const answer = await queueRoute('POST', '/_sandbox/queues/redrive', queues);
    expect(JSON.parse(answer?.body.toString() ?? '')).toEqual({
      redriven: [{ queue: 'ingest-dead', to: 'ingest', messages: 0 }],
      left: 0,
    });
  });
});
