import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoTaskStore, HELD_CHANGES } from '../../src/adapters/dynamo/task-store.js';
import { TransientError } from '../../src/core/errors.js';
import type { RawEvent, TaskStore } from '../../src/core/ports.js';
import { ManualClock } from '../../src/core/time.js';
import { ingest } from '../../src/ingest/pipeline.js';
import { LEASE_MS, redrive, redriveUnprocessed } from '../../src/jobs/redrive.js';
import { MemoryTaskStore } from '../fakes/memory-task-store.js';
import {
  expectEachCountedOnce,
  Halted,
  haltingClient,
  haltingStore,
  notification,
  request,
  SECRETS,
  sendThroughCrash,
} from '../helpers/crash.js';
import { dynamoForTests, type TestDynamo } from '../helpers/dynamo.js';
import { config, depsFor, perAlertConfig, T0 } from '../helpers/factories.js';

const delivery = (deliveryId: string, receivedAt: string, body: unknown) => ({
  source: 'generic',
  deliveryId,
  receivedAt,
  headers: { 'content-type': 'application/json' },
  body: typeof body === 'string' ? body : JSON.stringify(body),
  expiresAt: '2026-03-09T09:00:00.000Z',
});

describe('re-driving deliveries that were archived but not processed', () => {
  it('processes them once their request can no longer be in flight, and only once', async () => {
    const store = new MemoryTaskStore();
    const deps = depsFor(store, new ManualClock(T0));
    const trigger = {
      event_action: 'trigger',
      dedup_key: 'lost',
      payload: { summary: 'Lost in a crash', source: 'x', severity: 'error' },
    };
    await store.archiveRaw(delivery('d-1', T0, trigger));
    await store.archiveRaw(delivery('d-2', T0, 'not json any more'));

    expect(await redriveUnprocessed(deps, new Date(Date.parse(T0) + 30_000))).toBe(0); // still in its grace time
    expect(await redriveUnprocessed(deps, new Date(Date.parse(T0) + 61_000))).toBe(2);
    expect(await store.get('TMS-1')).toMatchObject({ title: 'Lost in a crash', fingerprint: 'generic:lost' });
    expect((await store.getRaw('generic', 'd-1'))?.taskIds).toEqual(['TMS-1']);
    expect((await store.getRaw('generic', 'd-2'))?.processedAt).toBeDefined();

    expect(await redriveUnprocessed(deps, new Date(Date.parse(T0) + 120_000))).toBe(0);
    expect((await store.get('TMS-1'))?.occurrences).toBe(1);
  });
});

