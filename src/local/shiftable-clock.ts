import type { Clock } from '../core/time.js';

/**
 * The local stack's clock under `TMS_CLOCK=manual`: it runs as the system clock does (leases, timeouts and
 * Slack's clock behave as they would) and is moved ahead by `POST /_sandbox/clock {"advance":"1d"}`, so a demo
 * or a test sees tomorrow's chore fall due, a heartbeat go late or a maintenance window end, without waiting.
 * Time only moves forward: nothing in TMS expects it to run back.
 */
export class ShiftableClock implements Clock {
  #offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.#offsetMs);
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms <= 0) throw new RangeError('the clock only moves forward');
    this.#offsetMs += ms;
  }

  get offsetMs(): number {
    return this.#offsetMs;
  }
}
