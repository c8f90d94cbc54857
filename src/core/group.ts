import * as z from 'zod';
import { boundLabels, cut, LIMITS } from './bounds.js';

/**
 * What a task keeps of an Alertmanager group (one task per `groupKey` in `grouping: group` mode): its counts,
 * the first few alerts and the labels they all share. Bounded whatever the group's size (Alertmanager sends
 * up to 20,000 alerts in one notification), so the task item stays small: at most GROUP_MEMBERS alerts with
 * GROUP_MEMBER_LABELS labels each, and the common labels within the alert label bounds.
 */
export const GROUP_MEMBERS = 10;
export const GROUP_MEMBER_LABELS = 8;

const Timestamp = z.iso.datetime({ offset: false });
const Labels = z.record(z.string(), z.string());

export const GroupMember = z.strictObject({
  /** Its `alertname`. */
  name: z.string().min(1).max(LIMITS.labelValueLength),
  status: z.enum(['firing', 'resolved']),
  /** The labels that tell it from the rest of the group (those not common to all), the first few by name. */
  labels: Labels,
  startsAt: Timestamp.optional(),
});
export type GroupMember = z.infer<typeof GroupMember>;

export const AlertGroup = z.strictObject({
  /** Alertmanager's `groupKey` as sent (cut for display; the fingerprint is made from the whole). */
  key: z.string().min(1).max(LIMITS.labelValueLength),
  firing: z.number().int().nonnegative(),
  resolved: z.number().int().nonnegative(),
  /** Alerts Alertmanager left out of the notification (`truncatedAlerts`, its `max_alerts`). */
  truncated: z.number().int().nonnegative().optional(),
  /** The first GROUP_MEMBERS alerts, firing ones first. */
  alerts: z.array(GroupMember).max(GROUP_MEMBERS),
  commonLabels: Labels,
  /** The latest `startsAt` of its firing alerts: a notification with a later one has a newly firing alert. */
  newestStartsAt: Timestamp.optional(),
});
export type AlertGroup = z.infer<typeof AlertGroup>;

/** The group as its latest notification described it, and when TMS received that notification. */
export const TaskGroup = AlertGroup.extend({ notifiedAt: Timestamp });
export type TaskGroup = z.infer<typeof TaskGroup>;

/** A member's labels cut to what the card shows and the item holds. */
export function memberLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.keys(labels)
      .sort()
      .slice(0, GROUP_MEMBER_LABELS)
      .map((key) => [cut(key, LIMITS.labelKeyLength), cut(labels[key] ?? '', LIMITS.labelValueLength)]),
  );
}

/** The group within its bounds, as a sender's normalizer hands it over. */
export function boundGroup(group: AlertGroup): AlertGroup {
  return {
    ...group,
    key: cut(group.key, LIMITS.labelValueLength),
    alerts: group.alerts.slice(0, GROUP_MEMBERS).map((m) => ({
      ...m,
      name: cut(m.name, LIMITS.labelValueLength),
      labels: memberLabels(m.labels),
    })),
    commonLabels: { ...boundLabels(group.commonLabels).labels },
  };
}

export const taskGroupOf = (group: AlertGroup, notifiedAt: string): TaskGroup => ({ ...group, notifiedAt });

/** Whether two summaries say the same about the group (its times aside): a copy that needs no write. */
export function sameGroup(a: AlertGroup, b: AlertGroup): boolean {
  const said = (g: AlertGroup) =>
    JSON.stringify([g.key, g.firing, g.resolved, g.truncated ?? 0, g.alerts, g.commonLabels]);
  return said(a) === said(b);
}

/**
 * Whether a notification of the group, whose firing set differs from the one the task counted last, is a new
 * occurrence: an alert started firing (more firing than before, or one that started later than any seen).
 * Alerts that only resolved, or fell out of the notification (silenced, inhibited), change the group's
 * summary but are no new occurrence, so trends do not climb while an outage recovers.
 */
export function newlyFiring(before: AlertGroup | undefined, now: AlertGroup): boolean {
  if (!before) return true;
  if (now.firing > before.firing) return true;
  return (
    now.newestStartsAt !== undefined &&
    (before.newestStartsAt === undefined || now.newestStartsAt > before.newestStartsAt)
  );
}
