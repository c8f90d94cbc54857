import type { Notification, Notifier } from '../../src/core/ports.js';

/** The Notifier in memory, for unit tests: what was published, in order; held to the SNS adapter's contract. */
export class MemoryNotifier implements Notifier {
  readonly published: Notification[] = [];

  async publish(notification: Notification): Promise<void> {
    this.published.push(structuredClone(notification));
  }
}
