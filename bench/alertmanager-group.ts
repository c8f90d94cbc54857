import type { LocalStack } from '../src/local/stack.js';

/**
 * A large Alertmanager group in one notification (one alert per target of a 300-target outage), as the real
 * Alertmanager sends it: how long until it is answered (its timeout is its group interval, 10 s or more) and
 * how long until every alert is recorded (the rest continues after the answer).
 */
export async function alertmanagerGroup(stack: LocalStack, alerts = 300) {
  const startsAt = new Date().toISOString();
  const body = JSON.stringify({
    version: '4',
    groupKey: `{}:{alertname="BenchTargetDown",run="${startsAt}"}`,
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'tms',
    externalURL: 'http://alertmanager.example:9093',
    groupLabels: { alertname: 'BenchTargetDown' },
    commonLabels: { alertname: 'BenchTargetDown', job: 'node' },
    commonAnnotations: {},
    alerts: Array.from({ length: alerts }, (_, i) => ({
      status: 'firing',
      labels: { alertname: 'BenchTargetDown', job: 'node', instance: `node-${i}:9100`, run: startsAt },
      annotations: { summary: `node-${i} is down` },
      startsAt,
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.example:9090/graph',
      fingerprint: `bench${startsAt.replace(/\D/g, '')}${i}`.slice(-16),
    })),
  });
  const before = await openTasks(stack);
  const started = performance.now();
  const response = await fetch(`${stack.url}/ingest/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.secrets.INGEST_TOKEN}` },
    body,
  });
  await response.text();
  const answerMs = Math.round(performance.now() - started);
  await stack.idle();
  const allRecordedMs = Math.round(performance.now() - started);
  // What the group became: one task per alert (`grouping: alert`) or one for the group, nothing lost.
  const tasks = (await openTasks(stack)) - before;
  return { alerts, status: response.status, answerMs, allRecordedMs, tasks };
}

/** Open tasks in the stack's store, read page by page as `/tms list` does. */
async function openTasks(stack: LocalStack): Promise<number> {
  let count = 0;
  let before: number | null = null;
  do {
    const page = await stack.deps.store.list({ statuses: ['open'], limit: 100, before });
    count += page.tasks.length;
    before = page.next;
  } while (before !== null);
  return count;
}
