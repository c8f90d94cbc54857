import { describe, expect, it } from 'vitest';
import { Task } from '../../src/core/task.js';
import { actOnTask } from '../../src/core/use-cases/act-on-task.js';
import { ingestAlert } from '../../src/core/use-cases/ingest-alert.js';
import { MemoryTaskStore } from '../fakes/memory-task-store.js';
import { anAlert, depsFor, T0, user } from '../helpers/factories.js';

const MINUTE = 60_000;

describe('ingesting alerts', () => {
  it('keeps the runbook within the 20 links of a task when the sender sends 20 of its own', async () => {
    const store = new MemoryTaskStore();
    const deps = depsFor(store);
    const links = Array.from({ length: 20 }, (_, i) => ({
      label: `graph ${i}`,
      url: `https://grafana.example/d/${i}`,
    }));
    expect(await ingestAlert(deps, anAlert({ links }))).toMatchObject({ result: 'created' });
    const task = await store.get('TMS-1');
    expect(task?.links).toHaveLength(20);
    expect(task?.links.at(-1)).toEqual({ label: 'Runbook', url: 'https://wiki.example/checkout' });
    expect(Task.safeParse(task).success).toBe(true);
  });

  it('opens a task routed and prioritized by the config, then appends repeats to it', async () => {
    const store = new MemoryTaskStore();
    const deps = depsFor(store);
    expect(await ingestAlert(deps, anAlert())).toEqual({ result: 'created', taskId: 'TMS-1' });
    deps.clock.advance(MINUTE);
    expect(
      await ingestAlert(deps, anAlert({ occurredAt: deps.clock.now().toISOString(), summary: 'p99 2.4s' })),
    ).toEqual({
      result: 'appended',
      taskId: 'TMS-1',
    });
    const task = await store.get('TMS-1');
    expect(task).toMatchObject({
      status: 'open',
      priority: 'P2',
      service: 'checkout',
      team: 'payments',
      channel: 'C0PAYMENTS',
      source: 'generic',
      kind: 'alert',
      occurrences: 2,
      lastSeenAt: '2026-03-02T09:01:00.000Z',
      links: [{ label: 'Runbook', url: 'https://wiki.example/checkout' }],
    });
    expect((await store.timeline('TMS-1')).map((e) => e.type)).toEqual(['opened', 'occurred']);
  });

  it('counts one occurrence once, however many deliveries carry it, at no write for the copies', async () => {
    const store = new MemoryTaskStore();
    const deps = depsFor(store);
    const run = (key: string) => anAlert({ occurrenceKey: key, occurredAt: deps.clock.now().toISOString() });
    expect(await ingestAlert(deps, run('run-1'))).toEqual({ result: 'created', taskId: 'TMS-1' });
    let writes = 0;
    store.beforeWrite = () => void writes++;
    expect(await ingestAlert(deps, run('run-1'))).toEqual({
      result: 'ignored',
      taskId: 'TMS-1',
      reason: 'the same occurrence was recorded already',
    });
    expect(writes).toBe(0);
    deps.clock.advance(MINUTE);
    expect(await ingestAlert(deps, run('run-2'))).toEqual({ result: 'appended', taskId: 'TMS-1' });
    expect(await store.get('TMS-1')).toMatchObject({ occurrences: 2, occurrenceKey: 'run-2' });
    // A flap reopens with the new occurrence's key, so its copies count once too.
    await ingestAlert(deps, anAlert({ action: 'resolve' }));
    deps.clock.advance(MINUTE);
    expect(await ingestAlert(deps, run('run-3'))).toEqual({ result: 'reopened', taskId: 'TMS-1' });
    expect(await ingestAlert(deps, run('run-3'))).toMatchObject({ result: 'ignored' });
    expect(await store.get('TMS-1')).toMatchObject({ occurrences: 3, flapCount: 1, occurrenceKey: 'run-3' });
  });

  it('ignores a late copy of an occurrence that was resolved, instead of reopening it', async () => {
    const store = new MemoryTaskStore();
    const deps = depsFor(store);
    const episode = anAlert({
      occurrenceKey: '2026-03-02T08:59:00Z',
      occurredAt: deps.clock.now().toISOString(),
    });
    await ingestAlert(deps, episode);
    await ingestAlert(deps, anAlert({ action: 'resolve' }));
    deps.clock.advance(MINUTE);
    expect(await ingestAlert(deps, episode)).toEqual({
      result: 'ignored',
      taskId: null,
      reason: 'TMS-1 was resolved after this occurrence already',
    });
    expect(await store.get('TMS-1')).toMatchObject({ status: 'resolved', flapCount: 0 });
    // A new episode within the reopen window is a flap.
    expect(
      await ingestAlert(deps, anAlert({ occurrenceKey: 'next', occurredAt: deps.clock.now().toISOString() })),
    ).toEqual({
      result: 'reopened',
      taskId: 'TMS-1',
    });
  });

  it('marks a key flaky when it fails again within a day of its source seeing it pass', async () => {
    const store = new MemoryTaskStore();
    const deps = depsFor(store);
    const at = () => ({ occurredAt: deps.clock.now().toISOString() });
    await ingestAlert(deps, anAlert(at()));
    await ingestAlert(deps, anAlert({ action: 'resolve', ...at() })); // the source saw it pass
    deps.clock.advance(2 * 60 * MINUTE); // past reopenWithin: a new task, not a reopen
    expect(await ingestAlert(deps, anAlert(at()))).toEqual({ result: 'created', taskId: 'TMS-2' });
    expect((await store.get('TMS-2'))?.labels).toMatchObject({ flaky: 'after TMS-1' });
    // Resolved by a person, or long ago: not flaky.
    await actOnTask(deps, {
      taskId: 'TMS-2',
      command: { type: 'resolve', resolution: 'fixed' },
      role: 'admin',
      ctx: { actor: user('U0ADMIN'), via: 'slack' },
    });
    deps.clock.advance(2 * 60 * MINUTE);
    await ingestAlert(deps, anAlert(at()));
    expect((await store.get('TMS-3'))?.labels.flaky).toBeUndefined();
  });

  it('acknowledges and resolves the open task, and ignores signals for unknown or closed keys', async () => {
    const store = new MemoryTaskStore();
    const deps = depsFor(store);
    expect(await ingestAlert(deps, anAlert({ action: 'acknowledge' }))).toMatchObject({
      result: 'ignored',
      taskId: null,
    });
    expect(await ingestAlert(deps, anAlert({ action: 'resolve' }))).toMatchObject({ result: 'ignored' });
    expect(store.tasks.size).toBe(0);

    await ingestAlert(deps, anAlert());
    expect(await ingestAlert(deps, anAlert({ action: 'acknowledge' }))).toEqual({
      result: 'acknowledged',
      taskId: 'TMS-1',
    });
    expect(await ingestAlert(deps, anAlert({ action: 'resolve' }))).toEqual({
      result: 'resolved',
      taskId: 'TMS-1',
    });
    expect(await store.get('TMS-1')).toMatchObject({ status: 'resolved', resolvedBy: 'generic' });
    expect(await ingestAlert(deps, anAlert({ action: 'resolve' }))).toMatchObject({ result: 'ignored' });
    expect(store.tasks.size).toBe(1);
  });

  it('reopens a task whose alert fires again within reopenWithin, counting the flap; later it opens a new one', async () => {
    const store = new MemoryTaskStore();
    const deps = depsFor(store);
    await ingestAlert(deps, anAlert());
    await ingestAlert(deps, anAlert({ action: 'resolve' }));
    deps.clock.advance(9 * MINUTE);
    expect(await ingestAlert(deps, anAlert())).toEqual({ result: 'reopened', taskId: 'TMS-1' });
    expect(await store.get('TMS-1')).toMatchObject({ status: 'open', flapCount: 1, occurrences: 2 });

    await ingestAlert(deps, anAlert({ action: 'resolve' }));
    deps.clock.advance(11 * MINUTE);
    expect(await ingestAlert(deps, anAlert())).toEqual({ result: 'created', taskId: 'TMS-2' });
  });

  it('a person resolving the task frees the fingerprint; reopening is refused while another task holds it', async () => {
    const store = new MemoryTaskStore();
    const deps = depsFor(store);
    await ingestAlert(deps, anAlert());
    const ctx = { actor: user('U0ANA'), via: 'slack' as const };
    expect(
      (
        await actOnTask(deps, {
          taskId: '1',
          command: { type: 'resolve', resolution: 'fixed' },
          role: 'developer',
          ctx,
        })
      ).ok,
    ).toBe(true);
    deps.clock.advance(30 * MINUTE);
    expect(await ingestAlert(deps, anAlert())).toEqual({ result: 'created', taskId: 'TMS-2' });

    const reopen = await actOnTask(deps, {
      taskId: 'TMS-1',
      command: { type: 'reopen' },
      role: 'developer',
      ctx,
    });
    expect(reopen).toMatchObject({ ok: false, error: { code: 'FINGERPRINT_ALREADY_OPEN' } });
    expect((await store.get('TMS-1'))?.status).toBe('resolved');

    await actOnTask(deps, {
      taskId: 'TMS-2',
      command: { type: 'resolve', resolution: null },
      role: 'developer',
      ctx,
    });
    expect(
      (await actOnTask(deps, { taskId: 'TMS-1', command: { type: 'reopen' }, role: 'developer', ctx })).ok,
    ).toBe(true);
    // The reopened task holds the fingerprint again: the next alert appends to it.
    expect(await ingestAlert(deps, anAlert())).toEqual({ result: 'appended', taskId: 'TMS-1' });
  });

  describe('a writer that dies between two writes leaves nothing the next delivery cannot finish', () => {
    // A new fingerprint is claimed and bound in one write (openFingerprint); one whose last task was resolved
    // long ago is claimed, then bound (bindFingerprint).
    for (const step of ['openFingerprint', 'bindFingerprint', 'create', 'releaseFingerprint'] as const) {
      it(`dying at ${step}`, async () => {
        const store = new MemoryTaskStore();
        const deps = depsFor(store);
        if (step === 'releaseFingerprint') await ingestAlert(deps, anAlert());
        if (step === 'bindFingerprint') {
          await ingestAlert(deps, anAlert());
          await ingestAlert(deps, anAlert({ action: 'resolve' }));
          deps.clock.advance(30 * 86_400_000); // past the reopen window: a new task
        }
        store.beforeWrite = (operation) => {
          if (operation === step) throw new Error(`crashed before ${step}`);
        };
        await expect(
          ingestAlert(deps, anAlert({ action: step === 'releaseFingerprint' ? 'resolve' : 'trigger' })),
        ).rejects.toThrow('crashed');
        store.beforeWrite = () => {};
        deps.clock.advance(11_000); // past the claim's stale time
        await ingestAlert(deps, anAlert());
        await ingestAlert(deps, anAlert());
        const open = [...store.tasks.values()].filter((t) => t.status !== 'resolved');
        expect(open).toHaveLength(1);
        expect((await store.fingerprint(anAlert().fingerprint))?.openTaskId).toBe(open[0]?.id);
      });
    }
  });

  it('stamps every change an alert of a delivery makes with its token, and a re-drive finds it instead of counting again', async () => {
    const store = new MemoryTaskStore();
    const deps = depsFor(store);
    const at = () => deps.clock.now().toISOString();
    const token = (n: number) => `generic#d${n}#0`;
    // Act: opened, repeated, resolved, reopened, acknowledged: each by another delivery.
    await ingestAlert(deps, anAlert(), { token: token(1) });
    deps.clock.advance(MINUTE);
    await ingestAlert(deps, anAlert({ occurredAt: at() }), { token: token(2) });
    await ingestAlert(deps, anAlert({ action: 'resolve', occurredAt: at() }), { token: token(3) });
    deps.clock.advance(MINUTE);
    await ingestAlert(deps, anAlert({ occurredAt: at() }), { token: token(4) });
    await ingestAlert(deps, anAlert({ action: 'acknowledge', occurredAt: at() }), { token: token(5) });
    // Assess
    const timeline = await store.timeline('TMS-1');
    expect(timeline.map((e) => [e.type, e.delivery])).toEqual([
      ['opened', token(1)],
      ['occurred', token(2)],
      ['resolved', token(3)],
      ['reopened', token(4)],
      ['acknowledged', token(5)],
    ]);
    // A re-drive of delivery 2 (its run died before marking it) finds it, and of a new one counts it.
    const before = await store.get('TMS-1');
    const receivedAt = new Date(Date.parse(at()) - 2 * MINUTE).toISOString();
    expect(
      await ingestAlert(deps, anAlert({ occurredAt: at() }), { token: token(2), redriven: receivedAt }),
    ).toEqual({
      result: 'ignored',
      taskId: 'TMS-1',
      reason: 'delivered before',
    });
    expect(await store.get('TMS-1')).toEqual(before);
    expect(
      await ingestAlert(deps, anAlert({ occurredAt: at() }), { token: token(6), redriven: receivedAt }),
    ).toEqual({ result: 'appended', taskId: 'TMS-1' });
  });
});

