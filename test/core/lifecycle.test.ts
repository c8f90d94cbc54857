import { describe, expect, it } from 'vitest';
import {
  applyAction,
  type LifecycleAction,
  type LifecycleActionType,
  TRANSITIONS,
} from '../../src/core/lifecycle.js';
import { STATUSES, type Status } from '../../src/core/task.js';
import { aTask, slack, T0 } from '../helpers/factories.js';

const minutes = (m: number) => new Date(Date.parse(T0) + m * 60_000).toISOString();

/** One command of each type, legal wherever the table allows it. */
const EXAMPLES: Record<LifecycleActionType, LifecycleAction> = {
  acknowledge: { type: 'acknowledge' },
  claim: { type: 'claim' },
  start: { type: 'start' },
  resolve: { type: 'resolve', resolution: 'rolled back' },
  reopen: { type: 'reopen' },
  assign: { type: 'assign', assignee: 'U0BEN' },
  snooze: { type: 'snooze', until: minutes(90) },
  unsnooze: { type: 'unsnooze' },
  set_priority: { type: 'set_priority', priority: 'P1' },
  comment: { type: 'comment', text: 'looking at the dashboards' },
  edit: { type: 'edit', title: 'Disk full on db-1 (replica)' },
  occur: { type: 'occur', at: minutes(1) },
  escalate: {
    type: 'escalate',
    escalation: {
      policy: 'default',
      steps: [{ type: 'notify', target: 'oncall' }],
      run: 1,
      at: 1,
      round: 0,
      state: 'running',
      taken: 1,
      notified: ['U0ANA'],
      startedAt: minutes(0),
    },
    change: {
      type: 'escalated',
      policy: 'default',
      step: 1,
      of: 1,
      round: 0,
      target: 'oncall',
      to: [{ kind: 'user', id: 'U0ANA', as: 'oncall' }],
      manual: false,
    },
  },
};

const inStatus = (status: Status) =>
  aTask({
    id: 'TMS-42',
    status,
    snoozedUntil: minutes(30),
    ...(status === 'resolved' ? { resolvedAt: minutes(-5), resolvedBy: 'U01234' } : {}),
  });

describe('the lifecycle transition table', () => {
  for (const [type, row] of Object.entries(TRANSITIONS) as [
    LifecycleActionType,
    (typeof TRANSITIONS)[LifecycleActionType],
  ][]) {
    for (const status of STATUSES) {
      const outcome = row[status];
      it(`${type} on a ${status} task ${typeof outcome === 'object' ? `is refused with ${outcome.refuse}` : `leads to ${outcome}`}`, () => {
        const task = inStatus(status);
        const result = applyAction(task, EXAMPLES[type], slack('U0ANA', minutes(1)));
        if (typeof outcome === 'object') {
          expect(result.ok).toBe(false);
          if (!result.ok) expect(result.error.code).toBe(outcome.refuse);
        } else {
          if (!result.ok) throw result.error;
          expect(result.value.task.status).toBe(outcome === 'stay' ? status : outcome);
          expect(result.value.task.version).toBe(task.version + 1);
          expect(result.value.entries.length).toBeGreaterThan(0);
          expect(
            result.value.entries.every((e) => e.version === task.version + 1 && e.taskId === 'TMS-42'),
          ).toBe(true);
        }
      });
    }
  }
});

