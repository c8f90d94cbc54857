import { describe, expect, it } from 'vitest';
import { type Config, parseConfig } from '../../src/core/config.js';
import type { PageTarget } from '../../src/core/escalation-policy.js';
import { applyAction, type LifecycleAction } from '../../src/core/lifecycle.js';
import type { SaveOutcome } from '../../src/core/ports.js';
import type { Priority, Task } from '../../src/core/task.js';
import { ManualClock } from '../../src/core/time.js';
import type { TimelineEntry } from '../../src/core/timeline.js';
import {
  escalationCheck,
  failEscalation,
  type Page,
  recordSent,
  type StepOutcome,
  takeEscalationStep,
} from '../../src/core/use-cases/escalate.js';
import { buildTask } from '../../src/core/use-cases/open-task.js';
import { MemoryOncallStore } from '../fakes/memory-oncall-store.js';
import { MemoryTaskStore } from '../fakes/memory-task-store.js';
import { depsFor, slack, T0 } from '../helpers/factories.js';

const MINUTE = 60_000;
const ON_CALL = 'U01AAA';
const DEV = 'U0DEV';

// Weekly, handing over Mondays 09:00 in Berlin: at T0 (Monday 2026-03-02, 10:00 in Berlin) U01AAA is on call.
const TEAMS = `
teams:
  payments:
    channel: C0PAYMENTS
    oncall: { rotation: [U01AAA, U01BBB], every: 7d, handoff: "2026-01-05T09:00:00", timezone: Europe/Berlin }
rbac: { viewers: [U0VIEW] }
`;
const config = parseConfig(`
services:
  checkout: { team: payments, escalation: loud }
escalations:
  loud:
    - { wait: 5m }
    - { notify: oncall }
    - { wait: 10m }
    - { notify: channel }
    - { repeat: 1 }
${TEAMS}`);

/** A store that lets a test make another writer's change just before the next save lands. */
class InterposedStore extends MemoryTaskStore {
  interpose: (() => Promise<void>) | undefined;
  saves = 0;
  override async save(task: Task, entries: readonly TimelineEntry[], expected: number): Promise<SaveOutcome> {
    const before = this.interpose;
    this.interpose = undefined;
    if (before) await before();
    this.saves++;
    return super.save(task, entries, expected);
  }
}

function setup(options: { priority?: Priority; config?: Config } = {}) {
  const store = new InterposedStore();
  const clock = new ManualClock(T0);
  const sleeps: number[] = [];
  const deps = depsFor(store, clock, {
    config: options.config ?? config,
    oncall: new MemoryOncallStore(),
    sleep: async (ms) => void sleeps.push(ms),
  });
  return { store, clock, sleeps, deps };
}

/** Opens TMS-1 of checkout as an alert would, with the config given (the policy snapshotted then). */
async function open(
  store: MemoryTaskStore,
  priority: Priority = 'P1',
  with_: Config = config,
): Promise<Task> {
  const { task, entries } = buildTask(
    'TMS-1',
    {
      title: 'Checkout latency above 2s',
      description: '',
      priority,
      route: { service: 'checkout', team: 'payments', channel: 'C0PAYMENTS' },
      source: 'generic',
      kind: 'alert',
      fingerprint: 'generic:checkout-latency',
      assignee: null,
      labels: {},
      links: [],
      seenAt: T0,
    },
    with_,
    { actor: { type: 'source', id: 'generic' }, via: 'ingest', now: new Date(T0) },
  );
  await store.create(task, entries);
  return task;
}

/** A person's change, saved as the use cases save one. */
async function change(
  store: MemoryTaskStore,
  action: LifecycleAction,
  at: Date,
  by = 'U0ANA',
): Promise<void> {
  const task = await store.get('TMS-1');
  if (!task) throw new Error('no TMS-1');
  const applied = applyAction(task, action, slack(by, at));
  if (!applied.ok) throw applied.error;
  expect(await store.save(applied.value.task, applied.value.entries, task.version)).toBe('saved');
}

const keyOf = (target: PageTarget): string =>
  target.kind === 'user'
    ? target.id
    : target.kind === 'channel'
      ? `channel:${target.id}`
      : target.kind === 'group'
        ? `group:${target.id}`
        : 'sns';
const sent = (page: Page) => ({ taskId: page.task.id, run: page.run, step: page.step, round: page.round });

