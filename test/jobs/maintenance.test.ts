import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Alert } from '../../src/core/alert.js';
import type { WindowConfig } from '../../src/core/config.js';
import { configWindowId, type MaintenanceWindow } from '../../src/core/maintenance.js';
import type { MaintenanceStore } from '../../src/core/ports.js';
import { ManualClock } from '../../src/core/time.js';
import { ingestAlert } from '../../src/core/use-cases/ingest-alert.js';
import { runMaintenance } from '../../src/jobs/maintenance.js';
import { MemoryWindowStore } from '../fakes/memory-window-store.js';
import { inProcessStack, type TestStack } from '../helpers/local-stack.js';

let stack: TestStack;
const clock = new ManualClock('2026-12-06T01:00:00.000Z');
beforeAll(async () => {
  stack = await inProcessStack({ TMS_TICK: '1h' }, { clock });
}, 60_000);
afterAll(() => stack?.close(), 60_000);

const oneOff = (id: string): MaintenanceWindow => ({
  id,
  matchers: [{ key: 'service', value: 'checkout' }],
  from: '2026-12-06T01:00:00.000Z',
  to: '2026-12-06T02:00:00.000Z',
  timezone: 'UTC',
  reason: 'upgrade',
  origin: 'slack',
  createdBy: 'U01AAA',
  createdAt: '2026-12-06T00:00:00.000Z',
  held: 0,
});
const firing = (fingerprint: string): Alert =>
  Alert.parse({
    source: 'generic',
    action: 'trigger',
    fingerprint,
    title: `Disk full (${fingerprint})`,
    service: 'checkout',
    occurredAt: clock.now().toISOString(),
  });
const openTask = async (fingerprint: string) => (await stack.deps.store.fingerprint(fingerprint))?.openTaskId;

/** A store whose mark after a release fails while `dies`: a sweep that died between the ingest and the mark. */
class DyingStore extends MemoryWindowStore {
  dies = true;
  override async markReleased(...args: Parameters<MaintenanceStore['markReleased']>): Promise<boolean> {
    if (this.dies) throw new Error('the sweep died here');
    return super.markReleased(...args);
  }
}

describe('the maintenance sweep', () => {
  it('makes the config’s windows once, and lifts one the config no longer names', async () => {
    // Prepare
    const windows = new MemoryWindowStore();
    const entry: WindowConfig = {
      service: 'checkout',
      from: '2026-12-06T02:00',
      to: '2026-12-06T04:00',
      every: 'week',
      timezone: 'Europe/Berlin',
    };
    const withConfig = (maintenance: WindowConfig[]) => ({
      ...stack.deps,
      windows,
      config: { ...stack.deps.config, maintenance },
    });
    // Act
    const first = await runMaintenance(withConfig([entry]), clock.now());
    const second = await runMaintenance(withConfig([entry]), clock.now());
    // Assess
    expect([first.created, second.created]).toEqual([1, 0]);
    expect(await windows.getWindow(configWindowId(entry))).toMatchObject({
      origin: 'config',
      from: '2026-12-06T01:00:00.000Z',
      to: '2026-12-06T03:00:00.000Z',
      every: 'week',
    });
    // Act: the entry is removed.
    const removed = await runMaintenance(withConfig([]), clock.now());
    // Assess
    expect(removed.lifted).toBe(1);
    expect(await windows.getWindow(configWindowId(entry))).toMatchObject({ liftedBy: 'config' });
  });

  it('opens a held alert once when two sweeps run at once', async () => {
    // Prepare: an alert held during the window.
    clock.set('2026-12-06T01:10:00.000Z');
    const windows = new MemoryWindowStore();
    await windows.createWindow(oneOff('MW-twice1'));
    const deps = { ...stack.deps, windows };
    const held = await ingestAlert(deps, firing('twice'));
    expect(held).toMatchObject({ result: 'ignored', reason: expect.stringContaining('MW-twice1') });
    expect(await openTask('twice')).toBeUndefined();
    // Act
    clock.set('2026-12-06T02:01:00.000Z');
    const [a, b] = await Promise.all([runMaintenance(deps, clock.now()), runMaintenance(deps, clock.now())]);
    // Assess
    expect(a.released + b.released).toBe(1);
    const taskId = await openTask('twice');
    expect(taskId).toBeDefined();
    const [record] = await windows.heldAlerts('MW-twice1', '2026-12-06T01:00:00.000Z');
    expect(record).toMatchObject({ taskId, releasedAt: expect.any(String) });
    expect((await windows.getWindow('MW-twice1'))?.releasedThrough).toBe('2026-12-06T02:00:00.000Z');
    expect(await runMaintenance(deps, clock.now())).toMatchObject({ released: 0 });
  });

  it('finishes a release a sweep died in after opening the task, without a second task', async () => {
    // Prepare: a sweep whose mark after the ingest fails (as if it died there).
    clock.set('2026-12-06T01:10:00.000Z');
    const windows = new DyingStore();
    await windows.createWindow(oneOff('MW-died01'));
    const deps = { ...stack.deps, windows };
    await ingestAlert(deps, firing('died'));
    clock.set('2026-12-06T02:01:00.000Z');
    await expect(runMaintenance(deps, clock.now())).rejects.toThrow('the sweep died here');
    const opened = await openTask('died');
    expect(opened).toBeDefined();
    // Act: the next sweep.
    windows.dies = false;
    clock.advance(60_000);
    const next = await runMaintenance(deps, clock.now());
    // Assess: the same task, recorded as the one it opened.
    expect(next.released).toBe(1);
    expect(await openTask('died')).toBe(opened);
    const [record] = await windows.heldAlerts('MW-died01', '2026-12-06T01:00:00.000Z');
    expect(record).toMatchObject({ taskId: opened });
  });

  it('opens nothing for an alert resolved during the window, or just after it ended', async () => {
    clock.set('2026-12-06T01:10:00.000Z');
    const windows = new MemoryWindowStore();
    await windows.createWindow(oneOff('MW-resol1'));
    const deps = { ...stack.deps, windows };
    await ingestAlert(deps, firing('during'));
    await ingestAlert(deps, firing('after'));
    await ingestAlert(deps, { ...firing('during'), action: 'resolve' });
    clock.set('2026-12-06T02:00:30.000Z'); // ended, not swept yet
    await ingestAlert(deps, { ...firing('after'), action: 'resolve' });
    clock.set('2026-12-06T02:01:00.000Z');
    expect(await runMaintenance(deps, clock.now())).toMatchObject({ released: 0, notFiring: 2 });
    expect(await openTask('during')).toBeUndefined();
    expect(await openTask('after')).toBeUndefined();
  });
});
