import { readFileSync } from 'node:fs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { expect } from 'vitest';
import type { TaskStore } from '../../src/core/ports.js';
import type { ManualClock } from '../../src/core/time.js';
import type { Deps } from '../../src/core/use-cases/deps.js';
import { ingest } from '../../src/ingest/pipeline.js';
import { LEASE_MS, redrive } from '../../src/jobs/redrive.js';
import { T0 } from './factories.js';

/** What a process killed with SIGKILL does after it: nothing at all. */
export class Halted extends Error {
  constructor() {
    super('halted (the process was killed)');
  }
}

export interface Halting {
  /** True once the world stopped. */
  halted(): boolean;
  /** Writes done so far. */
  writes(): number;
}

const STORE_READS = new Set([
  'get',
  'list',
  'timeline',
  'hasDelivery',
  'fingerprint',
  'getRaw',
  'unprocessedRaw',
  'deadRaw',
]);

/**
 * The TaskStore of a process killed right after its `after`-th write: that write happens, and every call
 * from then on (reads too) throws, as if the process were gone.
 */
export function haltingStore(store: TaskStore, after: number): TaskStore & Halting {
  let writes = 0;
  let halted = false;
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'halted') return () => halted;
      if (property === 'writes') return () => writes;
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        if (halted) throw new Halted();
        if (!STORE_READS.has(String(property))) {
          if (writes === after) {
            halted = true;
            throw new Halted();
          }
          writes++;
        }
        return value.apply(target, args);
      };
    },
  }) as TaskStore & Halting;
}

const WRITES = new Set(['PutCommand', 'UpdateCommand', 'BatchWriteCommand', 'DeleteCommand']);

/**
 * A DynamoDB client of a process killed right after its `after`-th write request: finer than `haltingStore`,
 * it stops a store call between two of its own requests (a task saved, its timeline batch not yet written).
 */
export function haltingClient(db: DynamoDBDocumentClient, after: number): DynamoDBDocumentClient & Halting {
  let writes = 0;
  let halted = false;
  return new Proxy(db, {
    get(target, property, receiver) {
      if (property === 'halted') return () => halted;
      if (property === 'writes') return () => writes;
      const value = Reflect.get(target, property, receiver);
      if (property !== 'send') return typeof value === 'function' ? value.bind(target) : value;
      return async (command: { constructor: { name: string } }) => {
        if (halted) throw new Halted();
        if (WRITES.has(command.constructor.name)) {
          if (writes === after) {
            halted = true;
            throw new Halted();
          }
          writes++;
        }
        return value.call(target, command);
      };
    },
  }) as DynamoDBDocumentClient & Halting;
}

const firing = JSON.parse(readFileSync('test/fixtures/alertmanager/alertmanager-v4-firing.json', 'utf8'));

/**
 * An Alertmanager notification (the upstream fixture) of the alerts `names`, each a new firing episode at
 * second `n`: read alert by alert (`grouping: alert`, `perAlertConfig`), every delivery of it is one occurrence
 * of each alert, and its id is its body's hash.
 */
export function notification(n: number, names: readonly string[]): string {
  const [alert] = firing.alerts;
  return JSON.stringify({
    ...firing,
    alerts: names.map((name) => ({
      ...alert,
      fingerprint: name,
      labels: { ...alert.labels, alertname: name },
      startsAt: new Date(Date.parse(T0) + n * 1000).toISOString(),
    })),
  });
}

export const SECRETS = { ingestToken: 'secret' };

export const request = (body: string): APIGatewayProxyEventV2 =>
  ({
    routeKey: 'POST /ingest/{source}',
    headers: { 'content-type': 'application/json', authorization: 'Bearer secret' },
    body,
    isBase64Encoded: false,
    requestContext: {},
  }) as unknown as APIGatewayProxyEventV2;

/**
 * Sends the notifications one by one to a process that may die; once it has, the sender sends what it had no
 * answer for again, and the rest, to the restarted one. Then the sweeper's re-drive runs (maybe dying too,
 * after `redriveWrites` writes), and after its lease a fresh one. What the world holds afterwards is the
 * caller's to check.
 */
export async function sendThroughCrash(
  bodies: readonly string[],
  clock: ManualClock,
  dying: { deps: Deps; halted: () => boolean },
  restarted: () => Deps,
  redriveDying?: () => Deps,
): Promise<void> {
  let next = 0;
  for (; next < bodies.length; next++) {
    clock.advance(1000);
    await ingest(dying.deps, 'alertmanager', request(bodies[next] as string), SECRETS);
    if (dying.halted()) break;
  }
  const deps = restarted();
  for (; next < bodies.length; next++) {
    clock.advance(1000);
    const answer = await ingest(deps, 'alertmanager', request(bodies[next] as string), SECRETS);
    expect(answer.statusCode, answer.body).toBe(202);
  }
  clock.advance(5 * 60_000);
  if (redriveDying) await redrive(redriveDying(), clock.now()).catch(() => undefined);
  clock.advance(LEASE_MS + 1000);
  await redrive(deps, clock.now());
}

/** Each alert of each delivery counted exactly once: occurrences, and one timeline line per alert of a delivery. */
export async function expectEachCountedOnce(
  store: TaskStore,
  bodies: readonly string[],
  names: readonly string[],
): Promise<void> {
  expect(await store.unprocessedRaw('9999', 100)).toEqual([]);
  expect(await store.deadRaw(100)).toEqual([]);
  const { tasks } = await store.list({ limit: 100 });
  const tokens: string[] = [];
  for (const name of names) {
    const mine = tasks.filter((t) => t.fingerprint === `alertmanager:${name}`);
    expect(
      mine.map((t) => t.status),
      name,
    ).toEqual(['open']);
    const expected = bodies.filter((b) =>
      (JSON.parse(b).alerts as { fingerprint: string }[]).some((a) => a.fingerprint === name),
    );
    expect(mine[0]?.occurrences, `occurrences of ${name}`).toBe(expected.length);
    const timeline = await store.timeline(mine[0]?.id as string);
    expect(timeline.at(-1)?.version, `timeline of ${name} up to its version`).toBe(mine[0]?.version);
    tokens.push(...timeline.flatMap((e) => (e.delivery ? [e.delivery] : [])));
  }
  expect(tokens.length).toBe(new Set(tokens).size);
  expect(tokens.length).toBe(bodies.reduce((n, b) => n + JSON.parse(b).alerts.length, 0));
}
