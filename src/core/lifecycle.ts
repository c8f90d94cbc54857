import { boundLabels, cut, LIMITS, own, record } from './bounds.js';
import { DomainError, type ErrorCode, person, sentence } from './errors.js';
import { restartEscalation } from './escalation.js';
import type { Escalation } from './escalation-policy.js';
import { fail, ok, type Result } from './result.js';
import { clockStart, deadlines } from './sla.js';
import { isSlackUserId, type Priority, type Status, type Task } from './task.js';
import { ago, formatDuration, parseDuration } from './time.js';
import {
  type ChangeContext,
  EDIT_LABELS,
  EDIT_TEXT,
  stamp,
  type TimelineChange,
  type TimelineEntry,
} from './timeline.js';

/** What can be done to a task, by a person or by its alert source. */
export type LifecycleAction =
  /** `at`: when its source says it was acknowledged (see `sourceTime`). */
  | { readonly type: 'acknowledge'; readonly at?: string }
  /** Assign to the actor and acknowledge, in one step. */
  | { readonly type: 'claim' }
  | { readonly type: 'start' }
  /** `at`: when its source says it recovered (Alertmanager's `endsAt`; see `sourceTime`). */
  | { readonly type: 'resolve'; readonly resolution: string | null; readonly at?: string }
  /**
   * `flap`: the alert fired again soon after the task was resolved; `at`, when it fired (see `sourceTime`),
   * and `reportedAt`, what the sender's clock said when that differs (kept on the task for its card).
   */
  | {
      readonly type: 'reopen';
      readonly flap?: boolean;
      readonly occurrenceKey?: string;
      readonly at?: string;
      readonly reportedAt?: string;
    }
  | { readonly type: 'assign'; readonly assignee: string | null }
  | { readonly type: 'snooze'; readonly until: string }
  | { readonly type: 'unsnooze' }
  | { readonly type: 'set_priority'; readonly priority: Priority }
  | { readonly type: 'comment'; readonly text: string }
  /**
   * A person rewrites what the task says: its title, description or labels (each only when given; labels are
   * replaced whole, as the caller has already bounded them). Not the fields the clocks or the holder hang on.
   */
  | {
      readonly type: 'edit';
      readonly title?: string;
      readonly description?: string;
      readonly labels?: Readonly<Record<string, string>>;
    }
  /** The alert behind the task fired again while it is open. */
  | { readonly type: 'occur'; readonly at: string; readonly summary?: string }
  /**
   * The task's escalation moved on (issue 19): its new state, as ./escalation.ts worked it out, and the entry
   * that says so when the step is one people are told of (a notification, its end).
   */
  | { readonly type: 'escalate'; readonly escalation: Escalation; readonly change?: EscalationChange };
export type LifecycleActionType = LifecycleAction['type'];

const STAY = 'stay' as const;
type Refusal = { readonly refuse: ErrorCode };
type Outcome = Status | typeof STAY | Refusal;
const refuse = (code: ErrorCode): Refusal => ({ refuse: code });

const resolvedRefusal = refuse('TASK_ALREADY_RESOLVED');
const onUnresolved = (outcome: Outcome): Record<Status, Outcome> => ({
  open: outcome,
  acknowledged: outcome,
  in_progress: outcome,
  resolved: resolvedRefusal,
});

/**
 * The lifecycle, the single source of truth: for each action and current status, the next status
 * (`stay`: the status does not change) or the refusal. Guards that need more than the status (a claim
 * on someone else's task, a change to the same value) are in `guard` below.
 */
export const TRANSITIONS: Readonly<Record<LifecycleActionType, Readonly<Record<Status, Outcome>>>> = {
  acknowledge: {
    open: 'acknowledged',
    acknowledged: refuse('TASK_ALREADY_ACKNOWLEDGED'),
    in_progress: refuse('TASK_ALREADY_IN_PROGRESS'),
    resolved: resolvedRefusal,
  },
  claim: { open: 'acknowledged', acknowledged: STAY, in_progress: STAY, resolved: resolvedRefusal },
  start: {
    open: 'in_progress',
    acknowledged: 'in_progress',
    in_progress: refuse('TASK_ALREADY_IN_PROGRESS'),
    resolved: resolvedRefusal,
  },
  resolve: onUnresolved('resolved'),
  reopen: {
    open: refuse('TASK_NOT_RESOLVED'),
    acknowledged: refuse('TASK_NOT_RESOLVED'),
    in_progress: refuse('TASK_NOT_RESOLVED'),
    resolved: 'open',
  },
  assign: onUnresolved(STAY),
  snooze: onUnresolved(STAY),
  unsnooze: onUnresolved(STAY),
  set_priority: onUnresolved(STAY),
  comment: { open: STAY, acknowledged: STAY, in_progress: STAY, resolved: STAY },
  // A resolved task's words can still be put right (a title for its postmortem, a clearer description): they
  // move no clock and no holder, and the edit is on the timeline like a comment.
  edit: { open: STAY, acknowledged: STAY, in_progress: STAY, resolved: STAY },
  occur: onUnresolved(STAY),
  // Only an open task is escalated further (./escalation.ts checks); an acknowledged one may still have its
  // last notifications recorded as sent, so the people they reached are told it was acknowledged.
  escalate: onUnresolved(STAY),
};