describe('re-drive under races and faults', () => {
  const later = (ms: number) => new Date(Date.parse(T0) + ms);
  const repeats = (n: number) =>
    Array.from({ length: n }, (_, i) =>
      delivery(`r-${i}`, T0, {
        event_action: 'trigger',
        dedup_key: 'raced',
        payload: { summary: `Raced #${i}`, source: 'x', severity: 'error' },
      }),
    );

  it('processes each delivery once when the sweeper and a replay run at the same moment', async () => {
    const store = new MemoryTaskStore();
    const deps = depsFor(store, new ManualClock(T0));
    for (const d of repeats(6)) await store.archiveRaw(d);
    // Act
    const [a, b] = await Promise.all([redrive(deps, later(61_000)), redrive(deps, later(61_000))]);
    // Assess
    expect(a.processed.length + b.processed.length).toBe(6);
    expect((await store.get('TMS-1'))?.occurrences).toBe(6);
    expect(store.tasks.size).toBe(1);
  });

  it('does not process again a delivery that a lagging index still lists as pending', async () => {
    const memory = new MemoryTaskStore();
    const [first] = repeats(1);
    await memory.archiveRaw(first as RawEvent);
    const stale = await memory.unprocessedRaw('9999', 10);
    // The index lags: it lists what it listed before the delivery was processed.
    const lagging = new Proxy(memory, {
      get: (target, property, receiver) =>
        property === 'unprocessedRaw'
          ? async (_before: string, _limit: number, after?: string) => (after ? [] : stale)
          : Reflect.get(target, property, receiver).bind(target),
    });
    const deps = depsFor(lagging, new ManualClock(T0));
    expect((await redrive(deps, later(61_000))).processed).toHaveLength(1);
    // Act
    const again = await redrive(deps, later(200_000));
    // Assess
    expect(again.processed).toHaveLength(0);
    expect((await memory.get('TMS-1'))?.occurrences).toBe(1);
  });

  it('gives up on a delivery after five attempts: moved aside, an operator told once per source, replayable', async () => {
    const memory = new MemoryTaskStore();
    let broken = true;
    // Processing generic alerts fails (as a constructor label once did); TMS's own alerts go through.
    const store = new Proxy(memory, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (property !== 'claimFingerprint' && property !== 'openFingerprint')
          return typeof value === 'function' ? value.bind(target) : value;
        return (fingerprint: string, ...rest: unknown[]) => {
          if (broken && fingerprint.startsWith('generic:'))
            throw new TypeError('Cannot convert object to primitive value');
          return (value as (...args: unknown[]) => unknown).apply(target, [fingerprint, ...rest]);
        };
      },
    }) as MemoryTaskStore;
    const deps = depsFor(store, new ManualClock(T0));
    const doomed = repeats(3);
    // Two arrived and failed in their own request (attempt 1); one was archived by a crashed request.
    for (const d of doomed.slice(0, 2))
      await store.archiveRaw({ ...d, attempts: 1, leaseUntil: later(60_000).toISOString() });
    await store.archiveRaw(doomed[2] as RawEvent);
    // Act: the sweeper, every few minutes.
    const runs = [];
    for (let minute = 2; minute <= 14; minute += 3) runs.push(await redrive(deps, later(minute * 60_000)));
    // Assess
    expect(runs.map((r) => r.failed)).toEqual([3, 3, 3, 3, 1]);
    expect(runs.map((r) => r.dead.length)).toEqual([0, 0, 0, 2, 1]);
    expect(await store.unprocessedRaw('9999', 10)).toEqual([]);
    const dead = await store.deadRaw(10);
    expect(dead.map((d) => d.deliveryId).sort()).toEqual(['r-0', 'r-1', 'r-2']);
    expect(await store.getRaw('generic', 'r-0')).toMatchObject({
      attempts: 5,
      lastError: 'TypeError: Cannot convert object to primitive value',
    });
    // One task for the operator, in the default channel, said once however many died.
    const told = [...memory.tasks.values()];
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({
      source: 'tms',
      status: 'open',
      fingerprint: 'tms:dead-deliveries:generic',
      title:
        '2 deliveries from generic could not be processed: TypeError: Cannot convert object to primitive value',
      occurrences: 2,
      service: config.defaults.service, // so the default channel
    });
    expect(told[0]?.description).toContain('npm run replay -- --dead');
    // Nothing more is tried on them, and nothing more is said.
    expect((await redrive(deps, later(30 * 60_000))).failed).toBe(0);

    // Act: the cause fixed, an operator replays the dead ones.
    broken = false;
    const replayed = await redrive(deps, later(40 * 60_000), { dead: true, graceMs: 0 });
    // Assess
    expect(replayed.processed.map((d) => d.deliveryId).sort()).toEqual(['r-0', 'r-1', 'r-2']);
    expect(await store.deadRaw(10)).toEqual([]);
    expect([...memory.tasks.values()].find((t) => t.fingerprint === 'generic:raced')?.occurrences).toBe(3);
  });
});

