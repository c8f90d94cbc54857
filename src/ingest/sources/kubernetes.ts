import * as z from 'zod';
import { Alert } from '../../core/alert.js';
import { cut } from '../../core/bounds.js';
import { fail, ok } from '../../core/result.js';
import { bearerOf, problem, sameSecret } from '../../http/respond.js';
import { type IngestSource, readJson, received, validAlerts } from '../source.js';

/**
 * Kubernetes events as kubernetes-event-exporter's webhook sink posts them: one core/v1 Event per POST,
 * enhanced with `clusterName` and the involved object's labels and annotations (its `EnhancedEvent`). No
 * retries and no signature: the ingest token comes in a header (or `?token=`), compared in constant time.
 * Warning events become alerts keyed by cluster + namespace + owning workload + reason; Normal events are
 * answered and change nothing. One event (its uid) is one occurrence, however often its count is updated.
 */
const Meta = z.looseObject({
  name: z.string().nullish(),
  namespace: z.string().nullish(),
  uid: z.string().nullish(),
});
export const KubernetesEvent = z.looseObject({
  metadata: Meta.nullish(),
  clusterName: z.string().nullish(),
  type: z.string().nullish(),
  reason: z.string().min(1).max(128),
  message: z.string().nullish(),
  count: z.number().nullish(),
  firstTimestamp: z.string().nullish(),
  lastTimestamp: z.string().nullish(),
  eventTime: z.string().nullish(),
  involvedObject: z.looseObject({
    kind: z.string().nullish(),
    namespace: z.string().nullish(),
    name: z.string().min(1),
    labels: z.record(z.string(), z.string()).nullish(),
  }),
  source: z.looseObject({ component: z.string().nullish(), host: z.string().nullish() }).nullish(),
  reportingComponent: z.string().nullish(),
});
export type KubernetesEvent = z.infer<typeof KubernetesEvent>;

/** Kubernetes' generated name suffixes use an alphabet without vowels (and without 0, 1, 3), so words don't match. */
const SAFE = '[bcdfghjklmnpqrstvwxz2456789]';
const DEPLOYMENT_POD = new RegExp(`^(.+)-${SAFE}{6,10}-${SAFE}{5}$`);
const STATEFUL_SET_POD = /^(.+)-\d+$/;
const GENERATED_POD = new RegExp(`^(.+)-${SAFE}{5}$`);
const REPLICA_SET = new RegExp(`^(.+)-${SAFE}{6,10}$`);
/** Built from SAFE, so not literals: listed for the linear-pattern check (test/ingest/linear-patterns.test.ts). */
export const WORKLOAD_PATTERNS = [DEPLOYMENT_POD, STATEFUL_SET_POD, GENERATED_POD, REPLICA_SET] as const;

/**
 * The workload an event's object belongs to: a Deployment's pod `checkout-7d9f8b6c5d-x2kq9` and its
 * ReplicaSet `checkout-7d9f8b6c5d` are `checkout` (the pod-template hash, from the pod's label when the
 * exporter sends it, and the pod suffix dropped); a StatefulSet's pod `db-2` is `db`; a DaemonSet's or
 * Job's pod `node-exporter-x7k2p` is `node-exporter`; anything else is itself.
 */
export function workloadOf(
  kind: string | null | undefined,
  name: string,
  labels: Record<string, string> = {},
): string {
  const hash = labels['pod-template-hash'];
  if (kind === 'Pod') {
    if (hash && name.includes(`-${hash}-`)) return name.slice(0, name.lastIndexOf(`-${hash}-`));
    const deployment = DEPLOYMENT_POD.exec(name)?.[1];
    if (deployment) return deployment;
    const statefulSet = STATEFUL_SET_POD.exec(name)?.[1];
    if (statefulSet) return statefulSet;
    return GENERATED_POD.exec(name)?.[1] ?? name;
  }
  if (kind === 'ReplicaSet') return REPLICA_SET.exec(name)?.[1] ?? name;
  return name;
}

function time(...values: (string | null | undefined)[]): string | undefined {
  for (const value of values) {
    if (!value) continue;
    const at = new Date(value);
    if (!Number.isNaN(at.getTime()) && at.getTime() > 0) return at.toISOString();
  }
  return undefined;
}

export function normalizeKubernetes(
  event: KubernetesEvent,
  receivedAt: Date,
  normalReasons: readonly string[] = [],
) {
  if (event.type !== 'Warning' && !(event.type === 'Normal' && normalReasons.includes(event.reason)))
    return undefined;
  const object = event.involvedObject;
  const namespace = object.namespace || event.metadata?.namespace || 'default';
  const cluster = event.clusterName || 'cluster';
  const labels = object.labels ?? {};
  const workload = workloadOf(object.kind, object.name, labels);
  const uid = event.metadata?.uid;
  return Alert.safeParse({
    source: 'kubernetes',
    action: 'trigger',
    fingerprint: `kubernetes:${cluster}:${namespace}:${workload}:${event.reason}`.slice(0, 512),
    title: cut(
      `${event.reason}: ${workload} in ${namespace}${event.clusterName ? ` (${event.clusterName})` : ''}`,
      300,
    ),
    description: cut(
      [
        event.message ?? '',
        `${object.kind ?? 'object'} ${object.name}`,
        event.count ? `seen ${event.count}×` : '',
      ]
        .filter(Boolean)
        .join('\n'),
      4000,
    ),
    severity: event.type === 'Warning' ? 'warning' : 'normal',
    ...(labels.service ? { service: labels.service } : {}),
    routing: { namespace },
    labels: {
      ...Object.fromEntries(
        Object.entries(labels)
          .slice(0, 20)
          .map(([k, v]) => [cut(k, 64), cut(v, 256)]),
      ),
      cluster,
      namespace,
      workload,
      reason: event.reason,
      ...(object.kind ? { kind: object.kind } : {}),
    },
    // Null first and last timestamps (events.k8s.io-style events) fall back to eventTime.
    occurredAt: time(event.lastTimestamp, event.firstTimestamp, event.eventTime) ?? receivedAt.toISOString(),
    ...(uid ? { occurrenceKey: `event-${uid}` } : {}),
    issueClass: [event.reason, object.kind].filter(Boolean).join(' '),
    summary: cut(event.message ?? event.reason, 300),
  });
}

export const kubernetes: IngestSource = {
  name: 'kubernetes',
  /** One event; the exporter adds labels and annotations of the object, no more. */
  maxBytes: 256 * 1024,
  receive(request, secrets, { verify, config }) {
    const token = bearerOf(request.headers.authorization) ?? request.query.token;
    if (verify && !sameSecret(token, secrets.ingestToken))
      return fail(
        problem(401, 'UNAUTHENTICATED', 'send the ingest token as Authorization: Bearer or ?token='),
      );
    const event = readJson(request.body, KubernetesEvent, 'a Kubernetes event');
    if (!event.ok) return event;
    const alert = normalizeKubernetes(
      event.value,
      request.receivedAt,
      config.sources.kubernetes.normalReasons,
    );
    const alerts = validAlerts(alert ? [alert] : []);
    return alerts.ok ? ok(received(request.body, alerts.value)) : alerts;
  },
};
