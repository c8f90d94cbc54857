import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API,
  getJson,
  inProcessStack,
  PER_ALERT_CONFIG,
  postJson,
  type TestStack,
} from '../helpers/local-stack.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await inProcessStack(PER_ALERT_CONFIG); // one task per fingerprint: alert by alert
});
afterAll(() => stack.close());

/** A deterministic shuffle, so a failure can be replayed. */
function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('an Alertmanager storm, with grouping: alert', () => {
  it('stays one open task and one card per fingerprint, in any order, with both HA peers sending', async () => {
    // Arrange: 20 fingerprints; each delivery carries 10 alerts; both peers send every group, out of order.
    const FINGERPRINTS = 20;
    const ROUNDS = 10;
    const deliveries: unknown[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const peer of ['am-0', 'am-1']) {
        for (let group = 0; group < FINGERPRINTS / 10; group++) {
          deliveries.push({
            version: '4',
            status: 'firing',
            receiver: 'tms',
            externalURL: `http://${peer}:9093`,
            groupKey: `{}:{group="${group}"}`,
            // Re-notifications differ only in what Alertmanager adds each time.
            groupLabels: { round: String(round) },
            alerts: Array.from({ length: 10 }, (_, i) => {
              const n = group * 10 + i;
              return {
                status: 'firing',
                labels: { alertname: `Storm${n}`, severity: 'warning', service: 'checkout' },
                annotations: { summary: `Storm alert ${n}` },
                startsAt: '2026-11-22T10:00:00Z',
                endsAt: '0001-01-01T00:00:00Z',
                fingerprint: `storm${String(n).padStart(4, '0')}`,
              };
            }),
          });
        }
      }
    }
    // Act: eight senders at once.
    const queue = shuffled(deliveries, 7);
    const statuses: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          statuses.push(
            (
              await postJson(`${stack.url}/ingest/alertmanager`, next, {
                authorization: 'Bearer local-ingest-token',
              })
            ).status,
          );
        }
      }),
    );
    await stack.idle(); // what the stack records and posts after answering
    // Assert
    expect(statuses.filter((s) => s !== 202)).toEqual([]);
    const { tasks } = (await getJson(`${stack.url}/api/tasks?status=open&limit=100`, API())).body;
    const storm = tasks.filter((t: { fingerprint: string }) =>
      t.fingerprint.startsWith('alertmanager:storm'),
    );
    expect(storm).toHaveLength(FINGERPRINTS);
    expect(new Set(storm.map((t: { fingerprint: string }) => t.fingerprint)).size).toBe(FINGERPRINTS);
    expect(storm.every((t: { occurrences: number }) => t.occurrences === 1)).toBe(true);
    const cards = stack.slack
      .messages('C0CHECKOUT')
      .filter((m) => m.thread_ts === null && !m.ephemeral_user && m.text.includes('Storm alert'));
    expect(cards).toHaveLength(FINGERPRINTS);
  });
});
