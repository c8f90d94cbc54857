import { own } from '../bounds.js';
import { DomainError, person, sentence } from '../errors.js';
import {
  checkEscalation,
  type EscalationCheck,
  type OnCallNow,
  planEscalation,
  resolveTarget,
  withNotified,
} from '../escalation.js';
import type { Escalation, PageTarget } from '../escalation-policy.js';
import { applyAction, type EscalationChange } from '../lifecycle.js';
import type { TaskRepository } from '../ports.js';
import { authorize, type Role } from '../rbac.js';
import { fail, ok, type Result } from '../result.js';
import type { Task } from '../task.js';
import type { ChangeContext, Via } from '../timeline.js';
import { backoff, ContentionError, type Deps, MAX_ATTEMPTS, taskIdFrom } from './deps.js';
import { onCallFor, rotationOf } from './oncall.js';

/**
 * The use cases of escalation (issue 19), one per thing the state machine (or a person) asks: may it go on,
 * take the next step, the notifications of a step were sent, a step failed for good. Each reads the task,
 * decides in ../escalation.ts and writes the task conditionally on its version, so a call retried after a
 * crash, two calls at once, or a person's click in between never take one step twice.
 */

const SYSTEM: Omit<ChangeContext, 'now'> = { actor: { type: 'system', id: 'escalation' }, via: 'system' };

/** Notifications a step asks to be sent: the job sends each once, then reports what reached whom (`recordSent`). */
export interface Page {
  readonly task: Task;
  readonly run: number;
  readonly step: number;
  /** How often the policy had gone back to its start: a repeat pages the same step again, as a new page. */
  readonly round: number;
  readonly targets: readonly PageTarget[];
  /** A person asked for this step now (`/tms escalate`). */
  readonly by?: string;
}

/** What the state machine does after a step: wait this long, look again at once, or finish. */
export type StepOutcome =
  | { readonly next: 'wait'; readonly seconds: number; readonly page?: undefined }
  | { readonly next: 'check'; readonly page?: Page }
  | { readonly next: 'end' | 'stopped'; readonly page?: undefined };

/** May run `run` of the task's escalation take a step now (the state machine's Check state). */
export async function escalationCheck(
  deps: Deps<TaskRepository>,
  taskId: string,
  run: number,
): Promise<EscalationCheck> {
  return checkEscalation(await deps.store.get(taskId), run, deps.clock.now());
}

/** Whether the task's escalation can take a person's step now, or the refusal that says why not. */
function refuseManual(task: Task, now: Date): DomainError | undefined {
  const context = { taskId: task.id, status: task.status, action: 'escalate' };
  const escalation = task.escalation;
  if (task.status === 'resolved')
    return new DomainError(
      'TASK_ALREADY_RESOLVED',
      `${task.id} is resolved: there is nobody left to page`,
      context,
    );
  if (task.status !== 'open')
    return new DomainError(
      task.status === 'acknowledged' ? 'TASK_ALREADY_ACKNOWLEDGED' : 'TASK_ALREADY_IN_PROGRESS',
      sentence`${task.id} was acknowledged by ${person(task.acknowledgedBy)}, so its escalation has stopped; assign it to bring someone else in`,
      { ...context, by: task.acknowledgedBy },
    );
  if (!escalation)
    return new DomainError(
      'NO_CHANGE',
      `${task.id} has no escalation: its service has no escalation policy, or ${task.priority} is not a priority that escalates`,
      context,
    );
  if (escalation.state !== 'running')
    return new DomainError(
      'NO_CHANGE',
      escalation.state === 'ended'
        ? `${task.id} has been through every step of its escalation (${escalation.policy}) already`
        : `${task.id}'s escalation stopped after a step failed: ${escalation.error ?? 'unknown error'}`,
      context,
    );
  if (task.snoozedUntil && Date.parse(task.snoozedUntil) > now.getTime())
    return new DomainError('NO_CHANGE', `${task.id} is snoozed: end the snooze to escalate it`, context);
  return undefined;
}

