import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyAction, type LifecycleAction } from '../../src/core/lifecycle.js';
import type { TaskStore } from '../../src/core/ports.js';
import { PRIORITIES, STATUSES, type Task } from '../../src/core/task.js';
import { ManualClock } from '../../src/core/time.js';
import { actOnTask } from '../../src/core/use-cases/act-on-task.js';
import { ingestAlert } from '../../src/core/use-cases/ingest-alert.js';
import { MemoryTaskStore } from '../fakes/memory-task-store.js';
import { expectEachCountedOnce, haltingStore, notification, sendThroughCrash } from '../helpers/crash.js';
import { anAlert, aTask, depsFor, perAlertConfig, T0, user } from '../helpers/factories.js';

const FINGERPRINTS = ['generic:disk-full', 'generic:latency', 'github:acme/checkout:ci:main'];
const PEOPLE = ['U0ANA', 'U0BEN', 'U0CAT'];

const command: fc.Arbitrary<LifecycleAction> = fc.oneof(
  fc.constantFrom<LifecycleAction>(
    { type: 'acknowledge' },
    { type: 'claim' },
    { type: 'start' },
    { type: 'reopen' },
    { type: 'unsnooze' },
  ),
  fc.record({
    type: fc.constant('resolve' as const),
    resolution: fc.option(fc.string({ maxLength: 20 }), { nil: null }),
  }),
  fc.record({
    type: fc.constant('assign' as const),
    assignee: fc.option(fc.constantFrom(...PEOPLE), { nil: null }),
  }),
  fc.record({ type: fc.constant('set_priority' as const), priority: fc.constantFrom(...PRIORITIES) }),
  fc.record({ type: fc.constant('comment' as const), text: fc.string({ maxLength: 20 }) }),
  fc.integer({ min: -60, max: 600 }).map(
    (m): LifecycleAction => ({
      type: 'snooze',
      until: new Date(Date.parse(T0) + m * 60_000).toISOString(),
    }),
  ),
);

type Step =
  | { kind: 'alert'; fingerprint: string; action: 'trigger' | 'acknowledge' | 'resolve' }
  | {
      kind: 'person';
      task: number;
      person: string;
      role: 'admin' | 'developer' | 'viewer';
      command: LifecycleAction;
    }
  | { kind: 'wait'; ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('alert' as const),
      fingerprint: fc.constantFrom(...FINGERPRINTS),
      action: fc.constantFrom(
        'trigger' as const,
        'trigger' as const,
        'acknowledge' as const,
        'resolve' as const,
      ),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('person' as const),
      task: fc.integer({ min: 1, max: 6 }),
      person: fc.constantFrom(...PEOPLE),
      role: fc.constantFrom('admin' as const, 'developer' as const, 'viewer' as const),
      command,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('wait' as const),
      ms: fc.integer({ min: 0, max: 15 * 60_000 }),
    }),
  },
);

function openPerFingerprint(store: MemoryTaskStore): Map<string, string[]> {
  const open = new Map<string, string[]>();
  for (const task of store.tasks.values()) {
    if (task.status === 'resolved' || !task.fingerprint) continue;
    open.set(task.fingerprint, [...(open.get(task.fingerprint) ?? []), task.id]);
  }
  return open;
}

