import { beforeEach, describe, expect, it } from 'vitest';
import type { LiveConnection } from '../../src/core/live.js';
import type { LiveConnectionStore } from '../../src/core/ports.js';

const at = (minutes: number) => new Date(Date.UTC(2026, 2, 2, 9, minutes)).toISOString();
const aConnection = (id: string, fields: Partial<LiveConnection> = {}): LiveConnection => ({
  id,
  role: 'developer',
  actor: { type: 'user', id: 'U0ANA' },
  connectedAt: at(0),
  expiresAt: at(120),
  ...fields,
});

/**
 * What every LiveConnectionStore promises: connections kept with who opened them, listed all (and none
 * expired), refreshed, forgotten; and the catch-up log read back from a time, oldest first, bounded.
 */
export function liveStoreContract(name: string, makeStore: () => Promise<LiveConnectionStore>): void {
  describe(`${name}: the LiveConnectionStore contract`, () => {
    let store: LiveConnectionStore;
    beforeEach(async () => {
      store = await makeStore();
    });

    it('keeps a connection with who opened it, and forgets it on disconnect (twice is no error)', async () => {
      const connection = aConnection('Lk1xYcOFvHcCIhw=', {
        role: 'viewer',
        actor: { type: 'user', id: 'U09VIEW' },
      });
      await store.connect(connection);
      expect(await store.connection(connection.id, at(1))).toEqual(connection);
      await store.disconnect(connection.id);
      await store.disconnect(connection.id);
      expect(await store.connection(connection.id, at(1))).toBeUndefined();
      expect(await store.connections(at(1))).toEqual([]);
    });

    it('lists every connection not expired, however their ids spread over the partitions', async () => {
      const kept = Array.from({ length: 24 }, (_, i) => aConnection(`conn-${i}-${'x'.repeat(i)}`));
      const expired = aConnection('conn-expired', { expiresAt: at(30) });
      await Promise.all([...kept, expired].map((c) => store.connect(c)));
      const listed = await store.connections(at(31));
      expect(listed.map((c) => c.id).sort()).toEqual(kept.map((c) => c.id).sort());
      expect(listed.find((c) => c.id === 'conn-3-xxx')).toEqual(kept[3]);
      // Expired: not listed and not found, though the store has not deleted it yet.
      expect(await store.connection('conn-expired', at(31))).toBeUndefined();
      expect(await store.connection('conn-expired', at(29))).toEqual(expired);
    });

    it('moves a connection’s expiry on; a connection it does not keep is not refreshed into being', async () => {
      await store.connect(aConnection('conn-ping', { expiresAt: at(10) }));
      expect(await store.refresh('conn-ping', at(130))).toBe(true);
      expect(await store.connection('conn-ping', at(60))).toMatchObject({ expiresAt: at(130) });
      expect((await store.connections(at(60))).map((c) => c.id)).toEqual(['conn-ping']);
      expect(await store.refresh('conn-never', at(130))).toBe(false);
      expect(await store.connection('conn-never', at(0))).toBeUndefined();
    });

    it('gives back the changes logged at or after a time, oldest first, across hours', async () => {
      await store.logChanges(
        [
          { taskId: 'TMS-1', at: '2026-03-02T08:59:59.999Z' },
          { taskId: 'TMS-2', at: '2026-03-02T09:00:00.000Z' },
          { taskId: 'TMS-3', at: '2026-03-02T10:15:00.000Z', deleted: true },
          { taskId: 'TMS-2', at: '2026-03-02T11:00:00.000Z' },
          { taskId: 'TMS-2', at: '2026-03-02T11:00:00.000Z' },
        ],
        at(300),
      );
      const since = await store.changesSince('2026-03-02T09:00:00.000Z', '2026-03-02T11:30:00.000Z', 500);
      expect(since).toEqual({
        changes: [
          { taskId: 'TMS-2', at: '2026-03-02T09:00:00.000Z' },
          { taskId: 'TMS-3', at: '2026-03-02T10:15:00.000Z', deleted: true },
          { taskId: 'TMS-2', at: '2026-03-02T11:00:00.000Z' },
        ],
        complete: true,
      });
      // Nothing logged after `now` is asked for: the hours end there.
      expect(await store.changesSince('2026-03-02T09:00:00.000Z', '2026-03-02T09:30:00.000Z', 500)).toEqual({
        changes: [{ taskId: 'TMS-2', at: '2026-03-02T09:00:00.000Z' }],
        complete: true,
      });
    });

    it('says when there were more changes than asked for', async () => {
      const changes = Array.from({ length: 30 }, (_, i) => ({
        taskId: `TMS-${i + 1}`,
        at: new Date(Date.UTC(2026, 2, 2, 9, 0, i)).toISOString(),
      }));
      await store.logChanges(changes, at(300));
      const cut = await store.changesSince(at(0), at(59), 10);
      expect(cut.complete).toBe(false);
      expect(cut.changes.map((c) => c.taskId)).toEqual(changes.slice(0, 10).map((c) => c.taskId));
      const all = await store.changesSince(at(0), at(59), 30);
      expect(all).toMatchObject({ complete: true });
      expect(all.changes).toHaveLength(30);
    });
  });
}