/** Who is on call for the task's team now and next, when the target needs to know. */
async function onCallOf(
  deps: Deps<TaskRepository>,
  task: Task,
  target: string,
  now: Date,
): Promise<OnCallNow | undefined> {
  if (!['oncall', 'next', 'assignee'].includes(target) || !task.team) return undefined;
  const settings = own(deps.config.teams, task.team);
  const rotation = settings ? rotationOf(settings) : undefined;
  if (!rotation) return undefined;
  const on = await onCallFor(deps.oncall, task.team, rotation, now);
  return { now: on.now.user, next: on.next.user };
}

/**
 * Takes the next step of the task's escalation: records a wait, a notification (whom it reaches is worked out
 * now: whoever is on call at this moment), or the end of the policy, and says what the state machine does
 * next. `manual`: a person asked for the next notification now (waits passed over; refused with a reason when
 * there is nothing to escalate). A notification is recorded before it is sent and sent by the caller, which
 * reports back (`recordSent`); a call that finds one recorded but not reported sends it again instead of
 * going on, each notification at most once more (the sender's markers).
 */
export async function takeEscalationStep(
  deps: Deps<TaskRepository>,
  request: {
    readonly taskId: string;
    readonly run?: number;
    readonly manual?: { readonly user: string; readonly role: Role; readonly via: Via };
  },
): Promise<Result<StepOutcome, DomainError>> {
  const parsed = taskIdFrom(request.taskId);
  if (!parsed.ok) return parsed;
  const id = parsed.value;
  const { manual } = request;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const now = deps.clock.now();
    const task = await deps.store.get(id);
    if (!task) return fail(new DomainError('TASK_NOT_FOUND', `There is no task ${id}`, { taskId: id }));
    if (manual) {
      const allowed = authorize(manual.role, 'escalate', manual.user, task);
      if (!allowed.ok) return allowed;
      const refused = refuseManual(task, now);
      if (refused) return fail(refused);
    } else {
      const check = checkEscalation(task, request.run ?? 0, now);
      if (check.state !== 'go') return ok({ next: check.state === 'paused' ? 'check' : 'stopped' });
    }
    const escalation = task.escalation as Escalation;
    const plan = planEscalation(escalation, now, manual ? { manual: true } : {});
    if (plan.kind === 'resend') {
      if (manual)
        return fail(
          new DomainError(
            'NO_CHANGE',
            `A page of ${task.id}'s escalation is going out right now; try again in a moment`,
            {
              taskId: task.id,
              action: 'escalate',
            },
          ),
        );
      return ok({ next: 'check', page: { task, run: escalation.run, ...plan.pending } });
    }
    if (plan.kind === 'wait' && !plan.escalation)
      return ok({ next: 'wait', seconds: Math.ceil(plan.ms / 1000) });

    let next: Escalation;
    let change: EscalationChange | undefined;
    let targets: PageTarget[] = [];
    if (plan.kind === 'notify') {
      const reached = resolveTarget(
        plan.target,
        task,
        deps.config,
        await onCallOf(deps, task, plan.target, now),
      );
      targets = reached.targets;
      const pending = {
        step: plan.step,
        round: plan.escalation.round,
        targets,
        ...(manual ? { by: manual.user } : {}),
      };
      next = { ...plan.escalation, ...(targets.length > 0 ? { pending } : {}) };
      change = {
        type: 'escalated',
        policy: escalation.policy,
        step: plan.step,
        of: escalation.steps.length,
        round: plan.escalation.round,
        target: plan.target,
        to: targets,
        manual: manual !== undefined,
        ...(reached.note ? { note: reached.note } : {}),
      };
    } else if (plan.kind === 'end') {
      next = manual ? { ...plan.escalation, endedBy: manual.user } : plan.escalation;
      change = { type: 'escalation_ended', policy: escalation.policy, reason: 'exhausted' };
    } else next = plan.escalation as Escalation;

    const ctx: ChangeContext = manual
      ? { actor: { type: 'user', id: manual.user }, via: manual.via, now }
      : { ...SYSTEM, now };
    const applied = applyAction(
      task,
      { type: 'escalate', escalation: next, ...(change ? { change } : {}) },
      ctx,
    );
    if (!applied.ok) return applied;
    if ((await deps.store.save(applied.value.task, applied.value.entries, task.version)) === 'conflict') {
      await deps.sleep(backoff(attempt));
      continue;
    }
    if (plan.kind === 'wait') return ok({ next: 'wait', seconds: Math.ceil(plan.ms / 1000) });
    if (plan.kind === 'end') return ok({ next: 'end' });
    const page: Page | undefined =
      plan.kind === 'notify' && targets.length > 0
        ? {
            task: applied.value.task,
            run: escalation.run,
            step: plan.step,
            round: plan.escalation.round,
            targets,
            ...(manual ? { by: manual.user } : {}),
          }
        : undefined;
    return ok({ next: 'check', ...(page ? { page } : {}) });
  }
  throw new ContentionError(`${id} is changing too fast to escalate; try again`, { taskId: id });
}

