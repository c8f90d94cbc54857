import { createHash, createHmac } from 'node:crypto';
import * as z from 'zod';
import { Alert } from '../../core/alert.js';
import { cut, isUrl, own } from '../../core/bounds.js';
import { type Config, priorityRank } from '../../core/config.js';
import { type AlertGroup, boundGroup, GROUP_MEMBERS, type GroupMember } from '../../core/group.js';
import { fail, ok } from '../../core/result.js';
import type { GroupNotification } from '../../core/use-cases/alert-groups.js';
import { bearerOf, problem, sameSecret } from '../../http/respond.js';
import {
  type IngestRequest,
  type IngestSecrets,
  type IngestSource,
  invalidEvent,
  readJson,
  received,
} from '../source.js';

/**
 * Prometheus Alertmanager's webhook (version 4, https://prometheus.io/docs/alerting/latest/configuration/#webhook_config)
 * and Grafana's, which is the same shape with more fields (`orgId`, `title`, `state`, `values`, dashboard and
 * panel URLs...). Fields TMS does not know are accepted and ignored, as the next version will add some.
 */
const Labels = z.record(z.string(), z.string());

const AlertmanagerAlert = z.looseObject({
  status: z.enum(['firing', 'resolved']),
  labels: Labels.default({}),
  annotations: Labels.default({}),
  startsAt: z.string().optional(),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().max(128).optional(),
  // Grafana
  silenceURL: z.string().optional(),
  dashboardURL: z.string().optional(),
  panelURL: z.string().optional(),
  valueString: z.string().optional(),
});

export const AlertmanagerWebhook = z.looseObject({
  version: z.string().optional(),
  groupKey: z.string().optional(),
  truncatedAlerts: z.number().int().nonnegative().optional(),
  status: z.enum(['firing', 'resolved']).optional(),
  receiver: z.string().optional(),
  externalURL: z.string().optional(),
  groupLabels: Labels.default({}),
  commonLabels: Labels.default({}),
  commonAnnotations: Labels.default({}),
  alerts: z.array(AlertmanagerAlert).max(20_000),
});
export type AlertmanagerWebhook = z.infer<typeof AlertmanagerWebhook>;

/** Grafana's optional HMAC: the default header; a timestamp header only when one is configured. */
export const GRAFANA_SIGNATURE_HEADER = 'x-grafana-alerting-signature';
export const GRAFANA_TIMESTAMP_HEADER = 'x-grafana-alerting-signature-timestamp';
const MAX_SKEW_S = 300;

/** Alertmanager writes this for "not ended yet". */
const ZERO_TIME = /^0001-01-01/;

function time(value: string | undefined): string | undefined {
  if (!value || ZERO_TIME.test(value)) return undefined;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}

/** Alertmanager's own fingerprint (a hash of the labels) when it sends one; else the same idea, computed. */
function fingerprintOf(alert: z.infer<typeof AlertmanagerAlert>): string {
  if (alert.fingerprint) return alert.fingerprint;
  const labels = Object.entries(alert.labels).sort(([a], [b]) => (a < b ? -1 : 1));
  return createHash('sha256').update(JSON.stringify(labels)).digest('hex').slice(0, 16);
}

/** Links back into Alertmanager's UI stay short enough for the card to show them whole (src/bot/text.ts). */
const AM_LINK_MAX = 900;

/** A scan from the end: a pattern for trailing slashes is quadratic on a long run of them. */
function withoutTrailingSlashes(url: string): string {
  let end = url.length;
  while (end > 0 && url[end - 1] === '/') end--;
  return url.slice(0, end);
}

