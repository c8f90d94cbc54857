import { beforeEach, describe, expect, it } from 'vitest';
import { Alert } from '../../src/core/alert.js';
import { HELD_ALERT_BYTES, type MaintenanceWindow } from '../../src/core/maintenance.js';
import type { MaintenanceStore } from '../../src/core/ports.js';

const at = (minutes: number) => new Date(Date.UTC(2026, 11, 6, 1, minutes)).toISOString();
const aWindow = (id: string, fields: Partial<MaintenanceWindow> = {}): MaintenanceWindow => ({
  id,
  matchers: [{ key: 'service', value: 'db' }],
  from: at(0),
  to: at(120),
  every: 'week',
  timezone: 'Europe/Berlin',
  reason: 'db upgrade',
  origin: 'slack',
  createdBy: 'U0ANA',
  createdAt: at(-60),
  held: 0,
  ...fields,
});
const anAlert = (fingerprint: string, fields: Record<string, unknown> = {}): Alert =>
  Alert.parse({
    source: 'generic',
    action: 'trigger',
    fingerprint,
    title: `Disk full (${fingerprint.slice(0, 20)})`,
    occurredAt: at(10),
    labels: { alertname: 'DiskFull' },
    ...fields,
  });
const OCC = { windowId: 'MW-aaaaaa', occurrenceStart: at(0), occurrenceEnd: at(120) };

/**
 * What every MaintenanceStore promises: windows kept as made (once per id), listed whole, lifted once and counted;
 * held alerts kept once per (window, occurrence, fingerprint), counted, marked not firing and released once.
 * Runs over the in-memory fake, the per-container cache and the DynamoDB adapter.
 */