describe('refusals a person reads', () => {
  it('says who resolved a task and when, in plain words and as context', () => {
    const result = applyAction(inStatus('resolved'), { type: 'acknowledge' }, slack('U0ANA', T0));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.message).toBe('TMS-42 was already resolved by U01234 5 minutes ago');
      expect(result.error.context).toMatchObject({
        taskId: 'TMS-42',
        status: 'resolved',
        action: 'acknowledge',
        by: 'U01234',
      });
      expect(result.error.parts).toContainEqual({ person: 'U01234' });
    }
  });

  it('refuses a claim by an actor Slack does not know (the API token, a Cognito user without a Slack id), as its holder would be nobody', () => {
    for (const actor of [
      { type: 'system' as const, id: 'api-token' },
      { type: 'user' as const, id: '7f3c9a1e-5b2d-4e8f-9a6c-0d1e2f3a4b5c' },
    ]) {
      const result = applyAction(
        aTask({ id: 'TMS-7' }),
        { type: 'claim' },
        { actor, via: 'api', now: new Date(T0) },
      );
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(result.error.code).toBe('NOT_ALLOWED');
      expect(result.error.message).toBe(
        `Only someone with a Slack identity can claim TMS-7 (${actor.id} has none): assign it to a person instead`,
      );
    }
  });

  it('tells a second claimer who has the task', () => {
    const claimed = aTask({ id: 'TMS-7', status: 'acknowledged', assignee: 'U0ANA' });
    const result = applyAction(claimed, { type: 'claim' }, slack('U0BEN'));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('TASK_ALREADY_CLAIMED');
      expect(result.error.message).toBe('TMS-7 is already claimed by U0ANA');
      expect(result.error.context).toEqual({
        taskId: 'TMS-7',
        status: 'acknowledged',
        action: 'claim',
        user: 'U0BEN',
        holder: 'U0ANA',
      });
      expect(result.error.message).not.toMatch(/[<>]/); // no surface's syntax in the domain
    }
  });

  it('refuses changes that change nothing', () => {
    const task = aTask({ priority: 'P2', assignee: 'U0ANA', status: 'acknowledged', snoozedUntil: null });
    const ctx = slack('U0ANA');
    for (const command of [
      { type: 'set_priority', priority: 'P2' },
      { type: 'assign', assignee: 'U0ANA' },
      { type: 'claim' },
      { type: 'unsnooze' },
      { type: 'comment', text: '   ' },
      { type: 'snooze', until: minutes(-1) },
    ] as LifecycleAction[]) {
      const result = applyAction(task, command, ctx);
      expect(result.ok, command.type).toBe(false);
    }
  });
});

describe('what each change records', () => {
  it('a claim assigns and acknowledges in one version', () => {
    const result = applyAction(aTask({ status: 'open' }), { type: 'claim' }, slack('U0ANA', minutes(2)));
    if (!result.ok) throw result.error;
    expect(result.value.task).toMatchObject({
      status: 'acknowledged',
      assignee: 'U0ANA',
      acknowledgedAt: minutes(2),
      acknowledgedBy: 'U0ANA',
    });
    expect(result.value.entries.map((e) => e.type)).toEqual(['assigned', 'acknowledged']);
    expect(result.value.entries[0]).toMatchObject({
      actor: { type: 'user', id: 'U0ANA' },
      via: 'slack',
      at: minutes(2),
    });
  });

  it('starting work acknowledges an unacknowledged task', () => {
    const result = applyAction(aTask({ status: 'open' }), { type: 'start' }, slack('U0ANA', minutes(3)));
    if (!result.ok) throw result.error;
    expect(result.value.task).toMatchObject({ status: 'in_progress', acknowledgedAt: minutes(3) });
  });

  it('resolving records who, when and the note, and ends a snooze', () => {
    const result = applyAction(
      aTask({ status: 'in_progress', snoozedUntil: minutes(60) }),
      { type: 'resolve', resolution: '  restarted the pods ' },
      slack('U0ANA', minutes(10)),
    );
    if (!result.ok) throw result.error;
    expect(result.value.task).toMatchObject({
      status: 'resolved',
      resolvedAt: minutes(10),
      resolvedBy: 'U0ANA',
      resolution: 'restarted the pods',
      snoozedUntil: null,
    });
  });

  it('a flapping reopen counts the flap and restarts the SLA clocks from now', () => {
    const task = aTask({ status: 'resolved', resolvedAt: minutes(5), resolvedBy: 'generic', priority: 'P1' });
    const result = applyAction(
      task,
      { type: 'reopen', flap: true },
      { ...slack('x', minutes(8)), actor: { type: 'source', id: 'generic' }, via: 'ingest' },
    );
    if (!result.ok) throw result.error;
    expect(result.value.task).toMatchObject({
      status: 'open',
      flapCount: 1,
      occurrences: 2,
      resolvedAt: null,
      resolvedBy: null,
      ackDueAt: minutes(8 + 5),
      resolveDueAt: minutes(8 + 60),
    });
  });

  it('a priority change keeps the clocks started when the task opened, under its own SLA snapshot', () => {
    const task = aTask({ priority: 'P3' }); // opened at T0: P3 windows are 1h / 1d
    const result = applyAction(task, { type: 'set_priority', priority: 'P1' }, slack('U0ANA', minutes(2)));
    if (!result.ok) throw result.error;
    expect(result.value.task.ackDueAt).toBe(minutes(5));
    expect(result.value.task.resolveDueAt).toBe(minutes(60));
  });

  it('a repeat of the alert counts and moves last seen forward only', () => {
    const task = aTask({ lastSeenAt: minutes(10) });
    const late = applyAction(task, { type: 'occur', at: minutes(12) }, slack('U0ANA'));
    const early = applyAction(task, { type: 'occur', at: minutes(4) }, slack('U0ANA'));
    if (!late.ok || !early.ok) throw new Error('occur applies to an open task');
    expect(late.value.task).toMatchObject({ occurrences: 2, lastSeenAt: minutes(12) });
    expect(early.value.task).toMatchObject({ occurrences: 2, lastSeenAt: minutes(10) });
  });
});

