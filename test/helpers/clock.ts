import type { Clock } from '../../src/core/time.js';
import { sleepAtLeast } from '../../src/core/use-cases/deps.js';

/**
 * The system clock that a test may move ahead: time still flows (leases and timeouts behave as on a real
 * clock), `advance` skips a wait (a Retry-After, a lease) at once instead of sleeping it out, and `sleep`,
 * handed to the stack, turns the handlers' own waits (card pacing, Retry-After) into time passed.
 */
export class ShiftedClock implements Clock {
  #offset = 0;
  now(): Date {
    return new Date(Date.now() + this.#offset);
  }
  advance(ms: number): void {
    this.#offset += ms;
  }

  #realTime = 0;

  /** A wait that passes on this clock at once (then lets pending I/O run): for the stack's `sleep`. */
  readonly sleep = async (ms: number): Promise<void> => {
    if (this.#realTime > 0) return sleepAtLeast(ms);
    this.advance(ms);
    await new Promise((resolve) => setImmediate(resolve));
  };

  /** Runs `work` with waits that take real time: for a test of the pacing itself. */
  async inRealTime<T>(work: () => Promise<T>): Promise<T> {
    this.#realTime++;
    try {
      return await work();
    } finally {
      this.#realTime--;
    }
  }
}
