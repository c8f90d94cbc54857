/**
 * The Alertmanager storm of `npm run bench`: 10,000 alerts across 20 fingerprints, both HA peers sending
 * every group, shuffled, eight senders at once. Checks that it stays 20 tasks and 20 cards, and reports
 * alerts per second, DynamoDB requests per new and per duplicate alert, and the Slack calls it cost.
 */
import type { LocalStack } from '../src/local/stack.js';

const FINGERPRINTS = 20;
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);

export interface StormFigures {
  alerts: number;
  deliveries: number;
  alertsPerSecond: number;
  newAlert: { requests: number; writes: number };
  duplicateAlert: { requests: number; writes: number };
  slackCalls: Record<string, number>;
  openTasks: number;
  cards: number;
}

function delivery(peer: string, round: number, startsAt: string) {
  return {
    version: '4',
    status: 'firing',
    receiver: 'tms',
    externalURL: `http://${peer}:9093`,
    groupKey: '{}:{alertname=~"Bench.*"}',
    groupLabels: { round: String(round) },
    alerts: Array.from({ length: FINGERPRINTS }, (_, n) => ({
      status: 'firing',
      labels: { alertname: `BenchStorm${n}`, severity: 'warning', service: 'checkout' },
      annotations: { summary: `Bench storm alert ${n}` },
      startsAt,
      endsAt: '0001-01-01T00:00:00Z',
      fingerprint: `benchstorm${String(n).padStart(4, '0')}`,
    })),
  };
}

export async function storm(stack: LocalStack, alerts = 10_000, concurrency = 8): Promise<StormFigures> {
  const post = async (body: unknown) => {
    const response = await fetch(`${stack.url}/ingest/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.secrets.INGEST_TOKEN}` },
      body: JSON.stringify(body),
    });
    if (response.status !== 202) throw new Error(`alertmanager ingest answered ${response.status}`);
  };
  const snapshot = () => new Map(stack.feed.requests);
  const delta = (before: Map<string, number>) => {
    let requests = 0;
    let writes = 0;
    for (const [operation, count] of stack.feed.requests) {
      const d = count - (before.get(operation) ?? 0);
      requests += d;
      if (WRITES.has(operation)) writes += d;
    }
    return { requests, writes };
  };
  const startsAt = new Date().toISOString();
  const slackBefore = new Map(stack.slack.calls);

  // The first delivery opens the 20 tasks: what a new alert costs (its card included, once the stream settles).
  let before = snapshot();
  await post(delivery('am-0', 0, startsAt));
  await stack.idle();
  const opened = delta(before);

  // Then the rest, both peers, shuffled: every alert a copy of an open occurrence.
  const rest: unknown[] = [];
  const rounds = Math.ceil(alerts / FINGERPRINTS) - 1;
  for (let round = 0; round < rounds; round++)
    rest.push(delivery(round % 2 ? 'am-0' : 'am-1', round + 1, startsAt));
  rest.sort(() => Math.random() - 0.5);
  before = snapshot();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let next = rest.shift(); next; next = rest.shift()) await post(next);
    }),
  );
  // Measured to the last answer, as it always was (a delivery's answer comes after half a second of its work at
  // most, which covers a 20-alert delivery here); then what is left is waited for, before the counts.
  const seconds = (performance.now() - started) / 1000;
  await stack.idle();
  const copies = delta(before);
  const duplicates = rounds * FINGERPRINTS;

  const open = await fetch(`${stack.url}/api/tasks?status=open&service=checkout&limit=100`, {
    headers: { authorization: `Bearer ${stack.secrets.TMS_API_TOKEN}` },
  });
  const { tasks } = (await open.json()) as { tasks: { fingerprint: string }[] };
  const openTasks = tasks.filter((t) => t.fingerprint.startsWith('alertmanager:benchstorm')).length;
  const cards = stack.slack
    .messages('C0CHECKOUT')
    .filter((m) => m.thread_ts === null && !m.ephemeral_user && m.text.includes('Bench storm alert')).length;
  if (openTasks !== FINGERPRINTS || cards !== FINGERPRINTS)
    throw new Error(
      `the storm did not hold: ${openTasks} open tasks and ${cards} cards for ${FINGERPRINTS} fingerprints`,
    );

  const slackCalls: Record<string, number> = {};
  for (const [method, count] of stack.slack.calls) {
    const d = count - (slackBefore.get(method) ?? 0);
    if (d > 0) slackCalls[method] = d;
  }
  const per = (n: number, of: number) => Number((n / of).toFixed(3));
  return {
    alerts: FINGERPRINTS + duplicates,
    deliveries: rounds + 1,
    alertsPerSecond: Math.round(duplicates / seconds),
    newAlert: { requests: per(opened.requests, FINGERPRINTS), writes: per(opened.writes, FINGERPRINTS) },
    duplicateAlert: { requests: per(copies.requests, duplicates), writes: per(copies.writes, duplicates) },
    slackCalls,
    openTasks,
    cards,
  };
}
