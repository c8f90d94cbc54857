import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAggregateStore } from '../../src/adapters/dynamo/aggregate-store.js';
import { createDocumentClient, DynamoTaskStore } from '../../src/adapters/dynamo/task-store.js';
import { contributionsOf, mergeContributions, reportChannels } from '../../src/core/aggregates/counters.js';
import { factsOf, type TaskChange } from '../../src/core/aggregates/facts.js';
import { digestFor, statsReport, trendsReport } from '../../src/core/use-cases/reports.js';
import { LOCAL_AWS } from '../../src/local/embedded-dynamo.js';
import { dynamoForTests, type TestDynamo } from '../helpers/dynamo.js';
import { aTask, config } from '../helpers/factories.js';

let dynamo: TestDynamo;
beforeAll(async () => {
  dynamo = await dynamoForTests();
});
afterAll(() => dynamo.close());

const NOW = new Date('2026-03-02T12:00:00.000Z');
const TASKS = 20;

/** A client that counts the requests it sends: what DynamoDB would bill. */
function countingClient(): { db: DynamoDBDocumentClient; requests: () => number; reset: () => void } {
  const db = createDocumentClient({ ...LOCAL_AWS, endpoint: dynamo.embedded.endpoint });
  let requests = 0;
  db.middlewareStack.add(
    (next) => async (args) => {
      requests++;
      return next(args);
    },
    { step: 'initialize', name: 'count-requests' },
  );
  return { db, requests: () => requests, reset: () => (requests = 0) };
}

/**
 * The same 20 tasks over the same 24 hours, with `events` events spread over them, folded by the aggregator's
 * own pure functions and written as the aggregator writes them: the items, not 100,000 of anything.
 */
async function seeded(events: number) {
  const client = countingClient();
  const table = await dynamo.freshTable();
  const store = new DynamoTaskStore(client.db, table);
  const aggregates = new DynamoAggregateStore(client.db, table);
  const changes: TaskChange[] = [];
  const opened = Date.parse('2026-03-01T12:00:00.000Z');
  for (let t = 1; t <= TASKS; t++) {
    const task = aTask({
      id: `TMS-${t}`,
      fingerprint: `alert-${t}`,
      channel: 'C0PAYMENTS',
      createdAt: new Date(opened).toISOString(),
      firstSeenAt: new Date(opened).toISOString(),
      lastSeenAt: new Date(opened).toISOString(),
    });
    await store.create(task, []);
    changes.push({ after: task });
    let current = task;
    const mine = Math.floor(events / TASKS) - 1;
    for (let e = 0; e < mine; e++) {
      const at = new Date(opened + Math.floor(((e + 1) / (mine + 1)) * 24 * 3_600_000)).toISOString();
      const next = {
        ...current,
        occurrences: current.occurrences + 1,
        lastSeenAt: at,
        version: current.version + 1,
      };
      changes.push({ before: current, after: next });
      current = next;
    }
  }
  const deltas = mergeContributions(
    changes.flatMap((c) => {
      const facts = factsOf(c);
      return contributionsOf(facts, reportChannels(facts.task, config));
    }),
  );
  for (const delta of deltas) await aggregates.applyCounters(delta);
  client.reset();
  return { client, deps: { store, aggregates, config } };
}

/** The requests a digest, a trends query and a stats query make. */
async function requestsOfReports(events: number) {
  const { client, deps } = await seeded(events);
  const since = new Date(NOW.getTime() - 24 * 3_600_000);
  const digest = await digestFor(deps, 'C0PAYMENTS', since, NOW);
  const digestRequests = client.requests();
  client.reset();
  const trends = await trendsReport(deps, 'checkout', 4 * 3_600_000, NOW);
  const trendRequests = client.requests();
  client.reset();
  await statsReport(deps, 'checkout', 7 * 24 * 3_600_000, NOW);
  return { digest, trends, digestRequests, trendRequests, statsRequests: client.requests() };
}

describe('reports read aggregates, never history', () => {
  it('make the same number of DynamoDB requests for a window of 1,000 events and one of 100,000', async () => {
    // Act
    const small = await requestsOfReports(1_000);
    const large = await requestsOfReports(100_000);
    // Assess: the reports saw the events…
    expect(small.digest.noisiest[0]?.events).toBeLessThan(100);
    expect(large.digest.noisiest[0]?.events).toBeGreaterThan(4_000);
    expect(large.trends.busiest).toHaveLength(5);
    // …and read no more for a hundred times as many.
    expect(large.digestRequests).toBe(small.digestRequests);
    expect(large.trendRequests).toBe(small.trendRequests);
    expect(large.statsRequests).toBe(small.statsRequests);
    expect(small.digestRequests).toBeGreaterThan(0);
  }, 120_000);
});
