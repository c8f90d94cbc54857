import type { DynamoDBStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { StreamDispatcher } from '../../src/local/stream-dispatcher.js';
import type { StreamRecord } from '../../src/local/stream-feed.js';

const record = (n: number): StreamRecord => ({
  eventID: `e${n}`,
  eventName: 'INSERT',
  dynamodb: {
    SequenceNumber: String(n).padStart(21, '0'),
    Keys: { pk: { S: `TASK#${n}` }, sk: { S: 'TASK' } },
  },
});
const seq = (event: DynamoDBStreamEvent) => event.Records.map((r) => Number(r.dynamodb?.SequenceNumber));

describe('the local stream dispatcher, like an event source mapping', () => {
  it('delivers records in order, in batches, to every consumer', async () => {
    const seen: number[][] = [];
    const other: number[] = [];
    const dispatcher = new StreamDispatcher(
      [
        { name: 'a', handler: async (e) => void seen.push(seq(e)) },
        { name: 'b', handler: async (e) => void other.push(...seq(e)) },
      ],
      { batchSize: 3 },
    );
    for (let n = 1; n <= 7; n++) dispatcher.push(record(n));
    await dispatcher.idle();
    expect(seen.flat()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(seen.every((batch) => batch.length <= 3)).toBe(true);
    expect(other).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('retries from the first failed record, and sets aside a batch that keeps failing', async () => {
    const calls: number[][] = [];
    const discarded: number[] = [];
    let failures = 0;
    const dispatcher = new StreamDispatcher(
      [
        {
          name: 'picky',
          handler: async (e) => {
            calls.push(seq(e));
            if (seq(e).includes(3) && failures++ < 1)
              return { batchItemFailures: [{ itemIdentifier: record(3).dynamodb.SequenceNumber as string }] };
            if (seq(e).includes(5)) throw new Error('poison');
            return { batchItemFailures: [] };
          },
        },
      ],
      {
        batchSize: 10,
        maxAttempts: 2,
        onDiscard: (_, records) => discarded.push(...records.map((r) => Number(r.dynamodb?.SequenceNumber))),
      },
    );
    for (let n = 1; n <= 4; n++) dispatcher.push(record(n));
    await dispatcher.idle();
    expect(calls).toEqual([
      [1, 2, 3, 4],
      [3, 4],
    ]);
    dispatcher.push(record(5));
    dispatcher.push(record(6));
    await dispatcher.idle();
    expect(discarded).toEqual([5, 6]);
  });

  it('never strands a record pushed just as a drain finishes', async () => {
    // One record pushed k microtasks after the handler returns, for every k up to 40: for some k it lands
    // between the drain's last look at its queue and the moment the drain stops counting as running.
    for (let depth = 0; depth <= 40; depth++) {
      const delivered: number[] = [];
      const dispatcher: StreamDispatcher = new StreamDispatcher([
        {
          name: 'late',
          handler: async (e) => {
            delivered.push(...seq(e));
            if (!seq(e).includes(1)) return;
            let chain = Promise.resolve();
            for (let i = 0; i < depth; i++) chain = chain.then(() => undefined);
            void chain.then(() => dispatcher.push(record(2)));
          },
        },
      ]);
      dispatcher.push(record(1));
      await new Promise((resolve) => setTimeout(resolve, 5));
      await dispatcher.idle();
      expect({ depth, delivered }).toEqual({ depth, delivered: [1, 2] });
    }
  });

  it('delivers other tasks’ batches while one task’s handler is still busy, each task’s records in order', async () => {
    // Tasks 1 and 2 land in different lanes of 10 (FNV-1a of their partition keys), as with a
    // ParallelizationFactor of 10: the card of task 2 (a click) does not wait for task 1's (a storm's, paced).
    const delivered: number[] = [];
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const dispatcher = new StreamDispatcher([
      {
        name: 'cards',
        parallelization: 10,
        handler: async (e) => {
          if (seq(e).includes(1)) await held;
          delivered.push(...seq(e));
        },
      },
    ]);
    const ofTask = (task: number, n: number): StreamRecord => ({
      ...record(n),
      dynamodb: { ...record(n).dynamodb, Keys: { pk: { S: `TASK#${task}` }, sk: { S: 'TASK' } } },
    });
    dispatcher.push(ofTask(1, 1));
    await new Promise((resolve) => setTimeout(resolve, 5));
    dispatcher.push(ofTask(1, 3));
    dispatcher.push(ofTask(2, 2));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(delivered).toEqual([2]); // task 1's second record waits for its first
    release();
    await dispatcher.idle();
    expect(delivered).toEqual([2, 1, 3]);
  });

  it('gathers the records of a batching window into one batch, and delivers a waiting batch when asked to settle', async () => {
    const batches: number[][] = [];
    const dispatcher = new StreamDispatcher([
      { name: 'aggregator', batchingWindowMs: 60_000, handler: async (e) => void batches.push(seq(e)) },
    ]);
    dispatcher.push(record(1));
    await new Promise((resolve) => setTimeout(resolve, 10));
    dispatcher.push(record(2));
    dispatcher.push(record(3));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(batches).toEqual([]); // still gathering
    const started = Date.now();
    await dispatcher.idle();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(batches).toEqual([[1, 2, 3]]);
    // Without anyone waiting, a window's batch goes when the window ends.
    const timed = new StreamDispatcher([
      { name: 'aggregator', batchingWindowMs: 30, handler: async (e) => void batches.push(seq(e)) },
    ]);
    timed.push(record(4));
    await new Promise((resolve) => setTimeout(resolve, 10));
    timed.push(record(5));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(batches.at(-1)).toEqual([4, 5]);
  });
});
