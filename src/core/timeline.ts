import * as z from 'zod';
import { PageTarget } from './escalation-policy.js';
import { Link, Priority, Status } from './task.js';

/** Who made a change: a person (Slack user id), an alert source, a schedule, or TMS itself. */
export const Actor = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('user'), id: z.string().min(1) }),
  z.strictObject({ type: z.literal('source'), id: z.string().min(1) }),
  z.strictObject({ type: z.literal('schedule'), id: z.string().min(1) }),
  z.strictObject({ type: z.literal('system'), id: z.string().min(1) }),
]);
export type Actor = z.infer<typeof Actor>;

/** From where the change came. */
export const Via = z.enum(['slack', 'ingest', 'schedule', 'api', 'system']);
export type Via = z.infer<typeof Via>;

const common = {
  taskId: z.string(),
  /** The task version this change produced; with `seq`, the entry's stable key. */
  version: z.number().int().positive(),
  seq: z.number().int().nonnegative(),
  at: z.iso.datetime(),
  actor: Actor,
  via: Via,
  /**
   * The alert of a delivery that made the change (`deliveryToken`), written with it: how a re-drive after a
   * crash tells an alert already counted from one that was not.
   */
  delivery: z.string().max(2048).optional(),
};

const entry = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.strictObject({ ...common, type: z.literal(type), ...shape });

/** One typed entry per change; the task's history is the list of these. */
export const TimelineEntry = z.discriminatedUnion('type', [
  entry('opened', {
    title: z.string(),
    priority: Priority,
    service: z.string(),
    assignee: z.string().nullable(),
    links: z.array(Link).optional(),
  }),
  entry('occurred', { occurrences: z.number().int().positive(), summary: z.string().optional() }),
  entry('acknowledged', {}),
  entry('assigned', { from: z.string().nullable(), to: z.string().nullable() }),
  entry('started', {}),
  entry('resolved', { resolution: z.string().nullable() }),
  entry('reopened', { from: Status, flap: z.boolean() }),
  entry('snoozed', { until: z.iso.datetime() }),
  entry('unsnoozed', {}),
  entry('priority_changed', { from: Priority, to: Priority }),
  entry('commented', { text: z.string().min(1).max(4000) }),
  /**
   * A notify step of the task's escalation (issue 19): its place in the policy (`step` of `of`, `round` times
   * over), what the step names, whom that reached then (none: `note` says why), and whether a person jumped
   * to it by hand.
   */
  entry('escalated', {
    policy: z.string(),
    step: z.number().int().positive(),
    of: z.number().int().positive(),
    round: z.number().int().nonnegative(),
    target: z.string(),
    to: z.array(PageTarget),
    manual: z.boolean(),
    note: z.string().max(300).optional(),
  }),
  /** The escalation stopped by itself: every step taken with nobody acknowledging, or a step that failed. */
  entry('escalation_ended', {
    policy: z.string(),
    reason: z.enum(['exhausted', 'failed']),
    error: z.string().max(500).optional(),
  }),
  /**
   * What a person changed of the task's own words (`edit`): each field only when it changed. A description is
   * kept in full on the task; here its before and after are cut to `EDIT_TEXT` characters, and labels are the
   * keys set (with their new values) and removed, at most `EDIT_LABELS` of each with how many more, so one
   * entry stays small whatever the task holds.
   */
  entry('edited', {
    title: z.strictObject({ from: z.string(), to: z.string() }).optional(),
    description: z.strictObject({ from: z.string(), to: z.string() }).optional(),
    labels: z
      .strictObject({
        set: z.record(z.string(), z.string()),
        removed: z.array(z.string()),
        /** Keys set or removed beyond those listed. */
        more: z.number().int().nonnegative(),
      })
      .optional(),
  }),
]);
/** How much of a description's before and after an `edited` entry keeps. */
export const EDIT_TEXT = 500;
/** How many label keys set, and how many removed, an `edited` entry lists. */
export const EDIT_LABELS = 12;
export type TimelineEntry = z.infer<typeof TimelineEntry>;
export type TimelineType = TimelineEntry['type'];

/** An entry before it is stamped with its task, version and position. */
export type TimelineChange = TimelineEntry extends infer E
  ? E extends TimelineEntry
    ? Omit<E, 'taskId' | 'version' | 'seq' | 'at' | 'actor' | 'via' | 'delivery'>
    : never
  : never;

export interface ChangeContext {
  readonly actor: Actor;
  readonly via: Via;
  readonly now: Date;
  /** The delivery token of the alert making the change, stamped on its entries. */
  readonly delivery?: string;
}

export function stamp(
  taskId: string,
  version: number,
  changes: readonly TimelineChange[],
  ctx: ChangeContext,
): TimelineEntry[] {
  return changes.map(
    (change, seq) =>
      ({
        ...change,
        taskId,
        version,
        seq,
        at: ctx.now.toISOString(),
        actor: ctx.actor,
        via: ctx.via,
        ...(ctx.delivery ? { delivery: ctx.delivery } : {}),
      }) as TimelineEntry,
  );
}
