import { marshall } from '@aws-sdk/util-dynamodb';
import type { WebClient } from '@slack/web-api';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/core/config.js';
import { applyAction } from '../../src/core/lifecycle.js';
import type { Escalator } from '../../src/core/ports.js';
import type { Task } from '../../src/core/task.js';
import { ManualClock } from '../../src/core/time.js';
import { buildTask } from '../../src/core/use-cases/open-task.js';
import { type EscalationDeps, onTaskChange, runEscalationStep } from '../../src/jobs/escalation.js';
import { MemoryOncallStore } from '../fakes/memory-oncall-store.js';
import { MemorySeenStore } from '../fakes/memory-seen-store.js';
import { MemoryTaskStore } from '../fakes/memory-task-store.js';
import { depsFor, slack, T0 } from '../helpers/factories.js';

// At T0 (Monday 2026-03-02, 10:00 in Berlin) U01AAA is on call for payments.
const ON_CALL = 'U01AAA';
const config = parseConfig(`
services:
  checkout: { team: payments, escalation: quick }
escalations:
  quick:
    - { notify: oncall }
    - { wait: 10m }
    - { notify: U0CAL }
teams:
  payments:
    channel: C0PAYMENTS
    oncall: { rotation: [U01AAA, U01BBB], every: 7d, handoff: "2026-01-05T09:00:00", timezone: Europe/Berlin }
`);

/** The stream record of a task change, as DynamoDB writes it for a task item. */
const record = (before: Task | undefined, after: Task | undefined): DynamoDBRecord => ({
  eventName: !before ? 'INSERT' : !after ? 'REMOVE' : 'MODIFY',
  dynamodb: {
    Keys: { pk: { S: `TASK#${(after ?? before)?.id}` }, sk: { S: 'TASK' } },
    ...(before ? { OldImage: marshall(before, { removeUndefinedValues: true }) as never } : {}),
    ...(after ? { NewImage: marshall(after, { removeUndefinedValues: true }) as never } : {}),
  },
});

function setup() {
  const store = new MemoryTaskStore();
  const posts: { channel: string; text: string }[] = [];
  const calls: string[] = [];
  const escalator: Escalator = {
    start: async (id, run) => void calls.push(`start ${id}-${run}`),
    stop: async (id, run) => void calls.push(`stop ${id}-${run}`),
  };
  const fakeSlack = {
    chat: {
      postMessage: async (m: { channel: string; text: string }) => (posts.push(m), { ok: true, ts: '1.1' }),
    },
    usergroups: { users: { list: async () => ({ ok: true, users: [] }) } },
  } as unknown as WebClient;
  const deps = {
    ...depsFor(store, new ManualClock(T0), { config, oncall: new MemoryOncallStore() }),
    seen: new MemorySeenStore(),
    slack: fakeSlack,
    escalator,
  } as EscalationDeps & { escalator: Escalator; clock: ManualClock };
  return { store, posts, calls, deps };
}

async function opened(store: MemoryTaskStore): Promise<Task> {
  const { task, entries } = buildTask(
    'TMS-1',
    {
      title: 'Checkout down',
      description: '',
      priority: 'P1',
      route: { service: 'checkout', team: 'payments', channel: 'C0CHECKOUT' },
      source: 'generic',
      kind: 'alert',
      fingerprint: 'generic:x',
      assignee: null,
      labels: {},
      links: [],
      seenAt: T0,
    },
    config,
    { actor: { type: 'source', id: 'generic' }, via: 'ingest', now: new Date(T0) },
  );
  await store.create(task, entries);
  return task;
}

async function acknowledge(store: MemoryTaskStore, by: string): Promise<{ before: Task; after: Task }> {
  const before = (await store.get('TMS-1')) as Task;
  const applied = applyAction(before, { type: 'acknowledge' }, { ...slack(by), now: new Date(T0) });
  if (!applied.ok) throw applied.error;
  await store.save(applied.value.task, applied.value.entries, before.version);
  return { before, after: applied.value.task };
}