describe('the time of a change', () => {
  const source = (now: string) => ({
    actor: { type: 'source' as const, id: 'alertmanager' },
    via: 'ingest' as const,
    now: new Date(now),
  });
  const open = () => aTask({ id: 'TMS-7' }); // opened, its clocks started, at T0

  it('is the source’s own time for its resolve and acknowledge, within the task’s life', () => {
    const resolved = applyAction(
      open(),
      { type: 'resolve', resolution: null, at: minutes(9) },
      source(minutes(10)),
    );
    const acked = applyAction(open(), { type: 'acknowledge', at: minutes(4) }, source(minutes(5)));
    if (!resolved.ok || !acked.ok) throw new Error('both apply to an open task');
    expect(resolved.value.task).toMatchObject({ resolvedAt: minutes(9), updatedAt: minutes(10) });
    expect(acked.value.task.acknowledgedAt).toBe(minutes(4));
  });

  it('never puts a source’s resolve before its task opened or was acknowledged, nor after now', () => {
    const acked = { ...open(), status: 'acknowledged' as const, acknowledgedAt: minutes(3) };
    const before = applyAction(
      acked,
      { type: 'resolve', resolution: null, at: minutes(1) },
      source(minutes(10)),
    );
    const ahead = applyAction(
      open(),
      { type: 'resolve', resolution: null, at: minutes(20) },
      source(minutes(10)),
    );
    const ackedEarly = applyAction(open(), { type: 'acknowledge', at: minutes(-5) }, source(minutes(10)));
    if (!before.ok || !ahead.ok || !ackedEarly.ok) throw new Error('all apply');
    expect(before.value.task.resolvedAt).toBe(minutes(3));
    expect(ahead.value.task.resolvedAt).toBe(minutes(10));
    expect(ackedEarly.value.task.acknowledgedAt).toBe(T0);
  });

  it('is now for a person: nobody back-dates their own resolve', () => {
    const resolved = applyAction(
      open(),
      { type: 'resolve', resolution: 'done', at: minutes(1) },
      slack('U0ANA', minutes(10)),
    );
    if (!resolved.ok) throw new Error('resolve applies to an open task');
    expect(resolved.value.task.resolvedAt).toBe(minutes(10));
  });

  it('restarts a flapping task’s clocks when it fired again, not before it was resolved', () => {
    const resolved = {
      ...open(),
      status: 'resolved' as const,
      resolvedAt: minutes(10),
      resolvedBy: 'alertmanager',
    };
    const reopened = applyAction(
      resolved,
      { type: 'reopen', flap: true, at: minutes(14), reportedAt: '2025-09-16T16:55:00.000Z' },
      source(minutes(15)),
    );
    if (!reopened.ok) throw new Error('reopen applies to a resolved task');
    expect(reopened.value.task).toMatchObject({
      lastSeenAt: minutes(14),
      ackDueAt: minutes(14 + 15), // a P2 has 15 minutes to be acknowledged
      reportedAt: '2025-09-16T16:55:00.000Z',
    });
  });
});

