import { beforeEach, describe, expect, it } from 'vitest';
import type { SeenStore } from '../../src/core/ports.js';

/**
 * What every SeenStore promises. Runs over the in-memory fake and over the DynamoDB adapter on dynalite, so
 * the fake the unit tests rely on behaves like the real store.
 */
export function seenStoreContract(name: string, makeStore: () => Promise<SeenStore>): void {
  describe(`${name}: the SeenStore contract`, () => {
    let seen: SeenStore;
    beforeEach(async () => {
      seen = await makeStore();
    });

    const at = (s: number) => new Date(Date.UTC(2026, 10, 22, 12, 0, s)).toISOString();
    const claim = (token: string, s: number, leaseS = 15) => ({
      token,
      now: at(s),
      leaseUntil: at(s + leaseS),
    });

    it('sees a key once per scope until its marker expires', async () => {
      const later = new Date(Date.now() + 60_000).toISOString();
      expect(await seen.firstSighting('slack-event', 'Ev1', later)).toBe(true);
      expect(await seen.firstSighting('slack-event', 'Ev1', later)).toBe(false);
      expect(await seen.firstSighting('slack-action', 'Ev1', later)).toBe(true);
      const past = new Date(Date.now() - 2_000).toISOString();
      expect(await seen.firstSighting('slack-event', 'Ev2', past)).toBe(true);
      // DynamoDB deletes expired items late; an expired marker no longer counts.
      expect(await seen.firstSighting('slack-event', 'Ev2', later)).toBe(true);
      expect(await seen.firstSighting('slack-event', 'Ev2', later)).toBe(false);
    });

    it('gives work to one holder at a time, and says done once it is complete', async () => {
      expect(await seen.begin('digest', 'k', claim('a', 0))).toBe('begun');
      expect(await seen.begin('digest', 'k', claim('b', 1))).toBe('in-progress');
      expect(await seen.begin('other', 'k', claim('b', 1))).toBe('begun');
      await seen.complete('digest', 'k', 'a', at(100));
      expect(await seen.begin('digest', 'k', claim('c', 30))).toBe('done');
      expect(await seen.begin('digest', 'k', claim('c', 99))).toBe('done');
      // A done marker is kept until it expires, and no longer after.
      expect(await seen.begin('digest', 'k', claim('c', 102))).toBe('begun');
    });

    it('hands the work to the next caller once a holder that died has outlived its lease', async () => {
      expect(await seen.begin('sla-warning', 'k', claim('dead', 0, 15))).toBe('begun');
      expect(await seen.begin('sla-warning', 'k', claim('b', 14))).toBe('in-progress');
      expect(await seen.begin('sla-warning', 'k', claim('b', 16))).toBe('begun');
      // The first holder, had it only been slow, no longer owns the marker: it neither drops nor completes it.
      await seen.release('sla-warning', 'k', 'dead');
      expect(await seen.begin('sla-warning', 'k', claim('c', 17))).toBe('in-progress');
      await seen.complete('sla-warning', 'k', 'dead', at(1000));
      await seen.release('sla-warning', 'k', 'b');
      expect(await seen.begin('sla-warning', 'k', claim('c', 18))).toBe('begun');
    });

    it('lets work that did not happen be tried again at once, and keeps a done marker from being released', async () => {
      expect(await seen.begin('slack-action', 'k', claim('a', 0))).toBe('begun');
      await seen.release('slack-action', 'k', 'a');
      expect(await seen.begin('slack-action', 'k', claim('b', 1))).toBe('begun');
      await seen.complete('slack-action', 'k', 'b', at(60));
      await seen.release('slack-action', 'k', 'b');
      expect(await seen.begin('slack-action', 'k', claim('c', 2))).toBe('done');
    });

    it('keeps what the work of a done marker came to, and nothing for one still in progress', async () => {
      expect(await seen.begin('slack-action', 'k', claim('a', 0))).toBe('begun');
      expect(await seen.outcomeOf('slack-action', 'k')).toBeUndefined();
      await seen.complete('slack-action', 'k', 'a', at(60), 'version 7');
      expect(await seen.outcomeOf('slack-action', 'k')).toBe('version 7');
      expect(await seen.begin('slack-action', 'j', claim('a', 0))).toBe('begun');
      await seen.complete('slack-action', 'j', 'a', at(60));
      expect(await seen.outcomeOf('slack-action', 'j')).toBeUndefined();
      expect(await seen.outcomeOf('slack-action', 'never')).toBeUndefined();
    });

    it('takes keys of any length a Slack action can carry', async () => {
      const key = `TMS-1@2#tms_reassign#${'ü'.repeat(2_000)}#U01AAA`;
      expect(await seen.begin('slack-action', key, claim('a', 0))).toBe('begun');
      expect(await seen.begin('slack-action', `${key}x`, claim('a', 0))).toBe('begun');
      expect(await seen.begin('slack-action', key, claim('b', 1))).toBe('in-progress');
    });
  });
}
