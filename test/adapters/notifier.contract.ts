import { beforeEach, describe, expect, it } from 'vitest';
import type { Notification, Notifier } from '../../src/core/ports.js';

/** A notifier, and what reached the other side of it (a subscriber's view), oldest first. */
export interface NotifierUnderTest {
  readonly notifier: Notifier;
  /** What was delivered; `attributes` left out when there were none. */
  delivered(): Promise<Notification[]>;
}

/**
 * What every Notifier promises: each notification delivered once, with its message and attributes as given,
 * whatever its subject. Runs over the in-memory fake and over the SNS adapter against the SNS emulator.
 */
export function notifierContract(name: string, make: () => Promise<NotifierUnderTest>): void {
  describe(`${name}: the Notifier contract`, () => {
    let under: NotifierUnderTest;
    beforeEach(async () => {
      under = await make();
    });

    it('delivers each notification once, in order, with its subject, message and attributes', async () => {
      const sent: Notification[] = [
        { subject: 'P1 TMS-7 opened', message: 'Checkout 5xx above 5%', attributes: { priority: 'P1' } },
        { subject: 'P1 TMS-7 breached', message: 'Not acknowledged within 5 minutes' },
        {
          subject: 'P2 TMS-8 opened',
          message: 'Search latency\nabove 2 s for 10 minutes',
          attributes: { priority: 'P2', service: 'search' },
        },
      ];
      // Act
      for (const notification of sent) await under.notifier.publish(notification);
      // Assess
      expect(await under.delivered()).toEqual(sent);
    });

    it('delivers a notification whatever its subject: long, or not plain ASCII', async () => {
      const message = 'Checkout is down in eu-west-1 — every region after it ✓';
      await under.notifier.publish({ subject: `P1 TMS-42 Checkout down — ${'x'.repeat(120)}`, message });
      await under.notifier.publish({ subject: 'P1 TMS-43 Zahlungen ausgefallen 💥', message });
      const delivered = await under.delivered();
      expect(delivered.map((n) => n.message)).toEqual([message, message]);
      expect(delivered[0]?.subject.startsWith('P1 TMS-42 Checkout down')).toBe(true);
      expect(delivered[1]?.subject.startsWith('P1 TMS-43 Zahlungen ausgefallen')).toBe(true);
    });

    it('delivers notifications published at the same moment, each once', async () => {
      const messages = Array.from({ length: 10 }, (_, i) => `breach ${i}`);
      await Promise.all(messages.map((message) => under.notifier.publish({ subject: 'SLA', message })));
      expect((await under.delivered()).map((n) => n.message).sort()).toEqual(messages);
    });
  });
}
