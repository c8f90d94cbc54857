import { own } from './bounds.js';
import type { Config, EscalationStep } from './config.js';
import {
  type Escalation,
  type EscalationStepSnapshot,
  MAX_GROUP_MEMBERS,
  MAX_NOTIFIED,
  type PageTarget,
} from './escalation-policy.js';
import type { Priority, Task } from './task.js';

/**
 * Escalation (issue 19), pure: a policy snapshotted onto a task, and its next step worked out from where it
 * is. The state machine on AWS (and its local run) only waits and asks; every decision is made here, on the
 * task as stored, so a retried call, a person jumping a step and a config edit all see one truth.
 */

/**
 * The longest a paused (snoozed) escalation sleeps before it looks again: an early unsnooze is seen by then. A
 * week's snooze is 672 looks, some 7,000 of an execution's 25,000 history events.
 */
export const PAUSE_CHECK_MS = 15 * 60_000;

const snapshotStep = (step: EscalationStep): EscalationStepSnapshot =>
  'wait' in step
    ? { type: 'wait', ms: step.wait }
    : 'notify' in step
      ? { type: 'notify', target: step.notify }
      : { type: 'repeat', times: step.repeat };

/**
 * The escalation a new task of `service` at `priority` carries: its service's policy as the config has it now,
 * when the config escalates that priority; undefined otherwise.
 */
export function snapshotEscalation(
  config: Pick<Config, 'services' | 'escalations' | 'escalation'>,
  service: string,
  priority: Priority,
  now: Date,
): Escalation | undefined {
  const policy = own(config.services, service)?.escalation;
  const steps = policy ? own(config.escalations, policy) : undefined;
  if (!policy || !steps || !config.escalation.priorities.includes(priority)) return undefined;
  return begun(policy, steps.map(snapshotStep), 1, now);
}

/**
 * A run at its start. A policy that opens with a wait (most do: a grace period before anyone is paged) is
 * already in it, so the state machine's first step finds the wait under way and writes nothing.
 */
function begun(policy: string, steps: EscalationStepSnapshot[], run: number, now: Date): Escalation {
  const first = steps[0];
  const waiting = first?.type === 'wait';
  return {
    policy,
    steps,
    run,
    at: waiting ? 1 : 0,
    round: 0,
    state: 'running',
    taken: 0,
    notified: [],
    startedAt: now.toISOString(),
    ...(waiting ? { waitUntil: new Date(now.getTime() + first.ms).toISOString() } : {}),
  };
}

/** The same policy from its start, as the next run: a reopened task escalates again, its earlier run closed. */
export function restartEscalation(escalation: Escalation, now: Date): Escalation {
  return begun(escalation.policy, escalation.steps, escalation.run + 1, now);
}

/** Whether the task's escalation may take a step now, is paused, or has stopped (and why). */
export type EscalationCheck =
  | { readonly state: 'go' }
  | { readonly state: 'paused'; readonly seconds: number }
  | { readonly state: 'stopped'; readonly reason: string };

/**
 * What the escalation of run `run` should do now: go on while the task is open and the run is its current one,
 * pause while it is snoozed (looking again at the snooze's end, or every five minutes so an early unsnooze is
 * seen), else stop.
 */
export function checkEscalation(task: Task | undefined, run: number, now: Date): EscalationCheck {
  const escalation = task?.escalation;
  if (!task || !escalation) return { state: 'stopped', reason: 'no escalation' };
  if (escalation.run !== run) return { state: 'stopped', reason: `run ${escalation.run} replaced it` };
  if (escalation.state !== 'running') return { state: 'stopped', reason: escalation.state };
  if (task.status !== 'open') return { state: 'stopped', reason: task.status };
  const snoozed = task.snoozedUntil ? Date.parse(task.snoozedUntil) - now.getTime() : 0;
  if (snoozed > 0) return { state: 'paused', seconds: Math.ceil(Math.min(snoozed, PAUSE_CHECK_MS) / 1000) };
  return { state: 'go' };
}

/** The next step, from the escalation's place: a wait, a notification, or the end of the policy. */
export type EscalationPlan =
  /** A notify step whose notifications were recorded but may not all have gone out: send the rest first. */
  | { readonly kind: 'resend'; readonly pending: NonNullable<Escalation['pending']> }
  /** Wait this long (a wait step; or the rest of one a retried call had already begun). */
  | { readonly kind: 'wait'; readonly ms: number; readonly escalation?: Escalation }
  | {
      readonly kind: 'notify';
      /** 1-based, as people count steps. */
      readonly step: number;
      readonly target: string;
      readonly escalation: Escalation;
    }
  | { readonly kind: 'end'; readonly escalation: Escalation };