/** `{alertname="X",instance="a"}`: a matcher list as Alertmanager's UI reads it in `filter`, values escaped. */
const matcherList = (labels: readonly (readonly [string, string])[]): string =>
  `{${labels.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;

/**
 * The alert in Alertmanager's UI (0.25: `#/alerts?filter=`) and its silence form pre-filled with the alert's
 * labels (`#/silences/new?filter=`), when the notification names Alertmanager's `externalURL`. Labels are
 * taken alertname first, then by name, while the link stays within `AM_LINK_MAX`: a link is whole, never cut,
 * and one narrowed to fewer labels is broader, never wrong. Grafana's webhook has its own silence link instead.
 */
function alertmanagerLinks(
  webhook: AlertmanagerWebhook,
  labels: Readonly<Record<string, string>>,
): { label: string; url: string }[] {
  const base = withoutTrailingSlashes(webhook.externalURL ?? '');
  if (!base || !isUrl(base) || 'orgId' in webhook) return [];
  const ordered = Object.entries(labels).sort(([a], [b]) =>
    a === 'alertname' ? -1 : b === 'alertname' ? 1 : a < b ? -1 : a > b ? 1 : 0,
  );
  const link = (label: string, page: string) => {
    let url: string | undefined;
    for (let n = 1; n <= ordered.length; n++) {
      const candidate = `${base}/#/${page}?filter=${encodeURIComponent(matcherList(ordered.slice(0, n)))}`;
      if (candidate.length > AM_LINK_MAX) break;
      url = candidate;
    }
    return url ? [{ label, url }] : [];
  };
  return [...link('Alertmanager', 'alerts'), ...link('Silence in Alertmanager', 'silences/new')];
}

export function normalizeAlertmanager(
  webhook: AlertmanagerWebhook,
  receivedAt: Date,
): { alerts: Alert[]; errors: string[] } {
  const alerts: Alert[] = [];
  const errors: string[] = [];
  const truncated = webhook.truncatedAlerts ?? 0;
  for (const [index, item] of webhook.alerts.entries()) {
    const { labels, annotations } = item;
    const name = labels.alertname ?? 'Alert';
    const title =
      annotations.summary || annotations.title || [name, labels.instance].filter(Boolean).join(' on ');
    const startsAt = time(item.startsAt);
    const description = [
      annotations.description || annotations.message,
      item.valueString && `Values: ${item.valueString}`,
    ]
      .filter(Boolean)
      .join('\n');
    const links = [
      ...(isUrl(item.generatorURL) ? [{ label: 'Source', url: item.generatorURL }] : []),
      ...(isUrl(annotations.runbook_url) ? [{ label: 'Runbook', url: annotations.runbook_url }] : []),
      ...(isUrl(item.dashboardURL) ? [{ label: 'Dashboard', url: item.dashboardURL }] : []),
      ...(isUrl(item.panelURL) ? [{ label: 'Panel', url: item.panelURL }] : []),
      ...(isUrl(item.silenceURL) ? [{ label: 'Silence', url: item.silenceURL }] : []),
      ...(item.silenceURL ? [] : alertmanagerLinks(webhook, labels)),
    ];
    const parsed = Alert.safeParse({
      source: 'alertmanager',
      action: item.status === 'firing' ? 'trigger' : 'resolve',
      fingerprint: `alertmanager:${fingerprintOf(item)}`,
      title: cut(title, 300),
      description: cut(description, 4000),
      ...(labels.severity ? { severity: labels.severity.toLowerCase() } : {}),
      ...(labels.service ? { service: labels.service } : {}),
      routing: { ...(labels.namespace ? { namespace: labels.namespace } : {}) },
      // Every label, whole: the Alert's bounds keep them all within a byte budget (src/core/bounds.ts).
      labels: { ...labels, ...(truncated > 0 ? { truncated_alerts: String(truncated) } : {}) },
      // Whole or not at all: the Alert's bounds drop a URL over the limit, and the description says so.
      links,
      occurredAt: (item.status === 'resolved' ? time(item.endsAt) : startsAt) ?? receivedAt.toISOString(),
      // One firing episode is one occurrence: re-notifications and the other HA peer's copy count once.
      ...(startsAt ? { occurrenceKey: startsAt } : {}),
      ...(labels.alertname ? { issueClass: labels.alertname } : {}),
      summary: cut(truncated > 0 ? `${title} (and ${truncated} alerts Alertmanager truncated)` : title, 300),
    });
    if (parsed.success) alerts.push(parsed.data);
    else errors.push(...parsed.error.issues.map((i) => `alerts[${index}].${i.path.join('.')}: ${i.message}`));
  }
  return { alerts, errors };
}

