import type { HeartbeatRecord, HeartbeatStore } from '../../src/core/ports.js';

type Definition = Parameters<HeartbeatStore['putHeartbeat']>[0];

/** The HeartbeatStore in memory, for unit tests; held to the same contract as the DynamoDB adapter. */
export class MemoryHeartbeatStore implements HeartbeatStore {
  readonly beats = new Map<string, HeartbeatRecord>();

  async putHeartbeat(beat: Definition): Promise<void> {
    const before = this.beats.get(beat.name);
    const { service, priority, ...rest } = beat;
    this.beats.set(beat.name, {
      ...rest,
      ...(service !== undefined ? { service } : {}),
      ...(priority !== undefined ? { priority } : {}),
      createdAt: before?.createdAt ?? beat.createdAt,
      ...(before?.lastPingAt !== undefined ? { lastPingAt: before.lastPingAt } : {}),
      ...(before?.lateSince !== undefined ? { lateSince: before.lateSince } : {}),
      ...(before?.lateFrom !== undefined ? { lateFrom: before.lateFrom } : {}),
    });
  }

  async getHeartbeat(name: string): Promise<HeartbeatRecord | undefined> {
    const beat = this.beats.get(name);
    return beat && structuredClone(beat);
  }

  async listHeartbeats(): Promise<HeartbeatRecord[]> {
    return [...this.beats.values()]
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((beat) => structuredClone(beat));
  }

  async removeHeartbeat(name: string): Promise<boolean> {
    return this.beats.delete(name);
  }

  async ping(name: string, at: string): Promise<HeartbeatRecord | undefined> {
    const before = this.beats.get(name);
    if (!before) return undefined;
    this.beats.set(name, { ...before, lastPingAt: at });
    return structuredClone(before);
  }

  async markLate(name: string, since: string, lastPingAt: string | undefined): Promise<boolean> {
    const beat = this.beats.get(name);
    if (!beat || beat.lateSince !== undefined || beat.lastPingAt !== lastPingAt) return false;
    this.beats.set(name, {
      ...beat,
      lateSince: since,
      ...(lastPingAt !== undefined ? { lateFrom: lastPingAt } : {}),
    });
    return true;
  }

  async clearLate(name: string, since: string): Promise<boolean> {
    const beat = this.beats.get(name);
    if (!beat || beat.lateSince !== since) return false;
    const { lateSince: _since, lateFrom: _from, ...rest } = beat;
    this.beats.set(name, rest);
    return true;
  }
}