/**
 * The step after `escalation`'s place, and the escalation once it is taken. `manual`: a person asked for the
 * next notification now, so waits on the way are passed over. A `repeat` (always the last step) goes back to
 * the first step while rounds are left; past the last step the escalation has ended.
 */
export function planEscalation(
  escalation: Escalation,
  now: Date,
  options: { readonly manual?: boolean } = {},
): EscalationPlan {
  if (escalation.pending) return { kind: 'resend', pending: escalation.pending };
  const { waitUntil, pending: _pending, ...rest } = escalation;
  if (!options.manual && waitUntil && Date.parse(waitUntil) > now.getTime())
    return { kind: 'wait', ms: Date.parse(waitUntil) - now.getTime() };
  let at = escalation.at;
  let round = escalation.round;
  // Each pass moves on by a step or goes back to the start once; rounds are bounded, so this ends.
  for (let guard = 0; guard <= escalation.steps.length * 12; guard++) {
    const step = escalation.steps[at];
    if (!step) return { kind: 'end', escalation: { ...rest, at, round, state: 'ended' } };
    if (step.type === 'repeat') {
      if (round < step.times) {
        at = 0;
        round += 1;
      } else at += 1;
      continue;
    }
    if (step.type === 'wait') {
      if (options.manual) {
        at += 1;
        continue;
      }
      return {
        kind: 'wait',
        ms: step.ms,
        escalation: {
          ...rest,
          at: at + 1,
          round,
          waitUntil: new Date(now.getTime() + step.ms).toISOString(),
        },
      };
    }
    return {
      kind: 'notify',
      step: at + 1,
      target: step.target,
      escalation: { ...rest, at: at + 1, round, taken: escalation.taken + 1 },
    };
  }
  return { kind: 'end', escalation: { ...rest, at, round, state: 'ended' } };
}

/** Who is on call for the task's team, as the use case read it (overrides counted); undefined: no rotation. */
export interface OnCallNow {
  readonly now?: string;
  readonly next?: string;
}

/**
 * Whom a notify step's target reaches for `task`, and a note when it reaches nobody (so the thread says why
 * rather than staying silent). `channel` is the team's channel, else the task's own.
 */
export function resolveTarget(
  target: string,
  task: Pick<Task, 'team' | 'channel' | 'assignee'>,
  config: Pick<Config, 'teams'>,
  onCall: OnCallNow | undefined,
): { readonly targets: PageTarget[]; readonly note?: string } {
  const team = task.team ? own(config.teams, task.team) : undefined;
  const noRotation = task.team
    ? `${task.team} has no on-call rotation`
    : 'the task has no team, so nobody is on call for it';
  switch (target) {
    case 'oncall':
      return onCall?.now
        ? { targets: [{ kind: 'user', id: onCall.now, as: 'oncall' }] }
        : { targets: [], note: noRotation };
    case 'next':
      return onCall?.next
        ? { targets: [{ kind: 'user', id: onCall.next, as: 'next' }] }
        : { targets: [], note: noRotation };
    case 'assignee':
      if (task.assignee) return { targets: [{ kind: 'user', id: task.assignee, as: 'assignee' }] };
      return onCall?.now
        ? { targets: [{ kind: 'user', id: onCall.now, as: 'oncall' }], note: 'nobody holds it: its on-call' }
        : { targets: [], note: `nobody holds it and ${noRotation}` };
    case 'channel':
    case 'team':
      return { targets: [{ kind: 'channel', id: team?.channel ?? task.channel }] };
    case 'sns':
      return { targets: [{ kind: 'sns' }] };
    default:
      return target.startsWith('S')
        ? { targets: [{ kind: 'group', id: target }] }
        : { targets: [{ kind: 'user', id: target, as: 'named' }] };
  }
}

/** The notified list with `more` added, each once, bounded (the oldest kept: they were paged first). */
export function withNotified(notified: readonly string[], more: readonly string[]): string[] {
  const all = [...notified];
  for (const key of more) if (!all.includes(key) && all.length < MAX_NOTIFIED) all.push(key);
  return all;
}

/** A user group's members as paged: each once, at most MAX_GROUP_MEMBERS. */
export const groupMembers = (members: readonly string[]): string[] =>
  [...new Set(members)].slice(0, MAX_GROUP_MEMBERS);
