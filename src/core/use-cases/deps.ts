import type { Config } from '../config.js';
import { DomainError, TransientError } from '../errors.js';
import type { MaintenanceStore, OncallStore, SilenceStore, TaskStore } from '../ports.js';
import { fail, ok, type Result } from '../result.js';
import { parseTaskId } from '../task.js';
import type { Clock } from '../time.js';

/**
 * What the use cases need from the world, built once per process by the entry point. `Store` is the part of the
 * task table's ports a use case needs (`Deps<TaskRepository>` for one that only reads and writes tasks); the
 * entry points hand every use case the whole `TaskStore`.
 */
export interface Deps<Store = TaskStore> {
  readonly store: Store;
  readonly clock: Clock;
  readonly config: Config;
  /** Random tokens for fingerprint claims and generated dedup keys. */
  readonly newId: () => string;
  /**
   * Waits at least `ms` (never less: it also waits out Slack's Retry-After and paces card edits), jittered
   * upward only; injected so tests and property runs need not wait.
   */
  readonly sleep: (ms: number) => Promise<void>;
  /** Silences in force hold matching alerts back; without a store nothing is silenced. */
  readonly silences?: SilenceStore;
  /** Maintenance windows in force hold matching alerts back until they end; without a store none does. */
  readonly windows?: MaintenanceStore;
  /**
   * On-call overrides (issue 19): a new alert task goes to whoever is on call for its team, overrides counted;
   * without a store, to whoever the rotation alone names.
   */
  readonly oncall?: OncallStore;
  /** Where a use case reports trouble it got past (a lookup that failed, a fallback taken); nowhere without it. */
  readonly warn?: (message: string, context: Record<string, unknown>) => void;
}

export const defaultDeps = (store: TaskStore, config: Config, clock: Clock): Deps => ({
  store,
  config,
  clock,
  newId: () => globalThis.crypto.randomUUID(),
  // Jittered upward, so writers that collided do not collide again in step, yet never shorter than asked.
  sleep: (ms) => sleepAtLeast(ms * (1 + 0.5 * Math.random())),
});

/** A timer may fire a millisecond before the wall clock says its time is up: wait out what is left too. */
export async function sleepAtLeast(ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (let left = ms; left > 0; left = until - Date.now())
    await new Promise((resolve) => setTimeout(resolve, left));
}

/** Retried conflicts outlasted their budget: a transient fault (HTTP 503), the caller or the sender retries. */
export class ContentionError extends TransientError {
  override readonly name = 'ContentionError';
  constructor(message: string, context: Record<string, unknown> = {}) {
    super(message, { context });
  }
}

/** A claim older than this belongs to a writer that died mid-way; another may take it over. */
export const CLAIM_STALE_MS = 10_000;
export const MAX_ATTEMPTS = 12;
export const backoff = (attempt: number): number => Math.min(250, 10 * 2 ** attempt);

/** A task id as a person or a client gave it (`TMS-42`, `42`), or the refusal that says what one looks like. */
export function taskIdFrom(input: string): Result<string, DomainError> {
  const id = parseTaskId(input);
  return id
    ? ok(id)
    : fail(new DomainError('INVALID_INPUT', `"${input}" is not a task id such as TMS-42 or 42`, { input }));
}