/**
 * In `grouping: alert` mode, a notification that lists its group whole (Alertmanager truncated nothing) says
 * which of the group's alerts are still reported; a truncated one says nothing of those it left out.
 */
function groupNotification(
  webhook: AlertmanagerWebhook,
  alerts: readonly Alert[],
  config: Config,
): GroupNotification | undefined {
  if (config.sources.alertmanager.grouping !== 'alert' || !webhook.groupKey) return undefined;
  if ((webhook.truncatedAlerts ?? 0) > 0) return undefined;
  return {
    key: createHash('sha256').update(webhook.groupKey).digest('hex').slice(0, 32),
    firing: alerts.map((alert) => alert.action === 'trigger'),
  };
}

/**
 * Who sent it: the ingest token (Alertmanager's `http_config.authorization`, Grafana's Authorization header,
 * or `?token=`), or, when GRAFANA_WEBHOOK_SECRET is set, Grafana's HMAC signature of the body (of
 * `timestamp:body` when Grafana sends a timestamp, which must then be within five minutes). A signature that
 * is present is always checked: a wrong one is refused even beside a good token.
 */
function authenticate(request: IngestRequest, secrets: IngestSecrets): string | undefined {
  const signature = request.headers[GRAFANA_SIGNATURE_HEADER];
  if (signature !== undefined && secrets.grafanaWebhookSecret) {
    const timestamp = request.headers[GRAFANA_TIMESTAMP_HEADER];
    if (timestamp !== undefined) {
      const skew = Math.abs(request.receivedAt.getTime() / 1000 - Number(timestamp));
      if (!(skew <= MAX_SKEW_S)) return 'the Grafana signature timestamp is more than five minutes away';
    }
    const signed = timestamp !== undefined ? `${timestamp}:${request.body}` : request.body;
    const expected = createHmac('sha256', secrets.grafanaWebhookSecret).update(signed).digest('hex');
    return sameSecret(signature.trim().toLowerCase(), expected)
      ? undefined
      : 'the Grafana signature does not match';
  }
  const token = bearerOf(request.headers.authorization) ?? request.query.token;
  return sameSecret(token, secrets.ingestToken)
    ? undefined
    : 'send the ingest token (Authorization: Bearer or ?token=), or a Grafana HMAC signature';
}

export const alertmanager: IngestSource = {
  name: 'alertmanager',
  /** A group of thousands of alerts is legitimate; Lambda takes 6 MB. */
  maxBytes: 6 * 1024 * 1024,
  receive(request, secrets, options) {
    const { verify, config } = options;
    if (verify) {
      const refused = authenticate(request, secrets);
      if (refused) return fail(problem(401, 'UNAUTHENTICATED', refused));
    }
    const webhook = readJson(request.body, AlertmanagerWebhook, 'an Alertmanager or Grafana webhook');
    if (!webhook.ok) return webhook;
    const { alerts, errors } = byGroup(webhook.value, config)
      ? normalizeGroup(webhook.value, request.receivedAt, config)
      : normalizeAlertmanager(webhook.value, request.receivedAt);
    if (errors.length > 0) return fail(invalidEvent(errors.slice(0, 5).join('; ')));
    const group = groupNotification(webhook.value, alerts, options.config);
    return ok({ ...received(request.body, alerts), ...(group ? { group } : {}) });
  },
};

/*
 * Group mode (`sources.alertmanager.grouping: group`, the default): one task per Alertmanager group, as
 * Alertmanager's own PagerDuty notifier pages once per group (its dedup key is the group key). A webhook
 * without a `groupKey` (a hand-made test, an old sender) is read alert by alert, as in `grouping: alert`.
 */

