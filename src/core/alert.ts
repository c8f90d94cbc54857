import * as z from 'zod';
import {
  boundFingerprint,
  boundLabels,
  boundLinks,
  boundName,
  cut,
  globMatch,
  LIMITS,
  own,
} from './bounds.js';
import type { Config } from './config.js';
import { AlertGroup, boundGroup } from './group.js';
import { AlertSource, Priority, type Task } from './task.js';

export { globMatch } from './bounds.js';
export { AlertSource } from './task.js';

const AlertFields = z.strictObject({
  source: AlertSource,
  action: z.enum(['trigger', 'acknowledge', 'resolve', 'note']),
  /** Stable per cause: the same failure or alarm always has the same fingerprint (a long one is hashed). */
  fingerprint: z.string().min(1),
  title: z.string().min(1).max(LIMITS.titleLength),
  description: z.string().default(''),
  /** The source's own severity word (`critical`, `warning`…), mapped through the config's `severity` table. */
  severity: z.string().optional(),
  /** An explicit priority wins over the severity mapping. */
  priority: Priority.optional(),
  /** The service the sender named (a `service` label or field); else the config's match rules route it. */
  service: z.string().min(1).optional(),
  /** What the config's match rules look at. */
  routing: z
    .strictObject({
      repository: z.string().optional(),
      namespace: z.string().optional(),
      alarm: z.string().optional(),
      logGroup: z.string().optional(),
    })
    .default({}),
  labels: z.record(z.string(), z.string()).default({}),
  links: z.array(z.strictObject({ label: z.string(), url: z.string() })).default([]),
  /** When its sender says it happened; TMS counts it then only when that is plausible (src/core/plausible-time.ts). */
  occurredAt: z.iso.datetime(),
  /** When TMS received the delivery (the ingest pipeline sets it; absent: when it is processed). */
  receivedAt: z.iso.datetime().optional(),
  /** What makes deliveries the same occurrence (a run id, a firing episode's start): counted once. */
  occurrenceKey: z.string().min(1).max(256).optional(),
  /** One line for the timeline when the alert repeats. */
  summary: z.string().optional(),
  /** An Alertmanager group summary, when the alert stands for a whole group (`grouping: group`). */
  group: AlertGroup.optional(),
  /**
   * The source's own class of the problem (PagerDuty's `class`, Alertmanager's `alertname`, a workflow or
   * job, an alarm, a Kubernetes reason): with the service and title, what makes tasks the same issue.
   */
  issueClass: z.string().min(1).optional(),
});

/** Which labels did not fit the store's label budget, named (the first few, each cut): the card shows it. */
function droppedLabelsNote(keys: readonly string[]): string {
  const named = keys.slice(0, 5).map((key) => cut(key, 40));
  const more = keys.length > named.length ? ` and ${keys.length - named.length} more` : '';
  return `${keys.length} label${keys.length === 1 ? '' : 's'} left out (over the ${LIMITS.labelBytes / 1024} KB of labels kept): ${named.join(', ')}${more}`;
}

/**
 * An alert within the store's bounds whatever the sender sent (src/core/bounds.ts): names and
 * fingerprints within their key sizes, texts cut, labels and links counted and cut; what was left out is
 * said in the description. Its maps have no prototype, so a `constructor` key is a key like any other.
 */
function bounded(alert: z.infer<typeof AlertFields>) {
  const labels = boundLabels(alert.labels);
  const links = boundLinks(alert.links);
  const notes = [
    labels.dropped > 0 ? droppedLabelsNote(labels.droppedKeys) : '',
    links.dropped > 0
      ? `${links.dropped} links left out (not http(s), over ${LIMITS.urlLength} characters, or past ${LIMITS.linkCount})`
      : '',
  ].filter(Boolean);
  const description = cut(alert.description, LIMITS.descriptionLength - (notes.length ? 400 : 0));
  return {
    ...alert,
    fingerprint: boundFingerprint(alert.fingerprint),
    description: notes.length ? [description, ...notes].filter(Boolean).join('\n') : description,
    ...(alert.service !== undefined ? { service: boundName(alert.service) } : {}),
    ...(alert.severity !== undefined ? { severity: cut(alert.severity, LIMITS.labelValueLength) } : {}),
    ...(alert.summary !== undefined ? { summary: cut(alert.summary, LIMITS.summaryLength) } : {}),
    ...(alert.issueClass !== undefined ? { issueClass: cut(alert.issueClass, LIMITS.labelValueLength) } : {}),
    routing: {
      ...(alert.routing.repository !== undefined
        ? { repository: cut(alert.routing.repository, LIMITS.labelValueLength) }
        : {}),
      ...(alert.routing.namespace !== undefined
        ? { namespace: cut(alert.routing.namespace, LIMITS.labelValueLength) }
        : {}),
      ...(alert.routing.alarm !== undefined ? { alarm: cut(alert.routing.alarm, 1024) } : {}),
      ...(alert.routing.logGroup !== undefined ? { logGroup: cut(alert.routing.logGroup, 1024) } : {}),
    },
    labels: labels.labels,
    links: links.links,
    ...(alert.group !== undefined ? { group: boundGroup(alert.group) } : {}),
  };
}