function refusal(code: ErrorCode, task: Task, action: LifecycleAction, now: Date): DomainError {
  const context = { taskId: task.id, status: task.status, action: action.type };
  switch (code) {
    case 'TASK_ALREADY_RESOLVED':
      return new DomainError(
        code,
        sentence`${task.id} was already resolved by ${person(task.resolvedBy)}${task.resolvedAt ? ` ${ago(task.resolvedAt, now)}` : ''}`,
        { ...context, by: task.resolvedBy, at: task.resolvedAt },
      );
    case 'TASK_ALREADY_ACKNOWLEDGED':
      return new DomainError(
        code,
        sentence`${task.id} was already acknowledged by ${person(task.acknowledgedBy)}${task.acknowledgedAt ? ` ${ago(task.acknowledgedAt, now)}` : ''}`,
        { ...context, by: task.acknowledgedBy, at: task.acknowledgedAt },
      );
    case 'TASK_ALREADY_IN_PROGRESS':
      return new DomainError(
        code,
        task.assignee
          ? sentence`${task.id} is already in progress with ${person(task.assignee)}`
          : `${task.id} is already in progress`,
        { ...context, holder: task.assignee },
      );
    case 'TASK_NOT_RESOLVED':
      return new DomainError(
        code,
        `${task.id} is not resolved (it is ${task.status.replace('_', ' ')}), so it cannot be reopened`,
        context,
      );
    default:
      return new DomainError(code, `${task.id} cannot be changed that way now`, context);
  }
}

/** Refusals that need more than the status. */
function guard(task: Task, action: LifecycleAction, ctx: ChangeContext): DomainError | undefined {
  const context = { taskId: task.id, status: task.status, action: action.type, user: ctx.actor.id };
  switch (action.type) {
    case 'claim': {
      // A claim makes the actor the task's holder, whom Slack mentions and pages: it takes a person with a Slack
      // identity. The API token acts as TMS itself, and a Cognito user without custom:slack_user_id as nobody
      // Slack knows; either may still assign the task to someone.
      if (!isSlackUserId(ctx.actor.id))
        return new DomainError(
          'NOT_ALLOWED',
          `Only someone with a Slack identity can claim ${task.id} (${ctx.actor.id} has none): assign it to a person instead`,
          context,
        );
      if (task.assignee && task.assignee !== ctx.actor.id) {
        return new DomainError(
          'TASK_ALREADY_CLAIMED',
          sentence`${task.id} is already claimed by ${person(task.assignee)}`,
          { ...context, holder: task.assignee },
        );
      }
      if (task.assignee === ctx.actor.id && task.status !== 'open') {
        return new DomainError('NO_CHANGE', `You already have ${task.id}`, {
          ...context,
          holder: task.assignee,
        });
      }
      return undefined;
    }
    case 'assign':
      return task.assignee === action.assignee
        ? new DomainError(
            'NO_CHANGE',
            action.assignee
              ? sentence`${task.id} is already assigned to ${person(action.assignee)}`
              : `${task.id} is not assigned`,
            { ...context, holder: task.assignee },
          )
        : undefined;
    case 'set_priority':
      return task.priority === action.priority
        ? new DomainError('NO_CHANGE', `${task.id} is already ${task.priority}`, context)
        : undefined;
    case 'snooze':
      return Date.parse(action.until) <= ctx.now.getTime()
        ? new DomainError('INVALID_INPUT', 'A snooze must end in the future', context)
        : undefined;
    case 'unsnooze':
      return task.snoozedUntil && Date.parse(task.snoozedUntil) > ctx.now.getTime()
        ? undefined
        : new DomainError('NO_CHANGE', `${task.id} is not snoozed`, context);
    case 'comment':
      return action.text.trim() === ''
        ? new DomainError('INVALID_INPUT', 'A comment needs some text', context)
        : undefined;
    case 'edit': {
      const title = action.title?.trim();
      if (title === '') return new DomainError('INVALID_INPUT', 'title: a task needs a title', context);
      if (title !== undefined && title.length > LIMITS.titleLength)
        return new DomainError('INVALID_INPUT', `title: at most ${LIMITS.titleLength} characters`, context);
      if (action.description !== undefined && action.description.trim().length > LIMITS.descriptionLength)
        return new DomainError(
          'INVALID_INPUT',
          `description: at most ${LIMITS.descriptionLength} characters`,
          context,
        );
      const labels = action.labels ? boundLabels(action.labels) : undefined;
      if (labels && labels.dropped > 0)
        return new DomainError(
          'INVALID_INPUT',
          `labels: at most ${LIMITS.labelBytes / 1024} KB of labels in all (${labels.droppedKeys.slice(0, 5).join(', ')} did not fit)`,
          context,
        );
      return editOf(task, action)
        ? undefined
        : new DomainError('NO_CHANGE', `${task.id} already says that`, context);
    }
    default:
      return undefined;
  }
}

