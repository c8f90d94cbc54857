import type { SilenceStore } from '../../src/core/ports.js';
import type { Silence } from '../../src/core/silence.js';

/** The SilenceStore in memory, for unit tests; held to the same contract as the DynamoDB adapter. */
export class MemorySilenceStore implements SilenceStore {
  readonly silences = new Map<string, Silence>();

  async createSilence(silence: Silence): Promise<void> {
    if (this.silences.has(silence.id)) throw new Error(`silence ${silence.id} exists already`);
    this.silences.set(silence.id, structuredClone(silence));
  }

  async activeSilences(now: string): Promise<Silence[]> {
    // In the order the adapter's index keeps them: by end, then id.
    const order = (s: Silence) => `${s.endsAt}#${s.id}`;
    return [...this.silences.values()]
      .filter((s) => !s.liftedAt && s.endsAt > now)
      .sort((a, b) => (order(a) < order(b) ? -1 : 1))
      .map((s) => structuredClone(s));
  }

  async getSilence(id: string): Promise<Silence | undefined> {
    const silence = this.silences.get(id);
    return silence && structuredClone(silence);
  }

  async liftSilence(id: string, by: string, at: string): Promise<boolean> {
    const silence = this.silences.get(id);
    if (!silence || silence.liftedAt || !(silence.endsAt > at)) return false;
    this.silences.set(id, { ...silence, liftedAt: at, liftedBy: by });
    return true;
  }

  async countSilenced(id: string, at: string): Promise<void> {
    const silence = this.silences.get(id);
    if (silence) this.silences.set(id, { ...silence, matched: silence.matched + 1, lastMatchedAt: at });
  }
}
