import * as z from 'zod';
import { Escalation } from './escalation-policy.js';
import { TaskGroup } from './group.js';

export const PRIORITIES = ['P1', 'P2', 'P3', 'P4'] as const;
export const Priority = z.enum(PRIORITIES);
export type Priority = z.infer<typeof Priority>;

export const STATUSES = ['open', 'acknowledged', 'in_progress', 'resolved'] as const;
export const Status = z.enum(STATUSES);
export type Status = z.infer<typeof Status>;
export const UNRESOLVED: readonly Status[] = ['open', 'acknowledged', 'in_progress'];

/** The alert sources TMS ingests. */
export const AlertSource = z.enum([
  'github',
  'jenkins',
  'cloudwatch',
  'kubernetes',
  'alertmanager',
  'logs',
  'generic',
  /** TMS itself, telling operators about its own trouble (deliveries it could not process). */
  'tms',
]);
export type AlertSource = z.infer<typeof AlertSource>;

/** Where a task came from: an alert source, a person in Slack or the API, or a schedule. */
/** The most links a task keeps (the card shows them all). */
export const MAX_LINKS = 20;

export const TaskSource = z.enum([...AlertSource.options, 'slack', 'api', 'schedule']);
export type TaskSource = z.infer<typeof TaskSource>;

/** `alert`: opened by a source and deduplicated by fingerprint; `manual`: typed by a person; `chore`: a recurring schedule. */
export const TaskKind = z.enum(['alert', 'manual', 'chore']);
export type TaskKind = z.infer<typeof TaskKind>;

const Timestamp = z.iso.datetime({ offset: false });
/** A Slack user id (`U…`, or `W…` on Enterprise Grid): who may hold a task, and whom TMS may name or mention. */
export const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;
export const isSlackUserId = (id: string | null | undefined): id is string => !!id && SLACK_USER_ID.test(id);
const SlackUserId = z.string().regex(SLACK_USER_ID, 'a Slack user id such as U01234ABC');

export const Link = z.strictObject({ label: z.string().min(1).max(80), url: z.url() });
export type Link = z.infer<typeof Link>;

/** The SLA windows in force when the task opened, for every priority, so a later priority change uses them too. */
export const SlaSnapshot = z.strictObject({
  windows: z.record(
    Priority,
    z.strictObject({ ack: z.number().int().positive(), resolve: z.number().int().positive() }),
  ),
  atRisk: z.number().gt(0).lt(1),
});
export type SlaSnapshot = z.infer<typeof SlaSnapshot>;

export const TASK_ID = /^(?:TMS-)?([1-9]\d{0,9})$/i;

export const Task = z.strictObject({
  id: z.string().regex(/^TMS-[1-9]\d*$/),
  title: z.string().min(1).max(300),
  description: z.string().max(4000),
  status: Status,
  priority: Priority,
  service: z.string().min(1),
  team: z.string().nullable(),
  source: TaskSource,
  kind: TaskKind,
  assignee: SlackUserId.nullable(),
  /**
   * Why the task opened assigned (issue 19): `user` was on call for the team `oncall` then. The card says so
   * while the task is still theirs (`assignee === user`), so a later reassignment need not clear it.
   */
  assignedBy: z.strictObject({ oncall: z.string().min(1), user: SlackUserId }).optional(),
  channel: z.string().min(1),
  /** The dedup key of an alert task; null for tasks people typed in. */
  fingerprint: z.string().min(1).nullable(),
  occurrences: z.number().int().positive(),
  /**
   * The source's id of the latest occurrence (a CI run and attempt, a firing episode): deliveries that carry
   * the same one are the same occurrence, counted once. Absent for tasks people opened.
   */
  occurrenceKey: z.string().min(1).max(256).optional(),
  /**
   * What makes it "the same issue" as earlier tasks for learning (src/core/similar.ts): its service, its
   * normalized title and its source's class. Coarser than the fingerprint; absent on tasks written before it.
   */
  issueKey: z.string().min(1).max(64).optional(),
  /** How often this task reopened because its alert fired again soon after it was resolved. */
  flapCount: z.number().int().nonnegative(),
  firstSeenAt: Timestamp,
  lastSeenAt: Timestamp,
  /**
   * What the sender's clock said of the latest occurrence, kept when it is more than the skew away from the
   * time TMS counted it at (src/core/plausible-time.ts): the card shows it. Absent when they agree.
   */
  reportedAt: Timestamp.optional(),
  snoozedUntil: Timestamp.nullable(),
  ackDueAt: Timestamp,
  resolveDueAt: Timestamp,
  createdAt: Timestamp,
  createdBy: z.string().min(1),
  updatedAt: Timestamp,
  acknowledgedAt: Timestamp.nullable(),
  acknowledgedBy: z.string().nullable(),
  resolvedAt: Timestamp.nullable(),
  resolvedBy: z.string().nullable(),
  resolution: z.string().max(4000).nullable(),
  labels: z.record(z.string(), z.string()),
  links: z.array(Link).max(MAX_LINKS),
  sla: SlaSnapshot,
  /**
   * Its service's escalation policy as it was when the task opened, and how far it has gone (issue 19); absent
   * when nothing escalates it (no policy, or a priority the config does not escalate).
   */
  escalation: Escalation.optional(),
  /** Alertmanager group state, for a task that stands for a whole group (`grouping: group`). */
  group: TaskGroup.optional(),
  version: z.number().int().positive(),
  /**
   * Alertmanager, `grouping: alert`: when a notification of the alert's group stopped listing it (silenced,
   * inhibited, or ended without a resolve); absent while it is reported.
   */
  unreportedSince: Timestamp.optional(),
});
export type Task = z.infer<typeof Task>;

/** `TMS-42`, `tms-42` or `42` to the canonical `TMS-42`; undefined for anything else. */
export function parseTaskId(text: string): string | undefined {
  const match = TASK_ID.exec(text.trim());
  return match ? `TMS-${Number(match[1])}` : undefined;
}

export const taskNumber = (id: string): number => Number(id.slice('TMS-'.length));
export const formatTaskId = (n: number): string => `TMS-${n}`;
export const isResolved = (task: Pick<Task, 'status'>): boolean => task.status === 'resolved';
