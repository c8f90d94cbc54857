import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deliveryToken } from '../../src/core/ports.js';
import type { Task } from '../../src/core/task.js';
import { ManualClock } from '../../src/core/time.js';
import { ingestAlert } from '../../src/core/use-cases/ingest-alert.js';
import { MemoryTaskStore } from '../fakes/memory-task-store.js';
import { anAlert, depsFor, T0 } from '../helpers/factories.js';

const FINGERPRINTS = ['generic:disk-full', 'generic:latency', 'generic:errors'];
const MINUTE = 60_000;

/** A delivery as the queue holds it: received at its minute, with one alert per fingerprint it names. */
interface Delivery {
  readonly id: string;
  readonly receivedAt: string;
  readonly fingerprints: readonly string[];
}

const deliveries: fc.Arbitrary<Delivery[]> = fc
  .array(fc.subarray(FINGERPRINTS, { minLength: 1 }), { minLength: 1, maxLength: 10 })
  .map((sets) =>
    sets.map((fingerprints, i) => ({
      id: `d${i + 1}`,
      receivedAt: new Date(Date.parse(T0) + i * MINUTE).toISOString(),
      fingerprints,
    })),
  );

/**
 * The queue's order: every delivery once, in any order, and some of them again later (SQS delivers at least
 * once; a visibility timeout that ran out, a processor that died before deleting the message). A second
 * receive is processed as a redelivery, as the processor does for `ApproximateReceiveCount > 1`.
 */
const queueOrder = (all: readonly Delivery[]) =>
  fc
    .tuple(
      fc.shuffledSubarray([...all.keys()], { minLength: all.length, maxLength: all.length }),
      fc.array(fc.nat({ max: all.length - 1 }), { maxLength: 4 }),
      fc.array(fc.nat(), { maxLength: 4 }),
    )
    .map(([order, again, where]) => {
      const receives = order.map((i) => ({ delivery: i, redelivered: false }));
      for (const [k, i] of again.entries()) {
        const first = receives.findIndex((r) => r.delivery === i);
        const at = first + 1 + ((where[k] ?? 0) % (receives.length - first));
        receives.splice(at, 0, { delivery: i, redelivered: true });
      }
      return receives;
    });

async function process(
  all: readonly Delivery[],
  receives: readonly { delivery: number; redelivered: boolean }[],
): Promise<Map<string, Task[]>> {
  const memory = new MemoryTaskStore();
  // The processor runs after the deliveries were received: a queue's delay does not move when they happened.
  const clock = new ManualClock(new Date(Date.parse(T0) + all.length * MINUTE).toISOString());
  const deps = depsFor(memory, clock);
  for (const { delivery, redelivered } of receives) {
    const d = all[delivery] as Delivery;
    for (const [index, fingerprint] of d.fingerprints.entries()) {
      const alert = { ...anAlert({ fingerprint, occurredAt: d.receivedAt }), receivedAt: d.receivedAt };
      await ingestAlert(deps, alert, {
        token: deliveryToken('generic', d.id, index),
        ...(redelivered ? { redriven: d.receivedAt } : {}),
      });
    }
    clock.advance(1_000);
  }
  const byFingerprint = new Map<string, Task[]>();
  for (const task of memory.tasks.values()) {
    const key = task.fingerprint ?? '';
    byFingerprint.set(key, [...(byFingerprint.get(key) ?? []), task]);
  }
  return byFingerprint;
}

describe('the order the queue delivers alerts in', () => {
  it('does not matter: reordered and redelivered, each fingerprint has one task counting each delivery once, seen first and last when its alerts say', async () => {
    await fc.assert(
      fc.asyncProperty(
        deliveries.chain((all) => fc.tuple(fc.constant(all), queueOrder(all))),
        async ([all, receives]) => {
          const inOrder = await process(
            all,
            all.map((_, i) => ({ delivery: i, redelivered: false })),
          );
          const shuffled = await process(all, receives);
          for (const fingerprint of FINGERPRINTS) {
            const mine = all.filter((d) => d.fingerprints.includes(fingerprint));
            const tasks = shuffled.get(fingerprint) ?? [];
            if (mine.length === 0) {
              expect(tasks).toHaveLength(0);
              continue;
            }
            expect(tasks).toHaveLength(1);
            const [task] = tasks as [Task];
            const [expected] = inOrder.get(fingerprint) as [Task];
            expect(task.status).toBe('open');
            expect(task.occurrences).toBe(mine.length);
            expect(task.firstSeenAt).toBe(expected.firstSeenAt);
            expect(task.ackDueAt).toBe(expected.ackDueAt);
            expect(task.resolveDueAt).toBe(expected.resolveDueAt);
            expect(task.lastSeenAt).toBe(expected.lastSeenAt);
            expect(task.lastSeenAt).toBe(mine.at(-1)?.receivedAt);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