/**
 * Applies a change to the escalation of run `run`, as long as it is still that run: what `change` returns
 * (undefined: nothing to do). A resolved task takes no more changes; that is no failure.
 */
async function updateEscalation(
  deps: Deps<TaskRepository>,
  taskId: string,
  run: number,
  change: (escalation: Escalation) => { escalation: Escalation; entry?: EscalationChange } | undefined,
): Promise<boolean> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const task = await deps.store.get(taskId);
    const escalation = task?.escalation;
    if (!task || !escalation || escalation.run !== run) return false;
    const next = change(escalation);
    if (!next) return false;
    const applied = applyAction(
      task,
      { type: 'escalate', escalation: next.escalation, ...(next.entry ? { change: next.entry } : {}) },
      { ...SYSTEM, now: deps.clock.now() },
    );
    if (!applied.ok) return false;
    if ((await deps.store.save(applied.value.task, applied.value.entries, task.version)) !== 'conflict')
      return true;
    await deps.sleep(backoff(attempt));
  }
  throw new ContentionError(`${taskId} is changing too fast to record its escalation; try again`, { taskId });
}

/** A step's notifications were sent: the step is no longer pending, and whom it reached is remembered. */
export function recordSent(
  deps: Deps<TaskRepository>,
  page: { readonly taskId: string; readonly run: number; readonly step: number; readonly round: number },
  reached: readonly string[],
): Promise<boolean> {
  return updateEscalation(deps, page.taskId, page.run, (escalation) => {
    if (escalation.pending?.step !== page.step || escalation.pending.round !== page.round) return undefined;
    const { pending: _sent, ...rest } = escalation;
    return { escalation: { ...rest, notified: withNotified(escalation.notified, reached) } };
  });
}

/** A step failed for good (the state machine's Catch): the task says so, and its escalation is over. */
export function failEscalation(
  deps: Deps<TaskRepository>,
  taskId: string,
  run: number,
  error: string,
): Promise<boolean> {
  const said = error.slice(0, 500);
  return updateEscalation(deps, taskId, run, (escalation) => {
    if (escalation.state !== 'running') return undefined;
    const { pending: _dropped, waitUntil: _wait, ...rest } = escalation;
    return {
      escalation: { ...rest, state: 'failed', error: said },
      entry: { type: 'escalation_ended', policy: escalation.policy, reason: 'failed', error: said },
    };
  });
}

/**
 * A person jumps the task's escalation to its next notification now (`/tms escalate`, the API's `escalate`):
 * the step is recorded with whom it reaches, and the escalations stream consumer sends it a moment later (the
 * API holds no Slack token, and one sender for a person's pages keeps each sent once). The running execution
 * goes on from the step after it.
 */
export async function escalateNow(
  deps: Deps,
  request: { readonly taskId: string; readonly user: string; readonly role: Role; readonly via: Via },
): Promise<Result<{ task: Task; reached: readonly PageTarget[] }, DomainError>> {
  const taken = await takeEscalationStep(deps, {
    taskId: request.taskId,
    manual: { user: request.user, role: request.role, via: request.via },
  });
  if (!taken.ok) return taken;
  const page = taken.value.page;
  const task = page?.task ?? (await deps.store.get(request.taskId));
  return ok({ task: task as Task, reached: page?.targets ?? [] });
}
