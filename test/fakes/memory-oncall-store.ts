import type { OncallStore, OverrideRecord } from '../../src/core/ports.js';

/** The OncallStore in memory, for unit tests; held to the same contract as the DynamoDB adapter. */
export class MemoryOncallStore implements OncallStore {
  readonly overrides: OverrideRecord[] = [];

  async createOverride(override: OverrideRecord): Promise<void> {
    if (this.overrides.some((o) => o.team === override.team && o.id === override.id))
      throw new Error(`override ${override.id} exists already`);
    this.overrides.push(structuredClone(override));
  }

  async listOverrides(team: string, from: string, to: string): Promise<OverrideRecord[]> {
    // In the order the adapter's sort key keeps them: by end, then id.
    const order = (o: OverrideRecord) => `${o.end}#${o.id}`;
    return this.overrides
      .filter((o) => o.team === team && o.end > from && o.start < to)
      .sort((a, b) => (order(a) < order(b) ? -1 : 1))
      .map((o) => structuredClone(o));
  }

  async removeOverride(team: string, id: string): Promise<boolean> {
    const index = this.overrides.findIndex((o) => o.team === team && o.id === id);
    if (index < 0) return false;
    this.overrides.splice(index, 1);
    return true;
  }
}