describe('re-drive while the store is unavailable', () => {
  it('does not give up on a delivery for an outage of a few minutes, nor retries it forever', async () => {
    const memory = new MemoryTaskStore();
    let down = true;
    // Throttled on the alert's partition (TMS's own alert, on another, goes through).
    const store = new Proxy(memory, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (property !== 'claimFingerprint' && property !== 'openFingerprint')
          return typeof value === 'function' ? value.bind(target) : value;
        return (fingerprint: string, ...rest: unknown[]) => {
          if (down && fingerprint.startsWith('generic:'))
            throw new TransientError('DynamoDB is unavailable right now');
          return (value as (...args: unknown[]) => unknown).apply(target, [fingerprint, ...rest]);
        };
      },
    });
    const deps = depsFor(store, new ManualClock(T0));
    await memory.archiveRaw(
      delivery('outage-1', T0, {
        event_action: 'trigger',
        dedup_key: 'outage',
        payload: { summary: 'During an outage', source: 'x', severity: 'error' },
      }),
    );
    const at = (minute: number) => new Date(Date.parse(T0) + minute * 3 * 60_000);
    // Act: ten sweeps while the store throttles, then it recovers.
    for (let run = 1; run <= 10; run++) await redrive(deps, at(run));
    // Assess: still pending, its error kept.
    expect(await memory.deadRaw(10)).toEqual([]);
    expect(await memory.getRaw('generic', 'outage-1')).toMatchObject({
      attempts: 10,
      lastError: 'TransientError: DynamoDB is unavailable right now',
    });
    // An outage that never ends still ends in an operator's task.
    for (let run = 11; run <= 30; run++) await redrive(deps, at(run));
    expect((await memory.deadRaw(10)).map((d) => d.deliveryId)).toEqual(['outage-1']);
    down = false;
    expect((await redrive(deps, at(31), { dead: true })).processed).toHaveLength(1);
    expect((await memory.list({ limit: 10 })).tasks.map((t) => t.source).sort()).toEqual(['generic', 'tms']);
  });
});

describe('a delivery in flight when the process is killed', () => {
  const names = ['DiskFull', 'Latency'];
  const bodies = [
    notification(1, ['DiskFull']),
    notification(2, ['DiskFull', 'Latency']),
    notification(3, ['Latency']),
    notification(4, ['DiskFull', 'Latency']),
  ];

  it('is counted exactly once, whichever write the process died after, and whichever the re-drive died after', async () => {
    let deaths = 0;
    for (let n = 0; ; n++) {
      let died = false;
      for (let m = 0; m <= 12; m++) {
        const memory = new MemoryTaskStore();
        const clock = new ManualClock(T0);
        const dying = haltingStore(memory, n);
        const redriveDying = haltingStore(memory, m);
        let id = 0;
        const deps = (store: TaskStore, prefix: string) =>
          depsFor(store, clock, { newId: () => `${prefix}-${++id}`, config: perAlertConfig });
        await sendThroughCrash(
          bodies,
          clock,
          { deps: deps(dying, 'dead'), halted: dying.halted },
          () => deps(memory, 'new'),
          () => deps(redriveDying, 'sweeper'),
        );
        await expectEachCountedOnce(memory, bodies, names);
        died = dying.halted();
        if (!redriveDying.halted()) break;
      }
      if (!died) break;
      deaths++;
    }
    // Every write of the scenario was a place to die.
    const clean = haltingStore(new MemoryTaskStore(), Number.POSITIVE_INFINITY);
    const perAlert = () => depsFor(clean, new ManualClock(T0), { config: perAlertConfig });
    await sendThroughCrash(bodies, new ManualClock(T0), { deps: perAlert(), halted: clean.halted }, perAlert);
    expect(deaths).toBe(clean.writes());
  });
});

describe('a delivery in flight when the process is killed, on DynamoDB (dynalite)', () => {
  let dynamo: TestDynamo;
  beforeAll(async () => {
    dynamo = await dynamoForTests();
  });
  afterAll(() => dynamo.close());
  const names = ['DiskFull', 'Latency'];
  const bodies = [
    notification(1, ['DiskFull', 'Latency']),
    notification(2, ['DiskFull']),
    notification(3, ['DiskFull', 'Latency']),
  ];

  it('is counted exactly once with its timeline line, whichever DynamoDB write the process died after', async () => {
    let deaths = 0;
    for (let n = 0; ; n++) {
      const table = await dynamo.freshTable();
      const clock = new ManualClock(T0);
      const client = haltingClient(dynamo.embedded.db, n);
      let id = 0;
      const deps = (store: TaskStore, prefix: string) =>
        depsFor(store, clock, { newId: () => `${prefix}-${++id}`, config: perAlertConfig });
      const restarted = new DynamoTaskStore(dynamo.embedded.db, table);
      await sendThroughCrash(
        bodies,
        clock,
        { deps: deps(new DynamoTaskStore(client, table), 'dead'), halted: client.halted },
        () => deps(restarted, 'new'),
      );
      await expectEachCountedOnce(restarted, bodies, names);
      if (!client.halted()) break;
      deaths++;
    }
    expect(deaths).toBeGreaterThan(10);
  }, 120_000);
});