const byGroup = (webhook: AlertmanagerWebhook, config: Config): boolean =>
  config.sources.alertmanager.grouping === 'group' && !!webhook.groupKey;

type AlertmanagerAlert = z.infer<typeof AlertmanagerAlert>;

/** The receiver and the group key: the same group routed to two receivers is two tasks, as it is two pages. */
const groupFingerprint = (webhook: AlertmanagerWebhook): string =>
  `alertmanager:group:${webhook.receiver ?? ''}:${webhook.groupKey ?? ''}`;

/**
 * The firing set (each firing alert's fingerprint and start): a re-notification of the same set is the same
 * occurrence, counted once however often Alertmanager repeats it and whichever HA peer sends it.
 */
function firingSetKey(firing: readonly AlertmanagerAlert[]): string | undefined {
  if (firing.length === 0) return undefined;
  const members = firing.map((a) => `${fingerprintOf(a)}@${time(a.startsAt) ?? ''}`).sort();
  return `group:${createHash('sha256').update(members.join('\n')).digest('hex').slice(0, 32)}`;
}

/** The most severe severity word among the alerts, by the priority the config gives it; unknown words last. */
function worstSeverity(alerts: readonly AlertmanagerAlert[], config: Config): string | undefined {
  const table = own(config.severity, 'alertmanager');
  const rank = (word: string) => {
    const priority = own(table, word);
    return priority ? priorityRank(priority) : Number.MAX_SAFE_INTEGER;
  };
  let worst: string | undefined;
  for (const word of new Set(
    alerts.flatMap((a) => (a.labels.severity ? [a.labels.severity.toLowerCase()] : [])),
  )) {
    if (worst === undefined || rank(word) < rank(worst)) worst = word;
  }
  return worst;
}

/** What tells an alert from the rest of its group: its labels that are not common to the group. */
function memberOf(alert: AlertmanagerAlert, common: Readonly<Record<string, string>>): GroupMember {
  const startsAt = time(alert.startsAt);
  return {
    name: cut(alert.labels.alertname || 'Alert', 256),
    status: alert.status,
    labels: Object.fromEntries(
      Object.entries(alert.labels).filter(([key, value]) => own(common, key) !== value),
    ),
    ...(startsAt ? { startsAt } : {}),
  };
}

function latest(times: readonly (string | undefined)[]): string | undefined {
  let newest: string | undefined;
  for (const at of times) if (at && (newest === undefined || at > newest)) newest = at;
  return newest;
}

/** The group's summary: counts, the first few alerts (firing first), the labels they share; bounded. */
function groupSummary(webhook: AlertmanagerWebhook, firing: readonly AlertmanagerAlert[]): AlertGroup {
  const resolved = webhook.alerts.filter((a) => a.status !== 'firing');
  const truncated = webhook.truncatedAlerts ?? 0;
  const newestStartsAt = latest(firing.map((a) => time(a.startsAt)));
  return boundGroup({
    key: webhook.groupKey ?? '',
    firing: firing.length,
    resolved: resolved.length,
    ...(truncated > 0 ? { truncated } : {}),
    alerts: [...firing.slice(0, GROUP_MEMBERS), ...resolved.slice(0, GROUP_MEMBERS)]
      .slice(0, GROUP_MEMBERS)
      .map((a) => memberOf(a, webhook.commonLabels)),
    commonLabels: webhook.commonLabels,
    ...(newestStartsAt ? { newestStartsAt } : {}),
  });
}

/** Grafana's links of an alert: its dashboard, panel and silence form. */
function grafanaLinks(alert: AlertmanagerAlert | undefined): { label: string; url: string }[] {
  if (!alert) return [];
  return [
    ...(isUrl(alert.dashboardURL) ? [{ label: 'Dashboard', url: alert.dashboardURL }] : []),
    ...(isUrl(alert.panelURL) ? [{ label: 'Panel', url: alert.panelURL }] : []),
    ...(isUrl(alert.silenceURL) ? [{ label: 'Silence', url: alert.silenceURL }] : []),
  ];
}

