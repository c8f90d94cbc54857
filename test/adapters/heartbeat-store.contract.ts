import { beforeEach, describe, expect, it } from 'vitest';
import type { HeartbeatStore } from '../../src/core/ports.js';

const HOUR = 3_600_000;
const at = (hours: number) => new Date(Date.UTC(2026, 11, 1, hours)).toISOString();
const backup = {
  name: 'nightly-backup',
  everyMs: 24 * HOUR,
  graceMs: HOUR,
  service: 'db',
  priority: 'P2',
  origin: 'config',
  createdBy: 'config',
  createdAt: at(0),
} as const;

/**
 * What every HeartbeatStore promises: heartbeats kept as defined and listed by name, a redefinition that keeps
 * pings and lateness, a ping that makes no heartbeat, a lateness marked once and ended once. Runs over the
 * in-memory fake and over the DynamoDB adapter.
 */
export function heartbeatStoreContract(name: string, makeStore: () => Promise<HeartbeatStore>): void {
  describe(`${name}: the HeartbeatStore contract`, () => {
    let store: HeartbeatStore;
    beforeEach(async () => {
      store = await makeStore();
    });

    it('keeps a heartbeat as defined, lists them by name, and removes one once', async () => {
      // Prepare
      await store.putHeartbeat(backup);
      await store.putHeartbeat({ ...backup, name: 'etl.v2_daily', origin: 'slack', createdBy: 'U0ANA' });
      // Assess
      expect(await store.getHeartbeat('nightly-backup')).toEqual(backup);
      expect((await store.listHeartbeats()).map((b) => b.name)).toEqual(['etl.v2_daily', 'nightly-backup']);
      expect(await store.getHeartbeat('absent')).toBeUndefined();
      expect(await store.removeHeartbeat('etl.v2_daily')).toBe(true);
      expect(await store.removeHeartbeat('etl.v2_daily')).toBe(false);
      expect((await store.listHeartbeats()).map((b) => b.name)).toEqual(['nightly-backup']);
    });

    it('a redefinition keeps its pings, its lateness and when it was made, and drops what it no longer says', async () => {
      // Prepare
      await store.putHeartbeat(backup);
      await store.ping('nightly-backup', at(2));
      expect(await store.markLate('nightly-backup', at(27), at(2))).toBe(true);
      // Act
      const { service: _service, priority: _priority, ...bare } = backup;
      await store.putHeartbeat({ ...bare, everyMs: 2 * HOUR, createdAt: at(30) });
      // Assess
      expect(await store.getHeartbeat('nightly-backup')).toEqual({
        ...bare,
        everyMs: 2 * HOUR,
        createdAt: at(0),
        lastPingAt: at(2),
        lateSince: at(27),
        lateFrom: at(2),
      });
    });

    it('records a ping and answers what it was before; a ping of an unknown name makes nothing', async () => {
      await store.putHeartbeat(backup);
      expect(await store.ping('nightly-backup', at(1))).toEqual(backup);
      expect(await store.ping('nightly-backup', at(2))).toEqual({ ...backup, lastPingAt: at(1) });
      expect(await store.ping('unknown', at(2))).toBeUndefined();
      expect(await store.getHeartbeat('unknown')).toBeUndefined();
      expect(await store.listHeartbeats()).toHaveLength(1);
    });

    it('marks a lateness once, and not after a ping since the one it was counted from', async () => {
      // Prepare
      await store.putHeartbeat(backup);
      // Act: never pinged, late a day and an hour after it was made.
      const first = await store.markLate('nightly-backup', at(25), undefined);
      const again = await store.markLate('nightly-backup', at(25), undefined);
      // Assess
      expect([first, again]).toEqual([true, false]);
      expect(await store.getHeartbeat('nightly-backup')).toEqual({ ...backup, lateSince: at(25) });
      expect(await store.markLate('unknown', at(25), undefined)).toBe(false);
      // A ping came in between: what the sweep saw is out of date.
      await store.putHeartbeat({ ...backup, name: 'pinged' });
      await store.ping('pinged', at(26));
      expect(await store.markLate('pinged', at(25), undefined)).toBe(false);
      expect(await store.markLate('pinged', at(51), at(3))).toBe(false);
      expect(await store.markLate('pinged', at(51), at(26))).toBe(true);
    });

    it('keeps a lateness past the ping that ends it, until its resolve was sent', async () => {
      // Prepare
      await store.putHeartbeat(backup);
      await store.markLate('nightly-backup', at(25), undefined);
      // Act
      const before = await store.ping('nightly-backup', at(26));
      // Assess: the ping answers the lateness it ended, which stays until cleared, once.
      expect(before).toMatchObject({ lateSince: at(25) });
      expect(await store.getHeartbeat('nightly-backup')).toMatchObject({
        lateSince: at(25),
        lastPingAt: at(26),
      });
      expect(await store.clearLate('nightly-backup', at(24))).toBe(false);
      expect(await store.clearLate('nightly-backup', at(25))).toBe(true);
      expect(await store.clearLate('nightly-backup', at(25))).toBe(false);
      expect(await store.getHeartbeat('nightly-backup')).toEqual({ ...backup, lastPingAt: at(26) });
      expect(await store.clearLate('unknown', at(25))).toBe(false);
    });
  });
}