describe('a re-drive racing the next change of the task its delivery changed before the crash', () => {
  let dynamo: TestDynamo;
  beforeAll(async () => {
    dynamo = await dynamoForTests();
  });
  afterAll(() => dynamo.close());

  /**
   * A client whose requests of type `command` fail from the first on (`halt`, a process killed before it) or
   * wait until released (`pause`, a process that is slow there): the others go through.
   */
  /** A client that halts (or pauses until released) at the first request of that command matching `which`. */
  function stoppedAt(
    command: string,
    how: 'halt' | 'pause',
    which: (request: { input?: { Key?: { pk?: unknown } } }) => boolean = () => true,
  ) {
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let dead = false;
    const client = new Proxy(dynamo.embedded.db, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (property !== 'send') return typeof value === 'function' ? value.bind(target) : value;
        return async (request: { constructor: { name: string }; input?: { Key?: { pk?: unknown } } }) => {
          if (dead) throw new Halted();
          if (request.constructor.name === command && which(request)) {
            if (how === 'halt') {
              dead = true;
              throw new Halted();
            }
            await released;
          }
          return value.call(target, request);
        };
      },
    }) as typeof dynamo.embedded.db;
    return { client, release };
  }

  it('does not count the delivery again while the task item is copying the lines it holds to the timeline', async () => {
    const table = await dynamo.freshTable();
    const clock = new ManualClock(T0);
    let id = 0;
    const deps = (db: typeof dynamo.embedded.db, prefix: string) =>
      depsFor(new DynamoTaskStore(db, table), clock, {
        newId: () => `${prefix}-${++id}`,
        config: perAlertConfig,
      });
    const bodies = Array.from({ length: HELD_CHANGES + 1 }, (_, i) => notification(i + 1, ['DiskFull']));

    // The first delivery opens the task, and its process dies before marking the delivery processed: its
    // line is only in the task item, which holds its latest changes' lines.
    const dying = stoppedAt('UpdateCommand', 'halt', (r) => String(r.input?.Key?.pk).startsWith('RAW#'));
    clock.advance(1000);
    await ingest(deps(dying.client, 'dead'), 'alertmanager', request(bodies[0] as string), SECRETS);
    // After the restart the next deliveries count their occurrences; the last one finds the item full and is
    // slow to copy what it holds to the timeline (it drops them from the item only once copied).
    const live = deps(dynamo.embedded.db, 'live');
    for (const body of bodies.slice(1, -1)) {
      clock.advance(1000);
      await ingest(live, 'alertmanager', request(body), SECRETS);
    }
    const slow = stoppedAt('BatchWriteCommand', 'pause');
    clock.advance(1000);
    const last = ingest(deps(slow.client, 'new'), 'alertmanager', request(bodies.at(-1) as string), SECRETS);
    const store = new DynamoTaskStore(dynamo.embedded.db, table);
    const counted = async () => (await store.list({ limit: 10 })).tasks[0]?.occurrences;
    for (let i = 0; i < 50 && (await counted()) !== bodies.length; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await counted()).toBe(bodies.length);

    // The sweeper re-drives the first delivery meanwhile: its line is still in the item, so it is found there
    // and not counted again.
    clock.advance(5 * 60_000);
    const racing = await redrive(deps(dynamo.embedded.db, 'sweeper'), clock.now());
    expect(racing.failed).toBe(0);
    expect(await counted()).toBe(bodies.length);

    slow.release();
    expect((await last).statusCode).toBe(202);
    clock.advance(LEASE_MS + 1000);
    await redrive(deps(dynamo.embedded.db, 'sweeper'), clock.now());
    await expectEachCountedOnce(store, bodies, ['DiskFull']);
  }, 30_000);
});
