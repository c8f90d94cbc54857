import { clockStart } from '../sla.js';
import { isSlackUserId, type Task } from '../task.js';

/** A change of one task item as the table's stream shows it: the image before (absent on insert) and after. */
export interface TaskChange {
  readonly before?: Task;
  readonly after: Task;
}

/** What a change of a task means for the reports, in the terms they count. */
export type Fact =
  /** The alert fired `count` more times (a task's first occurrence included). */
  | { readonly type: 'occurred'; readonly at: string; readonly count: number }
  | { readonly type: 'opened'; readonly at: string; readonly flaky: boolean }
  /**
   * It was acknowledged `tookMs` after its clock started; `met` when within the deadline. `byPerson`: by
   * someone in Slack, not by its source (a PagerDuty-style acknowledge): only people count in MTTA.
   */
  | {
      readonly type: 'acknowledged';
      readonly at: string;
      readonly tookMs: number;
      readonly met: boolean;
      readonly byPerson: boolean;
    }
  | {
      readonly type: 'resolved';
      readonly at: string;
      readonly tookMs: number;
      readonly met: boolean;
      /** The ack stage ended with this resolve (nobody acknowledged first): whether that was in time. */
      readonly ackMet: boolean | null;
      readonly by: string | null;
      readonly note: string | null;
      /** Resolved by its source recovering, not by a person. */
      readonly automatic: boolean;
    }
  | { readonly type: 'reopened'; readonly at: string; readonly flap: boolean };

/** The facts of one change, with what they are about: the task as it is after the change. */
export interface TaskFacts {
  readonly task: Task;
  readonly facts: readonly Fact[];
}

/**
 * The facts a change carries, read from the two images alone, so that a record delivered twice yields the
 * same facts and nothing outside the record is needed. A write that changed nothing the reports count
 * (an assignment, a comment, a snooze) has none.
 */
export function factsOf(change: TaskChange): TaskFacts {
  const { before, after } = change;
  const facts: Fact[] = [];
  if (!before) {
    facts.push({ type: 'opened', at: after.createdAt, flaky: Boolean(after.labels.flaky) });
    // A task a person typed in (or a schedule opened) is work, not an alert event: trends and the events
    // of `/tms stats` count only what senders sent. It still counts as opened, acknowledged and resolved.
    if (after.kind === 'alert')
      facts.push({ type: 'occurred', at: after.lastSeenAt, count: after.occurrences });
  } else {
    const more = after.occurrences - before.occurrences;
    if (more > 0) facts.push({ type: 'occurred', at: after.lastSeenAt, count: more });
    if (before.status === 'resolved' && after.status !== 'resolved') {
      facts.push({
        type: 'reopened',
        at: after.updatedAt,
        flap: after.flapCount > before.flapCount,
      });
    }
  }
  // A reopen clears acknowledgedAt, so a new time is a new acknowledgement.
  if (after.acknowledgedAt && after.acknowledgedAt !== before?.acknowledgedAt) {
    const took = Date.parse(after.acknowledgedAt) - clockStart(after, 'ack');
    facts.push({
      type: 'acknowledged',
      at: after.acknowledgedAt,
      tookMs: Math.max(0, took),
      met: Date.parse(after.acknowledgedAt) <= Date.parse(after.ackDueAt),
      byPerson: isSlackUserId(after.acknowledgedBy),
    });
  }
  if (after.status === 'resolved' && after.resolvedAt && before?.status !== 'resolved') {
    const resolvedAt = Date.parse(after.resolvedAt);
    facts.push({
      type: 'resolved',
      at: after.resolvedAt,
      tookMs: Math.max(0, resolvedAt - clockStart(after, 'resolve')),
      met: resolvedAt <= Date.parse(after.resolveDueAt),
      ackMet: after.acknowledgedAt ? null : resolvedAt <= Date.parse(after.ackDueAt),
      by: after.resolvedBy,
      note: after.resolution?.trim() || null,
      automatic: !isSlackUserId(after.resolvedBy),
    });
  }
  return { task: after, facts };
}
