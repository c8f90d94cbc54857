import type { Priority } from '../task.js';
import { C } from './counters.js';

/** How a scope did over a window: the figures `/tms stats` and the digest print. */
export interface WindowMetrics {
  readonly windowMs: number;
  readonly events: number;
  readonly opened: number;
  readonly failures: number;
  readonly acknowledged: number;
  readonly resolved: number;
  readonly autoResolved: number;
  readonly reopened: number;
  readonly flaps: number;
  /** Mean time to acknowledge, over the tasks a person acknowledged in the window. */
  readonly mttaMs: number | null;
  /** Mean time to resolve, over the tasks resolved in the window. */
  readonly mttrMs: number | null;
  /** Mean time between failures: the window less the time alerts took to resolve, over the failures in it (alert tasks opened or reopened). */
  readonly mtbfMs: number | null;
  /** Deadlines met among the stages (ack, resolve) that ended in the window; null when none did. */
  readonly slaAdherence: number | null;
  readonly slaMet: number;
  readonly slaMissed: number;
}

/**
 * The metrics of a window from its summed hourly counters, for all priorities or one. Definitions:
 * MTTA = Σ time to acknowledge / acknowledged; MTTR = Σ time to resolve / resolved (both from when the
 * task's clock started, so a reopened task counts from its reopening); MTBF = max(0, window − Σ time to
 * resolve of alert tasks) / failures, a failure being an alert task opened or reopened: the up-time between
 * failures; SLA adherence = stages
 * done in time / stages done.
 */
export function windowMetrics(
  total: Readonly<Record<string, number>>,
  windowMs: number,
  priority?: Priority,
): WindowMetrics {
  const get = (name: string) => total[priority ? C.byPriority(name, priority) : name] ?? 0;
  const acknowledged = get(C.acked);
  const resolved = get(C.resolved);
  const failures = get(C.failures);
  const slaMet = get(C.ackMet) + get(C.resolveMet);
  const slaMissed = get(C.ackMissed) + get(C.resolveMissed);
  return {
    windowMs,
    // Events, reopens and flaps are not kept per priority: a task's priority may change between its repeats.
    events: priority ? 0 : get(C.events),
    opened: get(C.opened),
    failures,
    acknowledged,
    resolved,
    autoResolved: priority ? 0 : get(C.autoResolved),
    reopened: priority ? 0 : get(C.reopened),
    flaps: priority ? 0 : get(C.flaps),
    mttaMs: acknowledged > 0 ? get(C.ackMs) / acknowledged : null,
    mttrMs: resolved > 0 ? get(C.resolveMs) / resolved : null,
    mtbfMs: failures > 0 ? Math.max(0, windowMs - get(C.downMs)) / failures : null,
    slaAdherence: slaMet + slaMissed > 0 ? slaMet / (slaMet + slaMissed) : null,
    slaMet,
    slaMissed,
  };
}