/**
 * What every ingest source is normalized into. `action` has PagerDuty's dedup_key semantics:
 * `trigger` opens or appends, `acknowledge` and `resolve` act on an open task and never create one;
 * `note` records something on the open task (a line in its history) and never creates, pages or changes it.
 */
export const Alert = AlertFields.transform(bounded);
export type Alert = z.infer<typeof Alert>;
export type AlertInput = z.input<typeof Alert>;

export interface Route {
  readonly service: string;
  readonly team: string | null;
  readonly channel: string;
}

function matches(alert: Alert, match: NonNullable<Config['services'][string]['match']>): boolean {
  const { repository, namespace, alarm, logGroup } = alert.routing;
  if (repository && match.repositories?.some((r) => r.toLowerCase() === repository.toLowerCase()))
    return true;
  if (namespace && match.namespaces?.includes(namespace)) return true;
  if (alarm && match.alarms?.some((p) => globMatch(p, alarm))) return true;
  if (logGroup && match.logGroups?.some((p) => globMatch(p, logGroup))) return true;
  const labels = Object.entries(match.labels ?? {});
  return labels.length > 0 && labels.every(([key, value]) => own(alert.labels, key) === value);
}

/**
 * The service an alert belongs to: the one the sender named (a `service` label or field, a PagerDuty
 * component), else the first service whose `match` rules fit, else the default; then its team and channel.
 */
export function route(alert: Alert, config: Pick<Config, 'services' | 'teams' | 'defaults'>): Route {
  const service =
    alert.service ??
    Object.entries(config.services).find(([, s]) => s.match && matches(alert, s.match))?.[0] ??
    config.defaults.service;
  return routeService(service, config);
}

/** Team and channel of a named service, known to the config or not. */
export function routeService(
  service: string,
  config: Pick<Config, 'services' | 'teams' | 'defaults'>,
): Route {
  const settings = own(config.services, service);
  const team = settings?.team ?? null;
  const channel =
    settings?.channel ?? (team ? own(config.teams, team)?.channel : undefined) ?? config.defaults.channel;
  return { service, team, channel };
}

/** An explicit priority, else the source's severity through the config's table, else the default. */
export function prioritize(alert: Alert, config: Pick<Config, 'severity' | 'defaults'>): Priority {
  if (alert.priority) return alert.priority;
  const table = own(config.severity, alert.source);
  const severity = alert.severity?.toLowerCase();
  // Own keys only: a severity of `constructor` or `__proto__` is a word the table does not know.
  return (severity && own(table, severity)) || config.defaults.priority;
}

/** What an alert does, given the fingerprint's open task and its last resolved one. */
export type AlertDecision =
  | { readonly type: 'create' }
  | { readonly type: 'append'; readonly task: Task }
  | { readonly type: 'reopen'; readonly task: Task }
  | { readonly type: 'acknowledge'; readonly task: Task }
  | { readonly type: 'resolve'; readonly task: Task }
  | { readonly type: 'note'; readonly task: Task }
  | { readonly type: 'ignore'; readonly reason: string };

export function decide(
  alert: Alert,
  open: Task | undefined,
  lastResolved: Task | undefined,
  now: Date,
  config: Pick<Config, 'dedup'>,
): AlertDecision {
  switch (alert.action) {
    case 'trigger': {
      if (open) return { type: 'append', task: open };
      // A late copy of the occurrence that was resolved (an HA peer, a job event after the run's success).
      if (alert.occurrenceKey && lastResolved?.occurrenceKey === alert.occurrenceKey)
        return { type: 'ignore', reason: `${lastResolved.id} was resolved after this occurrence already` };
      const resolvedAt = lastResolved?.resolvedAt ? Date.parse(lastResolved.resolvedAt) : undefined;
      if (
        lastResolved &&
        resolvedAt !== undefined &&
        now.getTime() - resolvedAt <= config.dedup.reopenWithin
      ) {
        return { type: 'reopen', task: lastResolved };
      }
      return { type: 'create' };
    }
    case 'acknowledge':
      if (!open) return { type: 'ignore', reason: 'no open task for this alert' };
      return open.status === 'open'
        ? { type: 'acknowledge', task: open }
        : { type: 'ignore', reason: `${open.id} is already ${open.status.replace('_', ' ')}` };
    case 'note':
      return open ? { type: 'note', task: open } : { type: 'ignore', reason: 'no open task for this alert' };
    case 'resolve':
      return open
        ? { type: 'resolve', task: open }
        : { type: 'ignore', reason: 'no open task for this alert' };
  }
}