describe("escalation's part of the stream", () => {
  it('starts the run as an escalating task opens, and stops it with its people told once on acknowledgement', async () => {
    // Prepare
    const { store, posts, calls, deps } = setup();
    const task = await opened(store);
    await onTaskChange(deps, record(undefined, task));
    expect(await runEscalationStep(deps, { op: 'step', taskId: 'TMS-1', run: 1 })).toEqual({ next: 'check' });
    expect(posts.map((p) => p.channel)).toEqual([ON_CALL]);

    // Act: someone not paged acknowledges; the record is delivered twice (a retried batch).
    const { before, after } = await acknowledge(store, 'U0BEN');
    await onTaskChange(deps, record(before, after));
    await onTaskChange(deps, record(before, after));

    // Assess
    expect(calls).toEqual(['start TMS-1-1', 'stop TMS-1-1', 'stop TMS-1-1']);
    const told = posts.filter((p) => p.text.includes('was acknowledged by <@U0BEN>'));
    expect(told.map((p) => p.channel)).toEqual([ON_CALL]);
  });

  it('sends nobody a page recorded before an acknowledgement it arrives after', async () => {
    // Prepare: the step is recorded, then the task is acknowledged before its page is sent.
    const { store, posts, deps } = setup();
    await opened(store);
    const original = store.save.bind(store);
    let acked = false;
    store.save = async (task, entries, expected) => {
      const outcome = await original(task, entries, expected);
      if (!acked && task.escalation?.pending) {
        acked = true;
        await acknowledge(store, 'U0BEN');
      }
      return outcome;
    };

    // Act
    await runEscalationStep(deps, { op: 'step', taskId: 'TMS-1', run: 1 });

    // Assess: nobody paged, and the step is no longer pending
    expect(posts).toEqual([]);
    expect((await store.get('TMS-1'))?.escalation?.pending).toBeUndefined();
  });

  it('tells a person whose page went out just before the acknowledgement, once the page is recorded sent', async () => {
    // Prepare: paged, but the sent record lands after the acknowledgement.
    const { store, posts, deps } = setup();
    const task = await opened(store);
    await onTaskChange(deps, record(undefined, task));
    const beforeAck = (await store.get('TMS-1')) as Task;
    const { after: acked } = await acknowledge(store, 'U0BEN');
    await onTaskChange(deps, record(beforeAck, acked)); // nobody notified yet: nobody told
    const withPage: Task = {
      ...acked,
      version: acked.version + 1,
      escalation: { ...(acked.escalation as NonNullable<Task['escalation']>), notified: [ON_CALL] },
    };

    // Act
    await onTaskChange(deps, record(acked, withPage));

    // Assess
    expect(posts.filter((p) => p.text.includes('was acknowledged')).map((p) => p.channel)).toEqual([ON_CALL]);
  });

  it('stops the run of a deleted task, and starts the next run of a reopened one', async () => {
    // Prepare
    const { store, calls, deps } = setup();
    const task = await opened(store);
    const resolved = applyAction(
      task,
      { type: 'resolve', resolution: null },
      { ...slack('U0BEN'), now: new Date(T0) },
    );
    if (!resolved.ok) throw resolved.error;
    const reopened = applyAction(
      resolved.value.task,
      { type: 'reopen' },
      { ...slack('U0BEN'), now: new Date(T0) },
    );
    if (!reopened.ok) throw reopened.error;

    // Act
    await onTaskChange(deps, record(resolved.value.task, reopened.value.task));
    await onTaskChange(deps, record(reopened.value.task, undefined));

    // Assess
    expect(reopened.value.task.escalation).toMatchObject({ run: 2, at: 0, notified: [] });
    expect(calls).toEqual(['start TMS-1-2', 'stop TMS-1-2']);
  });
});