describe('the time an alert is counted at', () => {
  const STATIC_EXAMPLE = '2025-09-16T16:55:00.000Z';

  it('is its delivery’s receipt when its sender’s time is implausible, even when it is re-driven later', async () => {
    const store = new MemoryTaskStore();
    const deps = depsFor(store);
    deps.clock.advance(10 * MINUTE); // the sweeper re-drives it ten minutes after it was received
    await ingestAlert(deps, anAlert({ occurredAt: STATIC_EXAMPLE, receivedAt: T0 }));
    expect(await store.get('TMS-1')).toMatchObject({
      firstSeenAt: T0,
      lastSeenAt: T0,
      reportedAt: STATIC_EXAMPLE,
      ackDueAt: new Date(Date.parse(T0) + 15 * MINUTE).toISOString(), // a P2's SLA, from the receipt
    });
  });

  it('keeps what the sender’s clock said while it disagrees, and drops it once a repeat agrees', async () => {
    const store = new MemoryTaskStore();
    const deps = depsFor(store);
    await ingestAlert(deps, anAlert({ occurredAt: STATIC_EXAMPLE }));
    deps.clock.advance(MINUTE);
    await ingestAlert(deps, anAlert({ occurredAt: STATIC_EXAMPLE }));
    expect(await store.get('TMS-1')).toMatchObject({ occurrences: 2, reportedAt: STATIC_EXAMPLE });
    deps.clock.advance(MINUTE);
    const agreed = new Date(deps.clock.now().getTime() - 20_000).toISOString();
    await ingestAlert(deps, anAlert({ occurredAt: agreed }));
    const task = await store.get('TMS-1');
    expect(task).toMatchObject({ occurrences: 3, lastSeenAt: agreed });
    expect(task?.reportedAt).toBeUndefined();
  });

  it('resolves at the sender’s time, never before the task opened', async () => {
    const store = new MemoryTaskStore();
    const deps = depsFor(store);
    await ingestAlert(deps, anAlert());
    deps.clock.advance(5 * MINUTE);
    const before = new Date(Date.parse(T0) - MINUTE).toISOString();
    await ingestAlert(deps, anAlert({ action: 'resolve', occurredAt: before }));
    expect((await store.get('TMS-1'))?.resolvedAt).toBe(deps.clock.now().toISOString());
  });
});