/**
 * When a change by a source happened: the time it gives (already the plausible one, src/core/plausible-time.ts),
 * kept within [`notBefore`, now], so no resolve comes before its acknowledgement or its task's opening. A
 * person's change, or one without a time, happens now: nobody back-dates their own resolve.
 */
function sourceTime(at: string | undefined, ctx: ChangeContext, notBefore: number): string {
  const now = ctx.now.getTime();
  if (at === undefined || ctx.actor.type === 'user') return ctx.now.toISOString();
  const given = Date.parse(at);
  if (Number.isNaN(given)) return ctx.now.toISOString();
  return new Date(Math.min(now, Math.max(notBefore, given))).toISOString();
}

const timeOf = (at: string | null | undefined): number => (at ? Date.parse(at) : Number.NEGATIVE_INFINITY);

export interface Transition {
  readonly task: Task;
  readonly entries: readonly TimelineEntry[];
}

/**
 * Applies an action to a task at `ctx.now`. Pure: returns the next version of the task and the
 * timeline entries of the change, or the refusal (the task is then unchanged).
 */
export function applyAction(
  task: Task,
  action: LifecycleAction,
  ctx: ChangeContext,
): Result<Transition, DomainError> {
  const outcome = TRANSITIONS[action.type][task.status];
  if (typeof outcome === 'object') return fail(refusal(outcome.refuse, task, action, ctx.now));
  const refused = guard(task, action, ctx);
  if (refused) return fail(refused);

  const now = ctx.now.toISOString();
  const actorId = ctx.actor.id;
  const next: Task = { ...task, status: outcome === STAY ? task.status : outcome };
  const changes: TimelineChange[] = [];

  switch (action.type) {
    case 'acknowledge':
      next.acknowledgedAt = sourceTime(action.at, ctx, clockStart(task, 'ack'));
      next.acknowledgedBy = actorId;
      changes.push({ type: 'acknowledged' });
      break;
    case 'claim':
      if (task.assignee !== actorId) {
        next.assignee = actorId;
        changes.push({ type: 'assigned', from: task.assignee, to: actorId });
      }
      if (task.status === 'open') {
        next.acknowledgedAt = now;
        next.acknowledgedBy = actorId;
        changes.push({ type: 'acknowledged' });
      }
      break;
    case 'start':
      next.acknowledgedAt = task.acknowledgedAt ?? now;
      next.acknowledgedBy = task.acknowledgedBy ?? actorId;
      changes.push({ type: 'started' });
      break;
    case 'resolve':
      next.resolvedAt = sourceTime(
        action.at,
        ctx,
        Math.max(clockStart(task, 'resolve'), timeOf(task.acknowledgedAt)),
      );
      next.resolvedBy = actorId;
      next.resolution = action.resolution?.trim() || null;
      next.snoozedUntil = null;
      changes.push({ type: 'resolved', resolution: next.resolution });
      break;
    case 'reopen': {
      // The clocks start again when it fired again, which is after it was resolved.
      const firedAt = sourceTime(action.at, ctx, timeOf(task.resolvedAt));
      Object.assign(next, deadlines(task.sla, task.priority, firedAt));
      next.acknowledgedAt = null;
      next.acknowledgedBy = null;
      next.resolvedAt = null;
      next.resolvedBy = null;
      next.resolution = null;
      if (action.flap) {
        next.flapCount = task.flapCount + 1;
        next.occurrences = task.occurrences + 1;
        next.lastSeenAt = Date.parse(firedAt) > Date.parse(task.lastSeenAt) ? firedAt : task.lastSeenAt;
        if (action.occurrenceKey) next.occurrenceKey = action.occurrenceKey;
        if (action.reportedAt) next.reportedAt = action.reportedAt;
        else delete next.reportedAt;
      }
      // Open again, it escalates again: the same policy from its start, as the next run.
      if (task.escalation) next.escalation = restartEscalation(task.escalation, ctx.now);
      changes.push({ type: 'reopened', from: task.status, flap: action.flap ?? false });
      break;
    }
    case 'assign':
      next.assignee = action.assignee;
      changes.push({ type: 'assigned', from: task.assignee, to: action.assignee });
      break;
    case 'snooze':
      next.snoozedUntil = action.until;
      changes.push({ type: 'snoozed', until: action.until });
      break;
    case 'unsnooze':
      next.snoozedUntil = null;
      changes.push({ type: 'unsnoozed' });
      break;
    case 'set_priority': {
      // The clocks keep their start; only the window length changes, under the task's own SLA snapshot.
      const windows = task.sla.windows;
      const ackStart = new Date(Date.parse(task.ackDueAt) - windows[task.priority].ack).toISOString();
      const resolveStart = new Date(
        Date.parse(task.resolveDueAt) - windows[task.priority].resolve,
      ).toISOString();
      next.priority = action.priority;
      next.ackDueAt = deadlines(task.sla, action.priority, ackStart).ackDueAt;
      next.resolveDueAt = deadlines(task.sla, action.priority, resolveStart).resolveDueAt;
      changes.push({ type: 'priority_changed', from: task.priority, to: action.priority });
      break;
    }
    case 'comment':
      changes.push({ type: 'commented', text: action.text.trim() });
      break;
    case 'edit': {
      const edit = editOf(task, action) as Edited;
      if (edit.title) next.title = edit.title.to;
      if (edit.description) next.description = action.description?.trim() ?? '';
      if (action.labels !== undefined) next.labels = record(Object.entries(action.labels));
      changes.push(edit);
      break;
    }
    case 'escalate':
      next.escalation = action.escalation;
      if (action.change) changes.push(action.change);
      break;
    case 'occur':
      next.occurrences = task.occurrences + 1;
      next.lastSeenAt =
        Date.parse(action.at) > Date.parse(task.lastSeenAt)
          ? new Date(action.at).toISOString()
          : task.lastSeenAt;
      changes.push({
        type: 'occurred',
        occurrences: next.occurrences,
        ...(action.summary ? { summary: action.summary } : {}),
      });
      break;
  }

  next.version = task.version + 1;
  next.updatedAt = now;
  return ok({ task: next, entries: stamp(task.id, next.version, changes, ctx) });
}

