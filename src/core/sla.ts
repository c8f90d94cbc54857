import type { Config } from './config.js';
import type { Priority, SlaSnapshot, Task } from './task.js';
import { plus } from './time.js';

/** Copies the policy onto a task when it opens, so a later config edit never moves a running clock. */
export function snapshotSla(config: Pick<Config, 'sla'>): SlaSnapshot {
  const { atRisk, P1, P2, P3, P4 } = config.sla;
  return { windows: { P1: { ...P1 }, P2: { ...P2 }, P3: { ...P3 }, P4: { ...P4 } }, atRisk };
}

/** Deadlines measured from `from` (when the task opened, or reopened) under the task's own snapshot. */
export function deadlines(
  sla: SlaSnapshot,
  priority: Priority,
  from: string,
): Pick<Task, 'ackDueAt' | 'resolveDueAt'> {
  const window = sla.windows[priority];
  return { ackDueAt: plus(from, window.ack), resolveDueAt: plus(from, window.resolve) };
}

export type SlaStage = 'ack' | 'resolve';

/** When a task's clock for a stage started (it opened, or reopened): its deadline less the window of its priority. */
export function clockStart(
  task: Pick<Task, 'priority' | 'sla' | 'ackDueAt' | 'resolveDueAt'>,
  stage: SlaStage,
): number {
  const due = Date.parse(stage === 'ack' ? task.ackDueAt : task.resolveDueAt);
  return due - task.sla.windows[task.priority][stage];
}
/**
 * `ok`: within the window; `at_risk`: at least `atRisk` of the window used; `breached`: past due;
 * `met` / `missed`: the stage is done, in time or late.
 */
export type SlaState = 'ok' | 'at_risk' | 'breached' | 'met' | 'missed';

export interface SlaClock {
  readonly stage: SlaStage;
  readonly state: SlaState;
  readonly dueAt: string;
  /** Share of the window used at `now` (or when the stage was done): 0 at the start, 1 at the deadline, above 1 past it. */
  readonly used: number;
  /** Milliseconds left until the deadline; negative once breached. */
  readonly remainingMs: number;
}

type ClockTask = Pick<
  Task,
  'priority' | 'sla' | 'ackDueAt' | 'resolveDueAt' | 'acknowledgedAt' | 'resolvedAt'
>;

export function slaClock(task: ClockTask, stage: SlaStage, now: Date): SlaClock {
  const dueAt = stage === 'ack' ? task.ackDueAt : task.resolveDueAt;
  const windowMs = task.sla.windows[task.priority][stage];
  const due = Date.parse(dueAt);
  const start = due - windowMs;
  const doneAt = stage === 'ack' ? (task.acknowledgedAt ?? task.resolvedAt) : task.resolvedAt;
  const at = doneAt ? Date.parse(doneAt) : now.getTime();
  const used = (at - start) / windowMs;
  const remainingMs = due - at;
  let state: SlaState;
  if (doneAt) state = at <= due ? 'met' : 'missed';
  else if (at > due) state = 'breached';
  else if (used >= task.sla.atRisk) state = 'at_risk';
  else state = 'ok';
  return { stage, state, dueAt, used, remainingMs };
}

export const isAtRisk = (task: ClockTask, stage: SlaStage, now: Date): boolean =>
  slaClock(task, stage, now).state === 'at_risk';

export const isBreached = (task: ClockTask, stage: SlaStage, now: Date): boolean =>
  slaClock(task, stage, now).state === 'breached';