/** The name a group goes by: its common `alertname`, else its group labels, else the receiver's. */
function groupName(webhook: AlertmanagerWebhook): string {
  const labels = Object.entries(webhook.groupLabels).map(([key, value]) => `${key}=${value}`);
  return (
    webhook.commonLabels.alertname ||
    (labels.length > 0 ? labels.join(', ') : `${webhook.receiver ?? 'Alertmanager'} group`)
  );
}

/** One Alert for the whole group: it fires while Alertmanager says the group fires, resolves when it says resolved. */
export function normalizeGroup(
  webhook: AlertmanagerWebhook,
  receivedAt: Date,
  config: Config,
): { alerts: Alert[]; errors: string[] } {
  const firing = webhook.alerts.filter((a) => a.status === 'firing');
  const status = webhook.status ?? (firing.length > 0 ? 'firing' : 'resolved');
  const group = groupSummary(webhook, firing);
  const common = webhook.commonLabels;
  const annotations = webhook.commonAnnotations;
  const name = groupName(webhook);
  const title = annotations.summary || annotations.title || `${name}: ${group.firing} firing`;
  const severity = worstSeverity(firing.length > 0 ? firing : webhook.alerts, config);
  const truncated = group.truncated ?? 0;
  const counts =
    status === 'resolved'
      ? `all ${group.resolved} alerts resolved`
      : `${group.firing} firing${group.resolved > 0 ? `, ${group.resolved} resolved` : ''}`;
  const source = firing[0]?.generatorURL ?? webhook.alerts[0]?.generatorURL;
  const links = [
    ...(isUrl(source) ? [{ label: 'Source', url: source }] : []),
    ...(isUrl(annotations.runbook_url) ? [{ label: 'Runbook', url: annotations.runbook_url }] : []),
    // The group in Alertmanager, and its silence form for the whole group: its group_by labels, else the
    // labels all its alerts share.
    ...alertmanagerLinks(webhook, Object.keys(webhook.groupLabels).length > 0 ? webhook.groupLabels : common),
    // Grafana's own, from the group's first firing alert (Grafana has no Alertmanager UI links).
    ...grafanaLinks(firing[0] ?? webhook.alerts[0]),
  ];
  const occurrenceKey = status === 'firing' ? firingSetKey(firing) : undefined;
  const occurredAt =
    (status === 'resolved' ? latest(webhook.alerts.map((a) => time(a.endsAt))) : group.newestStartsAt) ??
    receivedAt.toISOString();
  const parsed = Alert.safeParse({
    source: 'alertmanager',
    action: status === 'firing' ? 'trigger' : 'resolve',
    fingerprint: groupFingerprint(webhook),
    title: cut(title, 300),
    description: cut(annotations.description || annotations.message || '', 4000),
    ...(severity ? { severity } : {}),
    ...(common.service ? { service: common.service } : {}),
    routing: { ...(common.namespace ? { namespace: common.namespace } : {}) },
    labels: { ...common, ...(truncated > 0 ? { truncated_alerts: String(truncated) } : {}) },
    links,
    occurredAt,
    ...(occurrenceKey ? { occurrenceKey } : {}),
    // The group's common alertname (else its name) is its class: the same rule firing again is the same issue.
    issueClass: cut(name, 256),
    summary: cut(
      `${name}: ${counts}${truncated > 0 ? ` (and ${truncated} alerts Alertmanager truncated)` : ''}`,
      300,
    ),
    group,
  });
  if (parsed.success) return { alerts: [parsed.data], errors: [] };
  return { alerts: [], errors: parsed.error.issues.map((i) => `group.${i.path.join('.')}: ${i.message}`) };
}
