import type { Clock } from '../core/time.js';

/**
 * The local stack's clock under `TMS_CLOCK=manual`: it runs as the system clock does (leases, timeouts and
 * Slack's clock behave as they would) and is moved ahead by `POST /_sandbox/clock {"advance":"1d"}`, so a demo
 * or a test sees tomorrow's chore fall due, a heartbeat go late or a maintenance window end, without waiting.
 * Time only moves forward: nothing in TMS expects it to run back.
 */
/** How far the clock may be moved in all: ten years is every demo; past it lie dates no store key can hold. */
export const MAX_SHIFT_MS = 10 * 366 * 86_400_000;

export class ShiftableClock implements Clock {
  #offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.#offsetMs);
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms <= 0) throw new RangeError('the clock only moves forward');
    if (this.#offsetMs + ms > MAX_SHIFT_MS)
      throw new RangeError('the clock moves at most ten years ahead in all');
    this.#offsetMs += ms;
  }

  get offsetMs(): number {
    return this.#offsetMs;
  }
}
