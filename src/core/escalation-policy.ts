import * as z from 'zod';

/**
 * An escalation as a task carries it (issue 19): the policy snapshotted when the task opened, so a config edit
 * never moves a running escalation, and how far it has gone. Kept apart from ./escalation.ts, which reads the
 * config, so the config and the task can both import these without a cycle.
 */

/** The words a `notify` step may name besides a user (`U…`) or a user group (`S…`). */
export const ESCALATION_TARGETS = ['oncall', 'next', 'channel', 'team', 'assignee', 'sns'] as const;
/** A policy's name as a task keeps it, at most. */
export const MAX_POLICY_NAME = 64;
/** A notify step's target as a task keeps it (a word, a user id, a user-group id), at most. */
export const MAX_TARGET = 32;
/** Steps a policy may have: each one is a state transition or two on AWS, and a line on the task. */
export const MAX_ESCALATION_STEPS = 20;
/** Whom one run remembers as notified (people, channels, the topic): who is told when it is acknowledged. */
export const MAX_NOTIFIED = 50;
/** Members of a user group paged one by one, at most. */
export const MAX_GROUP_MEMBERS = 20;

const Timestamp = z.iso.datetime({ offset: false });
const Id = z.string().min(1).max(MAX_TARGET);

export const EscalationStepSnapshot = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('wait'), ms: z.number().int().positive() }),
  z.strictObject({ type: z.literal('notify'), target: Id }),
  z.strictObject({ type: z.literal('repeat'), times: z.number().int().min(1).max(10) }),
]);
export type EscalationStepSnapshot = z.infer<typeof EscalationStepSnapshot>;

/** What a notify step reaches, resolved when it is taken: a person (and why them), a group, a channel, the topic. */
export const PageTarget = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('user'),
    id: Id,
    as: z.enum(['oncall', 'next', 'assignee', 'named']),
  }),
  z.strictObject({ kind: z.literal('group'), id: Id }),
  z.strictObject({ kind: z.literal('channel'), id: Id }),
  z.strictObject({ kind: z.literal('sns') }),
]);
export type PageTarget = z.infer<typeof PageTarget>;

export const ESCALATION_STATES = ['running', 'ended', 'failed'] as const;

export const Escalation = z.strictObject({
  /** The policy's name in the config, and its steps as they were when the task opened. */
  policy: z.string().min(1).max(MAX_POLICY_NAME),
  steps: z.array(EscalationStepSnapshot).min(1).max(MAX_ESCALATION_STEPS),
  /** Which run this is: its execution is named `<task id>-<run>`; a reopened task escalates again as the next. */
  run: z.number().int().positive(),
  /** The index of the next step, and how often the policy went back to its start (`repeat`). */
  at: z.number().int().nonnegative(),
  round: z.number().int().nonnegative(),
  /**
   * `running` while it may still notify someone (an acknowledgement ends it through the task's status, not
   * here); `ended`: every step was taken and nobody acknowledged; `failed`: a step failed for good (`error`).
   */
  state: z.enum(ESCALATION_STATES),
  /** Notify steps taken in this run. */
  taken: z.number().int().nonnegative(),
  /** Who was notified in this run (user ids, `channel:<id>`, `sns`): told once when it ends. */
  notified: z.array(z.string().min(1).max(40)).max(MAX_NOTIFIED),
  startedAt: Timestamp,
  /** The current wait step ends then: a step asked again before it (a retried call) waits out the rest. */
  waitUntil: Timestamp.optional(),
  /**
   * A notify step recorded whose notifications are not all known to be sent (the process may have died after
   * recording it): the next call sends what is left of it, each notification once, before going on.
   */
  pending: z
    .strictObject({
      step: z.number().int().positive(),
      round: z.number().int().nonnegative(),
      targets: z.array(PageTarget).max(20),
      /**
       * The person who asked for it now (`/tms escalate`, the API): such a page is sent by the escalations
       * stream consumer, which the bot and the API hand it to; the state machine's own steps it sends itself.
       */
      by: z.string().min(1).max(64).optional(),
    })
    .optional(),
  error: z.string().max(500).optional(),
  /** Who took its last step by hand, ending it (`/tms escalate` past the last step): its execution is stopped. */
  endedBy: z.string().min(1).max(64).optional(),
});
export type Escalation = z.infer<typeof Escalation>;

/** What starts an execution of the escalation state machine. */
export interface EscalationInput {
  readonly taskId: string;
  readonly run: number;
}

/** An execution's name: the task and its run, so a second start of the same run is the same execution. */
export const executionName = (taskId: string, run: number): string => `${taskId}-${run}`;