async function step(deps: ReturnType<typeof setup>['deps'], run = 1): Promise<StepOutcome> {
  const outcome = await takeEscalationStep(deps, { taskId: 'TMS-1', run });
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

/** What the state machine does: waits on the clock, sends and reports each page, until the run ends. */
async function drive(setupped: ReturnType<typeof setup>, run = 1) {
  const { deps, clock, store } = setupped;
  const said: string[] = [];
  const versions: number[] = [];
  for (let calls = 0; calls < 40; calls++) {
    const outcome = await step(deps, run);
    versions.push((await store.get('TMS-1'))?.version ?? 0);
    if (outcome.next === 'wait') {
      said.push(`wait ${outcome.seconds}s`);
      clock.advance(outcome.seconds * 1000);
    } else if (outcome.page) {
      said.push(`page step ${outcome.page.step}: ${outcome.page.targets.map(keyOf).join(', ')}`);
      expect(await recordSent(deps, sent(outcome.page), outcome.page.targets.map(keyOf))).toBe(true);
      versions.push((await store.get('TMS-1'))?.version ?? 0);
    } else said.push(outcome.next);
    if (outcome.next === 'end' || outcome.next === 'stopped') return { said, versions };
  }
  throw new Error('the escalation did not end in 40 calls');
}

const escalations = async (store: MemoryTaskStore) =>
  (await store.timeline('TMS-1')).filter((e) => e.type === 'escalated' || e.type === 'escalation_ended');

const WHOLE_POLICY = [
  'wait 300s',
  `page step 2: ${ON_CALL}`,
  'wait 600s',
  'page step 4: channel:C0PAYMENTS',
  'wait 300s',
  `page step 2: ${ON_CALL}`,
  'wait 600s',
  'page step 4: channel:C0PAYMENTS',
  'end',
];

describe('an escalation stepped through by the state machine', () => {
  it('pages each notify step once per round, says so on the timeline, and ends exhausted', async () => {
    // Prepare
    const setupped = setup();
    await open(setupped.store);

    // Act
    const { said, versions } = await drive(setupped);

    // Assess
    expect(said).toEqual(WHOLE_POLICY);
    const entries = await escalations(setupped.store);
    const system = { actor: { type: 'system', id: 'escalation' }, via: 'system' };
    const escalated = (s: number, round: number, target: string, to: PageTarget[]) => ({
      ...system,
      type: 'escalated',
      policy: 'loud',
      step: s,
      of: 5,
      round,
      target,
      to,
      manual: false,
    });
    const oncall: PageTarget[] = [{ kind: 'user', id: ON_CALL, as: 'oncall' }];
    const channel: PageTarget[] = [{ kind: 'channel', id: 'C0PAYMENTS' }];
    expect(entries).toEqual([
      expect.objectContaining(escalated(2, 0, 'oncall', oncall)),
      expect.objectContaining(escalated(4, 0, 'channel', channel)),
      expect.objectContaining(escalated(2, 1, 'oncall', oncall)),
      expect.objectContaining(escalated(4, 1, 'channel', channel)),
      expect.objectContaining({ ...system, type: 'escalation_ended', policy: 'loud', reason: 'exhausted' }),
    ]);
    // Each page at the time it was due: five minutes in, then ten, then the second round.
    expect(entries.map((e) => (Date.parse(e.at) - Date.parse(T0)) / MINUTE)).toEqual([5, 15, 20, 30, 30]);
    expect(entries.map((e) => e.version)).toEqual([...entries.map((e) => e.version)].sort((a, b) => a - b));
    expect(new Set(entries.map((e) => e.version)).size).toBe(entries.length);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    const task = await setupped.store.get('TMS-1');
    expect(task?.escalation).toMatchObject({ state: 'ended', taken: 4, round: 1 });
    expect(task?.escalation?.notified).toEqual([ON_CALL, 'channel:C0PAYMENTS']);
    expect(task?.escalation?.pending).toBeUndefined();
    // Once ended, a further call stops and writes nothing.
    const version = task?.version;
    expect(await step(setupped.deps)).toEqual({ next: 'stopped' });
    expect((await setupped.store.get('TMS-1'))?.version).toBe(version);
  });

  it('keeps to the policy the task opened with when the config changes afterwards', async () => {
    // Prepare
    const edited = parseConfig(`
services:
  checkout: { team: payments, escalation: loud }
escalations:
  loud:
    - { notify: sns }
${TEAMS}`);
    const setupped = setup({ config: edited });
    await open(setupped.store, 'P1', config);

    // Act
    const { said } = await drive(setupped);

    // Assess
    expect(said).toEqual(WHOLE_POLICY);
  });

  it('stops for an acknowledged task, writing nothing', async () => {
    // Prepare
    const { store, deps, clock } = setup();
    await open(store);
    clock.advance(5 * MINUTE);
    await change(store, { type: 'acknowledge' }, clock.now());
    const before = await store.get('TMS-1');

    // Act
    const outcome = await step(deps);

    // Assess
    expect(outcome).toEqual({ next: 'stopped' });
    expect(await store.get('TMS-1')).toEqual(before);
    expect(await escalations(store)).toEqual([]);
  });

  it('stops for a task without an escalation, or another run, and for a task that is not there', async () => {
    const { store, deps } = setup();
    await open(store, 'P3');
    expect(await step(deps)).toEqual({ next: 'stopped' });
    expect(await escalationCheck(deps, 'TMS-1', 1)).toEqual({ state: 'stopped', reason: 'no escalation' });

    const other = setup();
    await open(other.store);
    expect(await step(other.deps, 2)).toEqual({ next: 'stopped' });
    expect(await escalationCheck(other.deps, 'TMS-9', 1)).toMatchObject({ state: 'stopped' });
    const missing = await takeEscalationStep(other.deps, { taskId: 'TMS-9', run: 1 });
    expect(missing).toMatchObject({ ok: false, error: { code: 'TASK_NOT_FOUND' } });
    const bad = await takeEscalationStep(other.deps, { taskId: 'checkout', run: 1 });
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
  });

  it('looks again later while the task is snoozed', async () => {
    // Prepare
    const { store, deps, clock } = setup();
    await open(store);
    await change(
      store,
      { type: 'snooze', until: new Date(clock.now().getTime() + 90_000).toISOString() },
      clock.now(),
    );

    // Act
    const outcome = await step(deps);

    // Assess
    expect(outcome).toEqual({ next: 'check' });
    expect(await escalationCheck(deps, 'TMS-1', 1)).toEqual({ state: 'paused', seconds: 90 });
  });

  it('retries a step another writer got in before, and takes it once', async () => {
    // Prepare
    const { store, deps, clock, sleeps } = setup();
    await open(store);
    clock.advance(5 * MINUTE);
    store.interpose = () => change(store, { type: 'comment', text: 'looking' }, clock.now());

    // Act
    const outcome = await step(deps);

    // Assess
    expect(outcome.page?.targets).toEqual([{ kind: 'user', id: ON_CALL, as: 'oncall' }]);
    expect(sleeps).toHaveLength(1);
    const entries = (await store.timeline('TMS-1')).map((e) => e.type);
    expect(entries).toEqual(['opened', 'commented', 'escalated']);
    expect((await store.get('TMS-1'))?.escalation).toMatchObject({ at: 2, taken: 1 });
  });

  it('stops when the change that got in before was an acknowledgement', async () => {
    // Prepare
    const { store, deps, clock } = setup();
    await open(store);
    clock.advance(5 * MINUTE);
    store.interpose = () => change(store, { type: 'acknowledge' }, clock.now());

    // Act
    const outcome = await step(deps);

    // Assess: its write was refused (the acknowledgement's save, then its own), and it wrote nothing after.
    expect(outcome).toEqual({ next: 'stopped' });
    expect(store.saves).toBe(2);
    expect((await store.get('TMS-1'))?.status).toBe('acknowledged');
    expect(await escalations(store)).toEqual([]);
  });
});

describe('a page recorded before it is sent', () => {
  async function paged() {
    const setupped = setup();
    await open(setupped.store);
    setupped.clock.advance(5 * MINUTE);
    const outcome = await step(setupped.deps);
    if (!outcome.page) throw new Error('expected the on-call to be paged');
    return { ...setupped, page: outcome.page };
  }

  it('is sent again by the next call while nobody said it went out, without moving on', async () => {
    // Prepare
    const { store, deps, clock, page } = await paged();
    const version = (await store.get('TMS-1'))?.version;
    clock.advance(MINUTE);

    // Act
    const again = await step(deps);

    // Assess
    expect(again.next).toBe('check');
    expect(again.page && { ...again.page, task: undefined }).toEqual({ ...page, task: undefined });
    expect((await store.get('TMS-1'))?.version).toBe(version);
    expect(await escalations(store)).toHaveLength(1);
  });

  it('is done once reported sent: whom it reached is remembered once, and the run goes on', async () => {
    // Prepare
    const { store, deps, page } = await paged();

    // Act
    const recorded = await recordSent(deps, sent(page), [ON_CALL, ON_CALL]);
    const twice = await recordSent(deps, sent(page), [ON_CALL]);

    // Assess
    expect([recorded, twice]).toEqual([true, false]);
    const escalation = (await store.get('TMS-1'))?.escalation;
    expect(escalation?.pending).toBeUndefined();
    expect(escalation?.notified).toEqual([ON_CALL]);
    expect(await step(deps)).toEqual({ next: 'wait', seconds: 600 });
  });

  it('is not marked sent by a report of another run, step or round', async () => {
    // Prepare
    const { store, deps, page } = await paged();
    const before = await store.get('TMS-1');

    // Act
    const reports = [
      await recordSent(deps, { ...sent(page), run: 2 }, [ON_CALL]),
      await recordSent(deps, { ...sent(page), step: 4 }, [ON_CALL]),
      await recordSent(deps, { ...sent(page), round: 1 }, [ON_CALL]),
    ];

    // Assess
    expect(reports).toEqual([false, false, false]);
    expect(await store.get('TMS-1')).toEqual(before);
  });
});

describe('an escalation step that failed for good', () => {
  it('marks the run failed with the error, once, and says so on the timeline', async () => {
    // Prepare
    const { store, deps, clock } = setup();
    await open(store);
    clock.advance(5 * MINUTE);
    await step(deps);

    // Act
    const first = await failEscalation(deps, 'TMS-1', 1, 'channel_not_found');
    const second = await failEscalation(deps, 'TMS-1', 1, 'channel_not_found');

    // Assess
    expect([first, second]).toEqual([true, false]);
    const escalation = (await store.get('TMS-1'))?.escalation;
    expect(escalation).toMatchObject({ state: 'failed', error: 'channel_not_found' });
    expect(escalation?.pending).toBeUndefined();
    expect((await escalations(store)).filter((e) => e.type === 'escalation_ended')).toEqual([
      expect.objectContaining({ type: 'escalation_ended', reason: 'failed', error: 'channel_not_found' }),
    ]);
    expect(await step(deps)).toEqual({ next: 'stopped' });
  });

  it('keeps at most 500 characters of the error', async () => {
    const { store, deps } = setup();
    await open(store);
    expect(await failEscalation(deps, 'TMS-1', 1, 'x'.repeat(2_000))).toBe(true);
    expect((await store.get('TMS-1'))?.escalation?.error).toHaveLength(500);
  });

  it('changes nothing once the run ended, or for another run', async () => {
    // Prepare
    const setupped = setup();
    await open(setupped.store);
    await drive(setupped);
    const before = await setupped.store.get('TMS-1');

    // Act
    const outcomes = [
      await failEscalation(setupped.deps, 'TMS-1', 1, 'late'),
      await failEscalation(setupped.deps, 'TMS-1', 2, 'late'),
    ];

    // Assess
    expect(outcomes).toEqual([false, false]);
    expect(await setupped.store.get('TMS-1')).toEqual(before);
  });
});

describe('a person escalating a task by hand', () => {
  const by = (user: string, role: 'viewer' | 'developer' | 'admin' = 'developer') => ({
    taskId: 'TMS-1',
    manual: { user, role, via: 'slack' as const },
  });

  it('pages the next notify step at once, passing over the wait, as them', async () => {
    // Prepare
    const { store, deps } = setup();
    await open(store);

    // Act
    const outcome = await takeEscalationStep(deps, by(DEV));

    // Assess
    if (!outcome.ok) throw outcome.error;
    expect(outcome.value.page).toMatchObject({
      step: 2,
      round: 0,
      by: DEV,
      targets: [{ kind: 'user', id: ON_CALL, as: 'oncall' }],
    });
    expect(await escalations(store)).toEqual([
      expect.objectContaining({
        type: 'escalated',
        actor: { type: 'user', id: DEV },
        via: 'slack',
        step: 2,
        manual: true,
      }),
    ]);
    const escalation = (await store.get('TMS-1'))?.escalation;
    expect(escalation).toMatchObject({ at: 2, taken: 1 });
    expect(escalation?.waitUntil).toBeUndefined();
  });

  it('is refused for a viewer, saying who can', async () => {
    const { store, deps } = setup();
    await open(store);
    const outcome = await takeEscalationStep(deps, by('U0VIEW', 'viewer'));
    expect(outcome).toMatchObject({ ok: false, error: { code: 'NOT_ALLOWED' } });
    expect(!outcome.ok && outcome.error.message).toBe(
      'You have read-only access to TMS, so you cannot escalate tasks. Ask an admin for the developer role.',
    );
    expect(await escalations(store)).toEqual([]);
  });

  it('is refused once the task is acknowledged, saying by whom and what to do instead', async () => {
    const { store, deps, clock } = setup();
    await open(store);
    await change(store, { type: 'acknowledge' }, clock.now(), 'U0ANA');
    const outcome = await takeEscalationStep(deps, by(DEV));
    expect(outcome).toMatchObject({ ok: false, error: { code: 'TASK_ALREADY_ACKNOWLEDGED' } });
    expect(!outcome.ok && outcome.error.message).toBe(
      'TMS-1 was acknowledged by U0ANA, so its escalation has stopped; assign it to bring someone else in',
    );
  });

  it('is refused for a task without an escalation, saying why it has none', async () => {
    const { store, deps } = setup();
    await open(store, 'P3');
    const outcome = await takeEscalationStep(deps, by(DEV));
    expect(outcome).toMatchObject({ ok: false, error: { code: 'NO_CHANGE' } });
    expect(!outcome.ok && outcome.error.message).toBe(
      'TMS-1 has no escalation: its service has no escalation policy, or P3 is not a priority that escalates',
    );
  });

  it('is refused while the task is snoozed, saying to end the snooze', async () => {
    const { store, deps, clock } = setup();
    await open(store);
    await change(
      store,
      { type: 'snooze', until: new Date(clock.now().getTime() + 3_600_000).toISOString() },
      clock.now(),
    );
    const outcome = await takeEscalationStep(deps, by(DEV));
    expect(outcome).toMatchObject({ ok: false, error: { code: 'NO_CHANGE' } });
    expect(!outcome.ok && outcome.error.message).toBe('TMS-1 is snoozed: end the snooze to escalate it');
    expect(await escalations(store)).toEqual([]);
  });

  it('is refused once every step was taken, or after a step failed', async () => {
    const setupped = setup();
    await open(setupped.store);
    await drive(setupped);
    const ended = await takeEscalationStep(setupped.deps, by(DEV));
    expect(!ended.ok && ended.error.message).toBe(
      'TMS-1 has been through every step of its escalation (loud) already',
    );

    const other = setup();
    await open(other.store);
    await failEscalation(other.deps, 'TMS-1', 1, 'channel_not_found');
    const failed = await takeEscalationStep(other.deps, by(DEV));
    expect(!failed.ok && failed.error.message).toBe(
      "TMS-1's escalation stopped after a step failed: channel_not_found",
    );
  });
});

describe('a reopened task', () => {
  it('escalates again as the next run, from the start of its policy, the old run stopped', async () => {
    // Prepare
    const setupped = setup();
    const { store, deps, clock } = setupped;
    await open(store);
    clock.advance(5 * MINUTE);
    const paged = await step(deps);
    if (paged.page) await recordSent(deps, sent(paged.page), [ON_CALL]);
    await change(store, { type: 'resolve', resolution: 'restarted the consumer' }, clock.now());
    clock.advance(MINUTE);

    // Act
    await change(store, { type: 'reopen' }, clock.now());

    // Assess
    expect((await store.get('TMS-1'))?.escalation).toMatchObject({
      run: 2,
      round: 0,
      taken: 0,
      notified: [],
      state: 'running',
    });
    expect(await step(deps, 1)).toEqual({ next: 'stopped' });
    const { said } = await drive(setupped, 2);
    expect(said).toEqual(WHOLE_POLICY);
  });
});
