import type { Clock } from '../../src/core/time.js';

/**
 * The system clock that a test may move ahead: time still flows (pacing, leases and timeouts behave as on a
 * real clock), and `advance` skips a wait (a Retry-After, a lease) at once instead of sleeping it out.
 */
export class ShiftedClock implements Clock {
  #offset = 0;
  now(): Date {
    return new Date(Date.now() + this.#offset);
  }
  advance(ms: number): void {
    this.#offset += ms;
  }
}
