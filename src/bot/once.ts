import type { SeenStore } from '../core/ports.js';

/**
 * Runs `work` once per marker, however often it is asked to: `skipped` when it was done before. Should the
 * work fail, the marker is dropped again and the error thrown, so the next try runs it.
 */
export async function once(
  seen: SeenStore,
  scope: string,
  key: string,
  expiresAt: string,
  work: () => Promise<void>,
): Promise<'done' | 'skipped'> {
  if (!(await seen.firstSighting(scope, key, expiresAt))) return 'skipped';
  try {
    await work();
    return 'done';
  } catch (error) {
    await seen.forget(scope, key);
    throw error;
  }
}
