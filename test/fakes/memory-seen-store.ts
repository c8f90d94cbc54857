import type { BeginOutcome, SeenClaim, SeenStore } from '../../src/core/ports.js';

interface Marker {
  state: 'in-progress' | 'done';
  holder?: string;
  leaseUntilMs?: number;
  expiresMs: number;
  outcome?: string;
}

/** The SeenStore in memory, for unit tests; held to the same contract as the DynamoDB adapter. */
export class MemorySeenStore implements SeenStore {
  readonly markers = new Map<string, Marker>();

  async firstSighting(scope: string, key: string, expiresAt: string): Promise<boolean> {
    const id = `${scope}#${key}`;
    const marker = this.markers.get(id);
    // Whole seconds, as the DynamoDB adapter keeps its time to live.
    if (marker && marker.expiresMs >= Math.floor(Date.now() / 1000) * 1000) return false;
    this.markers.set(id, { state: 'done', expiresMs: seconds(Date.parse(expiresAt)) });
    return true;
  }

  async begin(scope: string, key: string, claim: SeenClaim): Promise<BeginOutcome> {
    const id = `${scope}#${key}`;
    const marker = this.markers.get(id);
    const now = Date.parse(claim.now);
    const free =
      !marker ||
      marker.expiresMs < Math.floor(now / 1000) * 1000 ||
      (marker.state === 'in-progress' && (marker.leaseUntilMs ?? 0) < now);
    if (!free) return marker.state;
    const leaseUntilMs = Date.parse(claim.leaseUntil);
    this.markers.set(id, {
      state: 'in-progress',
      holder: claim.token,
      leaseUntilMs,
      expiresMs: seconds(leaseUntilMs),
    });
    return 'begun';
  }

  async complete(
    scope: string,
    key: string,
    token: string,
    expiresAt: string,
    outcome?: string,
  ): Promise<void> {
    const marker = this.markers.get(`${scope}#${key}`);
    if (marker?.state !== 'in-progress' || marker.holder !== token) return;
    this.markers.set(`${scope}#${key}`, {
      state: 'done',
      holder: token,
      expiresMs: seconds(Date.parse(expiresAt)),
      ...(outcome === undefined ? {} : { outcome }),
    });
  }

  async outcomeOf(scope: string, key: string): Promise<string | undefined> {
    const marker = this.markers.get(`${scope}#${key}`);
    return marker?.state === 'done' ? marker.outcome : undefined;
  }

  async release(scope: string, key: string, token: string): Promise<void> {
    const marker = this.markers.get(`${scope}#${key}`);
    if (marker?.state === 'in-progress' && marker.holder === token) this.markers.delete(`${scope}#${key}`);
  }
}

/** Rounded up to a whole second, as the adapter's time-to-live attribute is. */
const seconds = (ms: number) => Math.ceil(ms / 1000) * 1000;
