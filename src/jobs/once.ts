import { randomUUID } from 'node:crypto';
import type { Clock, SeenStore } from '../core/ports.js';

/**
 * The longest any caller of `once` can run: the sweeper's and the stream consumers' Lambda timeout
 * (55 and 60 s, infra/stack.ts). A marker still in progress after it belongs to an invocation that died.
 */
export const ONCE_LEASE_MS = 60_000;

/**
 * Runs `work` once per marker, however often it is asked to: `skipped` when it was done before, or is being
 * done right now by another caller. The marker is in progress while the work runs, under a lease as long as
 * the invocation can live, and done only after the work returned: should the work throw, the marker is
 * dropped and the error thrown; should the process die or the Lambda time out halfway, the lease runs out
 * and the next sweep does it. So a post is never lost; it is sent twice only when the invocation died
 * after the work and before its marker was marked done (the one window no marker can close).
 *
 * Why our own SeenStore rather than `@aws-lambda-powertools/idempotency` (2.35.0, same model: in progress,
 * then completed): its in-progress expiry is the Lambda context's remaining time and it has none without
 * one (the local stack, the sweeps it runs), so a marker left by a killed process would block until the
 * record expires, which is the defect itself; it reads `Date.now()` where ours reads the injected clock
 * (tests move time past a lease); with a sort key it puts every record under one static partition key (a
 * hot partition in a storm), and it would be a second store to fake beside the SeenStore contract.
 */
export async function once(
  { seen, clock }: { readonly seen: SeenStore; readonly clock: Clock },
  scope: string,
  key: string,
  expiresAt: string,
  work: () => Promise<void>,
  leaseMs = ONCE_LEASE_MS,
): Promise<'done' | 'skipped'> {
  const token = randomUUID();
  const now = clock.now();
  const leaseUntil = new Date(now.getTime() + leaseMs).toISOString();
  if ((await seen.begin(scope, key, { token, now: now.toISOString(), leaseUntil })) !== 'begun')
    return 'skipped';
  try {
    await work();
  } catch (error) {
    await seen.release(scope, key, token);
    throw error;
  }
  await seen.complete(scope, key, token, expiresAt);
  return 'done';
}
