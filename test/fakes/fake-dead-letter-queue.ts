import type { Priority } from '../../src/core/task.js';
import type { DeadLetterLook, DeadLetterQueue } from '../../src/jobs/dead-letters.js';

/**
 * A DeadLetterQueue whose contents a test sets: `holding` what a look finds next, `failing` a look that throws
 * (a throttled or denied call). Counts its looks, so a test sees every queue was looked at.
 */
export class FakeDeadLetterQueue implements DeadLetterQueue {
  #look: DeadLetterLook = { depth: 0 };
  #failure: Error | undefined;
  looks = 0;

  constructor(
    readonly name: string,
    readonly holds = `Messages the ${name} consumer gave up on.`,
    readonly redrive = 'npm run redrive',
    readonly priority?: Priority,
  ) {}

  holding(look: DeadLetterLook): this {
    this.#look = look;
    this.#failure = undefined;
    return this;
  }

  failing(error: Error): this {
    this.#failure = error;
    return this;
  }

  async look(): Promise<DeadLetterLook> {
    this.looks++;
    if (this.#failure) throw this.#failure;
    return { ...this.#look };
  }
}