/**
 * The `edited` entry of an edit: the fields it changes, before and after (bounded, see timeline.ts), or
 * undefined when it changes nothing (the same title, description and labels as the task has).
 */
function editOf(task: Task, action: Extract<LifecycleAction, { type: 'edit' }>): Edited | undefined {
  const title = action.title?.trim();
  const titled = title !== undefined && title !== task.title;
  const description = action.description?.trim();
  const described = description !== undefined && description !== task.description;
  const set: [string, string][] = [];
  const removed: string[] = [];
  if (action.labels !== undefined) {
    for (const [key, value] of Object.entries(action.labels))
      if (own(task.labels, key) !== value) set.push([key, value]);
    for (const key of Object.keys(task.labels)) if (!Object.hasOwn(action.labels, key)) removed.push(key);
  }
  const relabelled = set.length + removed.length > 0;
  if (!titled && !described && !relabelled) return undefined;
  return {
    type: 'edited',
    ...(titled ? { title: { from: task.title, to: title } } : {}),
    ...(described
      ? { description: { from: cut(task.description, EDIT_TEXT), to: cut(description ?? '', EDIT_TEXT) } }
      : {}),
    ...(relabelled
      ? {
          labels: {
            set: record(set.slice(0, EDIT_LABELS)),
            removed: removed.slice(0, EDIT_LABELS),
            more: Math.max(0, set.length - EDIT_LABELS) + Math.max(0, removed.length - EDIT_LABELS),
          },
        }
      : {}),
  };
}

type Edited = Extract<TimelineChange, { type: 'edited' }>;
export type EscalationChange = Extract<TimelineChange, { type: 'escalated' | 'escalation_ended' }>;

/** A snooze length from a person: `30m`, `2h`, `1d`; refused when it is not a duration or longer than a week. */
export function snoozeUntil(text: string, now: Date): Result<string, DomainError> {
  const ms = parseDuration(text);
  const week = 7 * 86_400_000;
  if (ms === undefined || ms > week) {
    return fail(
      new DomainError(
        'INVALID_INPUT',
        `"${text}" is not a snooze length: use 30m, 2h or 1d (at most ${formatDuration(week)})`,
        { input: text },
      ),
    );
  }
  return ok(new Date(now.getTime() + ms).toISOString());
}
