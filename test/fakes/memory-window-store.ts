import type { MaintenanceWindow } from '../../src/core/maintenance.js';
import { heldAlertOf } from '../../src/core/maintenance.js';
import type { HeldAlert, MaintenanceStore } from '../../src/core/ports.js';

/** The MaintenanceStore in memory, for unit tests; held to the same contract as the DynamoDB adapter. */
export class MemoryWindowStore implements MaintenanceStore {
  readonly windows = new Map<string, MaintenanceWindow>();
  readonly held = new Map<string, HeldAlert>();
  /** How many times the windows were listed (what a per-container cache saves). */
  lists = 0;

  async createWindow(window: MaintenanceWindow): Promise<boolean> {
    if (this.windows.has(window.id)) return false;
    this.windows.set(window.id, structuredClone(window));
    return true;
  }

  async listWindows(): Promise<MaintenanceWindow[]> {
    this.lists++;
    return [...this.windows.values()].sort((a, b) => (a.id < b.id ? -1 : 1)).map((w) => structuredClone(w));
  }

  async getWindow(id: string): Promise<MaintenanceWindow | undefined> {
    const window = this.windows.get(id);
    return window && structuredClone(window);
  }

  async liftWindow(id: string, by: string, at: string): Promise<boolean> {
    const window = this.windows.get(id);
    if (!window || window.liftedAt) return false;
    this.windows.set(id, { ...window, liftedAt: at, liftedBy: by });
    return true;
  }

  async countHeld(id: string, at: string): Promise<void> {
    const window = this.windows.get(id);
    if (window) this.windows.set(id, { ...window, held: window.held + 1, lastHeldAt: at });
  }

  async markReleasedThrough(id: string, end: string): Promise<void> {
    const window = this.windows.get(id);
    if (window && !(window.releasedThrough && window.releasedThrough >= end))
      this.windows.set(id, { ...window, releasedThrough: end });
  }

  async hold(held: Parameters<MaintenanceStore['hold']>[0]): Promise<void> {
    const key = this.#key(held.windowId, held.occurrenceStart, held.alert.fingerprint);
    const before = this.held.get(key);
    this.held.set(key, {
      windowId: held.windowId,
      occurrenceStart: held.occurrenceStart,
      occurrenceEnd: held.occurrenceEnd,
      fingerprint: held.alert.fingerprint,
      alert: structuredClone(heldAlertOf(held.alert)),
      firing: true,
      count: (before?.count ?? 0) + 1,
      firstHeldAt: before?.firstHeldAt ?? held.at,
      lastHeldAt: held.at,
      ...(before?.releasedAt ? { releasedAt: before.releasedAt } : {}),
      ...(before?.taskId ? { taskId: before.taskId } : {}),
    });
  }

  async markNotFiring(windowId: string, start: string, fingerprint: string, at: string): Promise<boolean> {
    const key = this.#key(windowId, start, fingerprint);
    const held = this.held.get(key);
    if (!held || held.releasedAt) return false;
    this.held.set(key, { ...held, firing: false, lastHeldAt: at });
    return true;
  }

  async heldAlerts(windowId: string, start: string): Promise<HeldAlert[]> {
    return [...this.held.values()]
      .filter((h) => h.windowId === windowId && h.occurrenceStart === start)
      .sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : 1))
      .map((h) => structuredClone(h));
  }

  async markReleased(
    windowId: string,
    start: string,
    fingerprint: string,
    at: string,
    taskId?: string,
  ): Promise<boolean> {
    const key = this.#key(windowId, start, fingerprint);
    const held = this.held.get(key);
    if (!held || held.releasedAt) return false;
    this.held.set(key, { ...held, releasedAt: at, ...(taskId ? { taskId } : {}) });
    return true;
  }

  #key = (windowId: string, start: string, fingerprint: string) => `${windowId}#${start}#${fingerprint}`;
}