describe('an edit of what a task says', () => {
  const task = () =>
    aTask({
      id: 'TMS-9',
      title: 'Disk full on db-1',
      description: 'Seen at 09:00',
      labels: { env: 'prod', team: 'storage' },
      assignee: 'U0ANA',
      status: 'acknowledged',
    });

  it('changes the title, description and labels in one version, with one entry of before and after', () => {
    const result = applyAction(
      task(),
      {
        type: 'edit',
        title: '  Disk full on db-1 (replica) ',
        description: ' Seen at 09:00 and 09:30 ',
        labels: { env: 'prod', region: 'eu-west-1' },
      },
      slack('U0ANA', minutes(4)),
    );
    if (!result.ok) throw result.error;
    expect(result.value.task).toMatchObject({
      title: 'Disk full on db-1 (replica)',
      description: 'Seen at 09:00 and 09:30',
      labels: { env: 'prod', region: 'eu-west-1' },
      status: 'acknowledged',
      assignee: 'U0ANA',
      updatedAt: minutes(4),
    });
    expect(result.value.entries).toEqual([
      expect.objectContaining({
        type: 'edited',
        title: { from: 'Disk full on db-1', to: 'Disk full on db-1 (replica)' },
        description: { from: 'Seen at 09:00', to: 'Seen at 09:00 and 09:30' },
        labels: { set: { region: 'eu-west-1' }, removed: ['team'], more: 0 },
        actor: { type: 'user', id: 'U0ANA' },
        version: 2,
        seq: 0,
      }),
    ]);
  });

  it('names only what changed, and keeps its entry small whatever the task holds', () => {
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, n) => [`k${n}`, 'v'.repeat(200)]));
    const long = 'x'.repeat(4000);
    const result = applyAction(
      task(),
      { type: 'edit', title: 'Disk full on db-1', description: long, labels: many },
      slack('U0ANA'),
    );
    if (!result.ok) throw result.error;
    const [entry] = result.value.entries;
    if (entry?.type !== 'edited') throw new Error('no edited entry');
    expect(entry.title).toBeUndefined();
    expect(result.value.task.description).toBe(long);
    expect(entry.description?.to).toHaveLength(500);
    expect(entry.description?.to.endsWith('…')).toBe(true);
    expect(Object.keys(entry.labels?.set ?? {})).toHaveLength(12);
    expect(entry.labels?.removed).toEqual(['env', 'team']);
    expect(entry.labels?.more).toBe(40 - 12);
    expect(Buffer.byteLength(JSON.stringify(entry))).toBeLessThan(8_000);
  });

  it('keeps labels named like Object.prototype’s members as labels', () => {
    const result = applyAction(
      task(),
      { type: 'edit', labels: JSON.parse('{"constructor":"a","toString":"b"}') },
      slack('U0ANA'),
    );
    if (!result.ok) throw result.error;
    expect({ ...result.value.task.labels }).toEqual({ constructor: 'a', toString: 'b' });
  });

  it('refuses an edit that changes nothing, a blank title, and what a task cannot keep', () => {
    for (const [command, code] of [
      [{ type: 'edit', title: 'Disk full on db-1', labels: { team: 'storage', env: 'prod' } }, 'NO_CHANGE'],
      [{ type: 'edit' }, 'NO_CHANGE'],
      [{ type: 'edit', title: '   ' }, 'INVALID_INPUT'],
      [{ type: 'edit', title: 't'.repeat(301) }, 'INVALID_INPUT'],
      [{ type: 'edit', description: 'd'.repeat(4001) }, 'INVALID_INPUT'],
      [
        {
          type: 'edit',
          labels: Object.fromEntries(Array.from({ length: 300 }, (_, n) => [`k${n}`, 'v'.repeat(250)])),
        },
        'INVALID_INPUT',
      ],
    ] as [LifecycleAction, string][]) {
      const result = applyAction(task(), command, slack('U0ANA'));
      expect(result.ok, JSON.stringify(command).slice(0, 80)).toBe(false);
      if (!result.ok) expect(result.error.code).toBe(code);
    }
  });

  it('puts a resolved task’s words right without reopening it or moving its clocks', () => {
    const resolved = aTask({
      id: 'TMS-10',
      status: 'resolved',
      resolvedAt: minutes(-5),
      resolvedBy: 'U0ANA',
    });
    const result = applyAction(resolved, { type: 'edit', title: 'Postmortem: disk full' }, slack('U0BEN'));
    if (!result.ok) throw result.error;
    expect(result.value.task).toMatchObject({
      status: 'resolved',
      resolvedAt: resolved.resolvedAt,
      ackDueAt: resolved.ackDueAt,
      resolveDueAt: resolved.resolveDueAt,
      title: 'Postmortem: disk full',
    });
  });
});