export function windowStoreContract(name: string, makeStore: () => Promise<MaintenanceStore>): void {
  describe(`${name}: the MaintenanceStore contract`, () => {
    let store: MaintenanceStore;
    beforeEach(async () => {
      store = await makeStore();
    });

    it('keeps a window as made, once per id, and lists every window', async () => {
      const window = aWindow('MW-bbbbbb', {
        matchers: [
          { key: 'service', value: 'db' },
          { key: 'alertname', value: 'Disk*' },
        ],
      });
      expect(await store.createWindow(window)).toBe(true);
      expect(await store.createWindow(aWindow('MW-bbbbbb', { reason: 'other' }))).toBe(false);
      const { every: _, ...oneOff } = aWindow('MW-aaaaaa');
      expect(await store.createWindow(oneOff)).toBe(true);
      expect(await store.getWindow('MW-bbbbbb')).toEqual(window);
      expect(await store.getWindow('MW-zzzzzz')).toBeUndefined();
      expect((await store.listWindows()).map((w) => w.id)).toEqual(['MW-aaaaaa', 'MW-bbbbbb']);
      expect((await store.listWindows())[1]).toEqual(window);
    });

    it('lifts a window once, keeps it listed with who lifted it, and counts what it held', async () => {
      await store.createWindow(aWindow('MW-cccccc'));
      await store.countHeld('MW-cccccc', at(5));
      await store.countHeld('MW-cccccc', at(6));
      await store.countHeld('MW-zzzzzz', at(6));
      expect(await store.liftWindow('MW-cccccc', 'U0BEN', at(30))).toBe(true);
      expect(await store.liftWindow('MW-cccccc', 'U0BEN', at(31))).toBe(false);
      expect(await store.liftWindow('MW-zzzzzz', 'U0BEN', at(31))).toBe(false);
      expect(await store.getWindow('MW-zzzzzz')).toBeUndefined();
      const [listed] = await store.listWindows();
      expect(listed).toMatchObject({
        id: 'MW-cccccc',
        held: 2,
        lastHeldAt: at(6),
        liftedAt: at(30),
        liftedBy: 'U0BEN',
      });
    });

    it('marks occurrences released through an end, never back', async () => {
      await store.createWindow(aWindow('MW-dddddd'));
      await store.markReleasedThrough('MW-dddddd', at(120));
      await store.markReleasedThrough('MW-dddddd', at(60));
      expect(await store.getWindow('MW-dddddd')).toMatchObject({ releasedThrough: at(120) });
    });

    it('holds an alert once per occurrence and fingerprint, counting its deliveries', async () => {
      await store.hold({ ...OCC, alert: anAlert('fp-1'), at: at(10) });
      await store.hold({ ...OCC, alert: anAlert('fp-1', { summary: 'still full' }), at: at(20) });
      await store.hold({ ...OCC, alert: anAlert('fp-2'), at: at(15) });
      await store.hold({
        ...OCC,
        occurrenceStart: at(10080),
        occurrenceEnd: at(10200),
        alert: anAlert('fp-1'),
        at: at(10090),
      });
      const held = await store.heldAlerts(OCC.windowId, OCC.occurrenceStart);
      expect(held.map((h) => [h.fingerprint, h.count, h.firing])).toEqual([
        ['fp-1', 2, true],
        ['fp-2', 1, true],
      ]);
      expect(held[0]).toMatchObject({ ...OCC, firstHeldAt: at(10), lastHeldAt: at(20) });
      expect(held[0]?.alert).toEqual(anAlert('fp-1', { summary: 'still full' }));
      expect(await store.heldAlerts(OCC.windowId, at(10080))).toHaveLength(1);
      expect(await store.heldAlerts('MW-zzzzzz', OCC.occurrenceStart)).toEqual([]);
    });

    it('a resolve marks a held alert not firing, and a later trigger makes it firing again', async () => {
      await store.hold({ ...OCC, alert: anAlert('fp-3'), at: at(10) });
      expect(await store.markNotFiring(OCC.windowId, OCC.occurrenceStart, 'fp-3', at(11))).toBe(true);
      expect(await store.markNotFiring(OCC.windowId, OCC.occurrenceStart, 'fp-none', at(11))).toBe(false);
      expect((await store.heldAlerts(OCC.windowId, OCC.occurrenceStart))[0]?.firing).toBe(false);
      await store.hold({ ...OCC, alert: anAlert('fp-3'), at: at(12) });
      expect((await store.heldAlerts(OCC.windowId, OCC.occurrenceStart))[0]).toMatchObject({
        firing: true,
        count: 2,
      });
    });

    it('releases a held alert once, with the task it opened', async () => {
      await store.hold({ ...OCC, alert: anAlert('fp-4'), at: at(10) });
      expect(await store.markReleased(OCC.windowId, OCC.occurrenceStart, 'fp-4', at(121), 'TMS-7')).toBe(
        true,
      );
      expect(await store.markReleased(OCC.windowId, OCC.occurrenceStart, 'fp-4', at(122))).toBe(false);
      expect(await store.markReleased(OCC.windowId, OCC.occurrenceStart, 'fp-none', at(122))).toBe(false);
      expect(await store.markNotFiring(OCC.windowId, OCC.occurrenceStart, 'fp-4', at(123))).toBe(false);
      expect((await store.heldAlerts(OCC.windowId, OCC.occurrenceStart))[0]).toMatchObject({
        releasedAt: at(121),
        taskId: 'TMS-7',
      });
    });

    it('keeps the longest fingerprint and a huge alert within the store’s bounds', async () => {
      const fingerprint = 'f'.repeat(512);
      const labels = Object.fromEntries(
        Array.from({ length: 3000 }, (_, i) => [`label-${i}`, 'v'.repeat(14)]),
      );
      await store.hold({
        ...OCC,
        alert: anAlert(fingerprint, { labels, description: 'd'.repeat(4000) }),
        at: at(10),
      });
      const [held] = await store.heldAlerts(OCC.windowId, OCC.occurrenceStart);
      expect(held?.fingerprint).toBe(fingerprint);
      expect(Buffer.byteLength(JSON.stringify(held?.alert))).toBeLessThanOrEqual(HELD_ALERT_BYTES);
      expect(await store.markNotFiring(OCC.windowId, OCC.occurrenceStart, fingerprint, at(11))).toBe(true);
    });
  });
}
