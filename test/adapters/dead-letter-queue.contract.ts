import { describe, expect, it } from 'vitest';
import type { DeadLetterQueue } from '../../src/jobs/dead-letters.js';

/** A message as a dead-letter queue holds it: when it was first sent, and the error it failed with, if it says. */
export interface DeadLetter {
  readonly sentAt: string;
  readonly error?: string;
}

/**
 * What every DeadLetterQueue promises the monitor: an empty queue looks empty; a full one says how many it
 * holds, the oldest of them and the first error one of them carries. Runs over the SQS adapter
 * (aws-sdk-client-mock) and the local queues' adapter.
 */
export function deadLetterQueueContract(
  name: string,
  holding: (messages: readonly DeadLetter[]) => Promise<DeadLetterQueue>,
): void {
  describe(`${name}: the DeadLetterQueue contract`, () => {
    it('an empty queue looks empty, with nothing else said', async () => {
      expect(await (await holding([])).look()).toEqual({ depth: 0 });
    });

    it('a queue says how many it holds, when the oldest was sent and the first error they carry', async () => {
      const queue = await holding([
        { sentAt: '2026-03-02T09:10:00.000Z' },
        {
          sentAt: '2026-03-02T08:55:00.000Z',
          error: 'ValidationException: Item size has exceeded the maximum',
        },
        { sentAt: '2026-03-02T09:00:00.000Z', error: 'a later error' },
      ]);

      expect(await queue.look()).toEqual({
        depth: 3,
        oldestAt: '2026-03-02T08:55:00.000Z',
        firstError: 'ValidationException: Item size has exceeded the maximum',
      });
    });

    it('messages that carry no error say none', async () => {
      const look = await (await holding([{ sentAt: '2026-03-02T09:00:00.000Z' }])).look();

      expect(look).toEqual({ depth: 1, oldestAt: '2026-03-02T09:00:00.000Z' });
    });
  });
}