describe('invariants of the core, over random histories', () => {
  it('at most one open task per fingerprint; signals never create; versions only rise; refusals change nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
        const store = new MemoryTaskStore();
        const deps = depsFor(store);
        const versions = new Map<string, number>();
        for (const s of steps) {
          const before = structuredClone([...store.tasks.values()]);
          if (s.kind === 'wait') {
            deps.clock.advance(s.ms);
            continue;
          }
          if (s.kind === 'alert') {
            const at = deps.clock.now().toISOString();
            await ingestAlert(
              deps,
              anAlert({ fingerprint: s.fingerprint, action: s.action, occurredAt: at }),
            );
            if (s.action !== 'trigger') expect(store.tasks.size).toBe(before.length);
          } else {
            const result = await actOnTask(deps, {
              taskId: String(s.task),
              command: s.command,
              role: s.role,
              ctx: { actor: user(s.person), via: 'slack' },
            });
            if (!result.ok) expect([...store.tasks.values()]).toEqual(before);
          }
          for (const [fingerprint, ids] of openPerFingerprint(store)) {
            expect(ids, `open tasks for ${fingerprint}`).toHaveLength(1);
            expect((await store.fingerprint(fingerprint))?.openTaskId).toBe(ids[0]);
          }
          for (const task of store.tasks.values()) {
            const previous = versions.get(task.id) ?? 0;
            const old = before.find((t) => t.id === task.id);
            if (old && JSON.stringify(old) !== JSON.stringify(task))
              expect(task.version).toBeGreaterThan(previous);
            else expect(task.version).toBeGreaterThanOrEqual(previous);
            versions.set(task.id, task.version);
            const timeline = await store.timeline(task.id);
            expect(timeline.at(-1)?.version).toBe(task.version);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('an illegal transition never changes the task it was given', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...STATUSES),
        command,
        fc.option(fc.constantFrom(...PEOPLE), { nil: null }),
        (status, cmd, assignee) => {
          const task = aTask({
            status,
            assignee,
            ...(status === 'resolved' ? { resolvedAt: T0, resolvedBy: 'U0ANA' } : {}),
          });
          const frozen = structuredClone(task);
          const result = applyAction(task, cmd, { actor: user('U0BEN'), via: 'slack', now: new Date(T0) });
          expect(task).toEqual(frozen);
          if (result.ok) expect(result.value.task.version).toBe(task.version + 1);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('deliveries of the same alert racing in any interleaving open one task and count every delivery', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.integer({ min: 2, max: 6 }),
        fc.boolean(),
        async (s, deliveries, resolvedBefore) => {
          const memory = new MemoryTaskStore();
          const setup = depsFor(memory);
          if (resolvedBefore) {
            await ingestAlert(setup, anAlert());
            await ingestAlert(setup, anAlert({ action: 'resolve' }));
            setup.clock.advance(60 * 60_000); // past reopenWithin: a new task
          }
          // Every store call becomes a step the scheduler orders, so racing writers interleave every way.
          const store = new Proxy(memory, {
            get(target, property, receiver) {
              const value = Reflect.get(target, property, receiver);
              return typeof value === 'function'
                ? (...args: unknown[]) =>
                    s.schedule(Promise.resolve(), String(property)).then(() => value.apply(target, args))
                : value;
            },
          }) as TaskStore;
          const deps = { ...setup, store };
          const runs = Array.from({ length: deliveries }, () => ingestAlert(deps, anAlert()));
          await s.waitFor(Promise.all(runs));
          const open = [...memory.tasks.values()].filter((t: Task) => t.status !== 'resolved');
          expect(open).toHaveLength(1);
          expect(open[0]?.occurrences).toBe(deliveries);
          expect((await memory.fingerprint(anAlert().fingerprint))?.openTaskId).toBe(open[0]?.id);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('redelivery and re-drive after a kill at any step count each delivery exactly once', async () => {
    const NAMES = ['DiskFull', 'Latency', 'Errors'];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.subarray(NAMES, { minLength: 1 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat({ max: 5 }), { maxLength: 3 }),
        fc.nat({ max: 80 }),
        fc.option(fc.nat({ max: 30 }), { nil: undefined }),
        async (groups, resent, dieAfter, redriveDiesAfter) => {
          const bodies = groups.map((names, i) => notification(i + 1, names));
          // A sender (an HA peer, a retry) may send some of them again later.
          const sends = [...bodies, ...resent.flatMap((i) => (bodies[i] ? [bodies[i]] : []))];
          const memory = new MemoryTaskStore();
          const clock = new ManualClock(T0);
          const dying = haltingStore(memory, dieAfter);
          let id = 0;
          const deps = (store: TaskStore, prefix: string) =>
            depsFor(store, clock, { newId: () => `${prefix}-${++id}`, config: perAlertConfig });
          await sendThroughCrash(
            sends,
            clock,
            { deps: deps(dying, 'dead'), halted: dying.halted },
            () => deps(memory, 'new'),
            redriveDiesAfter === undefined
              ? undefined
              : () => deps(haltingStore(memory, redriveDiesAfter), 'sweeper'),
          );
          await expectEachCountedOnce(
            memory,
            bodies,
            NAMES.filter((name) => groups.some((g) => g.includes(name))),
          );
        },
      ),
      { numRuns: 150 },
    );
  });
});
