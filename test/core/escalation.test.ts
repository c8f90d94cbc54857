import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/core/config.js';
import {
  checkEscalation,
  groupMembers,
  PAUSE_CHECK_MS,
  planEscalation,
  resolveTarget,
  snapshotEscalation,
  withNotified,
} from '../../src/core/escalation.js';
import {
  type Escalation,
  type EscalationStepSnapshot,
  MAX_ESCALATION_STEPS,
  MAX_GROUP_MEMBERS,
  MAX_NOTIFIED,
} from '../../src/core/escalation-policy.js';
import { applyAction } from '../../src/core/lifecycle.js';
import type { Task, TaskKind } from '../../src/core/task.js';
import { buildTask } from '../../src/core/use-cases/open-task.js';
import { aTask, slack, T0 } from '../helpers/factories.js';

const MINUTE = 60_000;
const now = new Date(T0);
const at = (ms: number) => new Date(now.getTime() + ms);

const config = parseConfig(`
services:
  checkout: { team: payments, escalation: loud }
  search: { team: discovery }
teams:
  payments: { channel: C0PAYMENTS }
  discovery: {}
escalations:
  loud:
    - { wait: 5m }
    - { notify: oncall }
    - { wait: 10m }
    - { notify: channel }
    - { repeat: 1 }
`);

/** An escalation at its start (or wherever `fields` put it), of the given steps. */
const escalationOf = (steps: EscalationStepSnapshot[], fields: Partial<Escalation> = {}): Escalation => ({
  policy: 'loud',
  steps,
  run: 1,
  at: 0,
  round: 0,
  state: 'running',
  taken: 0,
  notified: [],
  startedAt: T0,
  ...fields,
});

const wait = (minutes: number): EscalationStepSnapshot => ({ type: 'wait', ms: minutes * MINUTE });
const notify = (target: string): EscalationStepSnapshot => ({ type: 'notify', target });
const repeat = (times: number): EscalationStepSnapshot => ({ type: 'repeat', times });

/**
 * Plans and takes steps as the state machine would (a wait waited out on the clock) until the policy ends, and
 * says what it notified, in order; `manual`: as if a person asked for every step.
 */
function walk(escalation: Escalation, options: { manual?: boolean; bound?: number } = {}) {
  let current = escalation;
  let clock = now;
  const notified: string[] = [];
  const bound = options.bound ?? 1_000;
  for (let calls = 1; calls <= bound; calls++) {
    const plan = planEscalation(current, clock, options.manual ? { manual: true } : {});
    if (plan.kind === 'end') return { notified, calls, end: plan.escalation };
    if (plan.kind === 'resend') throw new Error('nothing is pending in a walk');
    if (plan.kind === 'wait') {
      if (!plan.escalation) throw new Error('a walk waits every wait out before it asks again');
      current = plan.escalation;
      clock = new Date(clock.getTime() + plan.ms);
      continue;
    }
    notified.push(plan.target);
    current = plan.escalation;
  }
  throw new Error(`no end within ${bound} calls`);
}

describe('an escalation policy in the config', () => {
  const issuesOf = (text: string) => {
    try {
      parseConfig(text);
    } catch (error) {
      return (error as { issues: unknown[] }).issues;
    }
    return [];
  };

  it('reads every target a step may name, and snapshots them as steps in milliseconds', () => {
    // Prepare
    const text = `
services:
  checkout: { escalation: every }
escalations:
  every:
    - { notify: oncall }
    - { wait: 30s }
    - { notify: next }
    - { wait: 7d }
    - { notify: channel }
    - { notify: team }
    - { notify: assignee }
    - { notify: sns }
    - { notify: U0ANA }
    - { notify: S0PAYMENTS }
    - { repeat: 10 }
`;

    // Act
    const read = parseConfig(text);
    const snapshot = snapshotEscalation(read, 'checkout', 'P1', now);

    // Assess
    expect(snapshot?.steps).toEqual([
      notify('oncall'),
      { type: 'wait', ms: 30_000 },
      notify('next'),
      { type: 'wait', ms: 7 * 86_400_000 },
      notify('channel'),
      notify('team'),
      notify('assignee'),
      notify('sns'),
      notify('U0ANA'),
      notify('S0PAYMENTS'),
      repeat(10),
    ]);
  });

  it.each([
    ['no notify step', '    - { wait: 5m }\n', 'escalations.p', 'a policy needs at least one notify step'],
    [
      'a repeat before the last step',
      '    - { repeat: 2 }\n    - { wait: 5m }\n    - { notify: oncall }\n',
      'escalations.p',
      'repeat goes last: it starts the policy over from its first step',
    ],
    [
      'a repeat with no wait (its rounds would page in one burst)',
      '    - { notify: oncall }\n    - { repeat: 3 }\n',
      'escalations.p',
      'a policy that repeats needs a wait, or its rounds would page in one burst',
    ],
    [
      'a wait over a week',
      '    - { wait: 8d }\n    - { notify: oncall }\n',
      'escalations.p.0.wait',
      'at most a week (7d)',
    ],
  ])('refuses %s, saying why', (_, steps, path, message) => {
    expect(issuesOf(`escalations:\n  p:\n${steps}`)).toEqual([{ path, line: expect.any(Number), message }]);
  });

  it('refuses a target it does not know, at its line', () => {
    expect(issuesOf('escalations:\n  p:\n    - { notify: pager }\n')).toEqual([
      expect.objectContaining({ path: 'escalations.p.0.notify', line: 3 }),
    ]);
  });

  it(`takes ${MAX_ESCALATION_STEPS} steps and refuses one more`, () => {
    const policy = (n: number) => `escalations:\n  p: [${Array(n).fill('{ notify: oncall }').join(', ')}]\n`;
    expect(parseConfig(policy(MAX_ESCALATION_STEPS)).escalations.p).toHaveLength(MAX_ESCALATION_STEPS);
    expect(issuesOf(policy(MAX_ESCALATION_STEPS + 1))).toEqual([
      expect.objectContaining({ path: 'escalations.p', line: 2, message: expect.stringContaining('20') }),
    ]);
  });

  it('escalates P1 and P2 and reminds after an hour unless told otherwise; `false` never reminds', () => {
    expect(parseConfig('').escalation).toEqual({ priorities: ['P1', 'P2'], remindAfter: 3_600_000 });
    expect(parseConfig('escalation: { priorities: [P1], remindAfter: false }\n').escalation).toEqual({
      priorities: ['P1'],
      remindAfter: false,
    });
    expect(parseConfig('escalation: { remindAfter: 30m }\n').escalation.remindAfter).toBe(30 * MINUTE);
  });

  it('refuses a service naming a policy that is not in escalations', () => {
    expect(issuesOf('services:\n  checkout: { escalation: loud }\n')).toEqual([
      {
        path: 'services.checkout.escalation',
        line: 2,
        message: 'no escalation policy "loud" in escalations',
      },
    ]);
  });
});

describe('the escalation a task opens with', () => {
  const open = (kind: TaskKind, priority: Task['priority'] = 'P1', with_ = config) =>
    buildTask(
      'TMS-1',
      {
        title: 'Checkout latency above 2s',
        description: '',
        priority,
        route: { service: 'checkout', team: 'payments', channel: 'C0PAYMENTS' },
        source: kind === 'chore' ? 'schedule' : kind === 'manual' ? 'slack' : 'generic',
        kind,
        fingerprint: null,
        assignee: null,
        labels: {},
        links: [],
        seenAt: T0,
      },
      with_,
      slack('U0ANA'),
    ).task;

  it('is its service’s policy for an escalated priority, from its start (already in a first wait)', () => {
    expect(snapshotEscalation(config, 'checkout', 'P2', now)).toEqual({
      policy: 'loud',
      steps: [wait(5), notify('oncall'), wait(10), notify('channel'), repeat(1)],
      run: 1,
      at: 1,
      round: 0,
      state: 'running',
      taken: 0,
      notified: [],
      startedAt: T0,
      waitUntil: at(5 * MINUTE).toISOString(),
    });
    const paging = parseConfig('services:\n  s: { escalation: p }\nescalations:\n  p: [{ notify: sns }]\n');
    expect(snapshotEscalation(paging, 's', 'P1', now)).toEqual(
      escalationOf([notify('sns')], { policy: 'p' }),
    );
  });

  it('is none for a priority the config does not escalate, a service without a policy, or an unknown one', () => {
    expect(snapshotEscalation(config, 'checkout', 'P3', now)).toBeUndefined();
    expect(snapshotEscalation(config, 'search', 'P1', now)).toBeUndefined();
    expect(snapshotEscalation(config, 'nosuch', 'P1', now)).toBeUndefined();
    expect(snapshotEscalation(config, '__proto__', 'P1', now)).toBeUndefined();
    const p3Too = { ...config, escalation: { ...config.escalation, priorities: ['P3' as const] } };
    expect(snapshotEscalation(p3Too, 'checkout', 'P3', now)?.policy).toBe('loud');
  });

  it('is carried by alert and hand-made tasks, never by a chore', () => {
    expect(open('alert').escalation?.policy).toBe('loud');
    expect(open('manual').escalation?.policy).toBe('loud');
    expect(open('chore').escalation).toBeUndefined();
    expect(open('alert', 'P4').escalation).toBeUndefined();
  });

  it('stays as it was when the task opened after the config changes', () => {
    // Prepare
    const task = open('alert');
    const before = structuredClone(task.escalation);
    const edited = parseConfig(`
services:
  checkout: { team: payments, escalation: loud }
teams:
  payments: { channel: C0PAYMENTS }
escalations:
  loud:
    - { notify: sns }
`);

    // Act: the next step is planned from the task alone, whatever the config now says.
    const plan = planEscalation(task.escalation as Escalation, now);

    // Assess
    expect(open('alert', 'P1', edited).escalation?.steps).toEqual([notify('sns')]);
    expect(task.escalation).toEqual(before);
    expect(plan).toMatchObject({ kind: 'wait', ms: 5 * MINUTE });
  });
});

describe('the next step of an escalation', () => {
  const loud = [wait(5), notify('oncall'), wait(10), notify('channel'), repeat(1)];

  it('waits, recording when the wait ends, and moves past the wait step', () => {
    expect(planEscalation(escalationOf(loud), now)).toEqual({
      kind: 'wait',
      ms: 5 * MINUTE,
      escalation: escalationOf(loud, { at: 1, waitUntil: at(5 * MINUTE).toISOString() }),
    });
  });

  it('notifies, counting the step from one and the notification as taken', () => {
    expect(planEscalation(escalationOf(loud, { at: 1 }), now)).toEqual({
      kind: 'notify',
      step: 2,
      target: 'oncall',
      escalation: escalationOf(loud, { at: 2, taken: 1 }),
    });
  });

  it('goes back to the first step at a repeat while rounds are left, then ends', () => {
    const again = planEscalation(escalationOf(loud, { at: 4 }), now);
    expect(again).toMatchObject({ kind: 'wait', escalation: { at: 1, round: 1 } });
    const over = planEscalation(escalationOf(loud, { at: 4, round: 1 }), now);
    expect(over).toEqual({
      kind: 'end',
      escalation: escalationOf(loud, { at: 5, round: 1, state: 'ended' }),
    });
  });

  it('ends past the last step of a policy without a repeat', () => {
    const once = [notify('oncall')];
    expect(planEscalation(escalationOf(once, { at: 1, taken: 1 }), now)).toEqual({
      kind: 'end',
      escalation: escalationOf(once, { at: 1, taken: 1, state: 'ended' }),
    });
  });

  it('waits out the rest of a wait already begun, without moving on', () => {
    const begun = escalationOf(loud, { at: 1, waitUntil: at(5 * MINUTE).toISOString() });
    expect(planEscalation(begun, at(2 * MINUTE))).toEqual({ kind: 'wait', ms: 3 * MINUTE });
    // Once it is over, the next step, and the wait's end is dropped.
    const after = planEscalation(begun, at(5 * MINUTE));
    expect(after).toMatchObject({ kind: 'notify', step: 2 });
    expect(after.kind === 'notify' && 'waitUntil' in after.escalation).toBe(false);
  });

  it('sends a pending step again before anything else, even a person’s request', () => {
    const pending = {
      step: 2,
      round: 0,
      targets: [{ kind: 'user' as const, id: 'U0ANA', as: 'oncall' as const }],
    };
    const stuck = escalationOf(loud, { at: 2, taken: 1, pending });
    expect(planEscalation(stuck, now)).toEqual({ kind: 'resend', pending });
    expect(planEscalation(stuck, now, { manual: true })).toEqual({ kind: 'resend', pending });
  });

  it('passes over waits to the next notification when a person asks, a wait begun included', () => {
    expect(planEscalation(escalationOf(loud), now, { manual: true })).toMatchObject({
      kind: 'notify',
      step: 2,
      target: 'oncall',
    });
    const waiting = escalationOf(loud, { at: 3, waitUntil: at(10 * MINUTE).toISOString() });
    expect(planEscalation(waiting, now, { manual: true })).toMatchObject({
      kind: 'notify',
      step: 4,
      target: 'channel',
      escalation: { at: 4 },
    });
    // Past the last notification of the last round there is nothing more to ask for.
    expect(planEscalation(escalationOf(loud, { at: 4, round: 1 }), now, { manual: true })).toMatchObject({
      kind: 'end',
    });
  });

  it('walks the example policy: each notification once per round, two rounds, then the end', () => {
    const { notified, end } = walk(escalationOf(loud));
    expect(notified).toEqual(['oncall', 'channel', 'oncall', 'channel']);
    expect(end).toMatchObject({ state: 'ended', taken: 4, round: 1 });
  });

  const step: fc.Arbitrary<EscalationStepSnapshot> = fc.oneof(
    fc.integer({ min: 1, max: 7 * 24 * 60 }).map(wait),
    fc.constantFrom('oncall', 'next', 'channel', 'assignee', 'sns', 'U0ANA', 'S0OPS').map(notify),
  );
  /** A policy the config accepts: up to 20 steps, one notify at least, a repeat only last. */
  const policy: fc.Arbitrary<EscalationStepSnapshot[]> = fc
    .tuple(
      fc.array(step, { minLength: 1, maxLength: MAX_ESCALATION_STEPS }),
      fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined }),
    )
    .filter(([steps]) => steps.some((s) => s.type === 'notify'))
    .map(([steps, times]) =>
      times === undefined ? steps : [...steps.slice(0, MAX_ESCALATION_STEPS - 1), repeat(times)],
    );

  it('ends for every policy, having notified each notify step once per round', () => {
    fc.assert(
      fc.property(policy, fc.boolean(), (steps, manual) => {
        const rounds = 1 + (steps.at(-1)?.type === 'repeat' ? (steps.at(-1) as { times: number }).times : 0);
        const notifies = steps.filter((s) => s.type === 'notify');
        if (notifies.length === 0) return; // the repeat took the place of the only notify
        const { notified, calls, end } = walk(escalationOf(steps), {
          manual,
          bound: steps.length * rounds + 1,
        });
        expect(notified).toHaveLength(notifies.length * rounds);
        expect(notified.slice(0, notifies.length)).toEqual(
          notifies.map((s) => (s as { target: string }).target),
        );
        expect(end).toMatchObject({ state: 'ended', taken: notified.length, round: rounds - 1 });
        expect(calls).toBeLessThanOrEqual(steps.length * rounds + 1);
      }),
    );
  });
});

describe('whether an escalation may take a step', () => {
  const running = escalationOf([notify('oncall')]);
  const open = (fields: Partial<Task> = {}) => aTask({ escalation: running, ...fields });

  it('goes on while the task is open and the run is its current one', () => {
    expect(checkEscalation(open(), 1, now)).toEqual({ state: 'go' });
    expect(checkEscalation(open({ snoozedUntil: at(-MINUTE).toISOString() }), 1, now)).toEqual({
      state: 'go',
    });
  });

  it('pauses while it is snoozed, looking again at the snooze’s end or in five minutes at most', () => {
    const snoozed = (ms: number) => open({ snoozedUntil: at(ms).toISOString() });
    expect(checkEscalation(snoozed(2 * MINUTE + 500), 1, now)).toEqual({ state: 'paused', seconds: 121 });
    expect(checkEscalation(snoozed(60 * MINUTE), 1, now)).toEqual({
      state: 'paused',
      seconds: PAUSE_CHECK_MS / 1000,
    });
    expect(checkEscalation(snoozed(1), 1, now)).toEqual({ state: 'paused', seconds: 1 });
  });

  it.each([
    ['acknowledged', open({ status: 'acknowledged' }), 1, 'acknowledged'],
    ['in progress', open({ status: 'in_progress' }), 1, 'in_progress'],
    ['resolved', open({ status: 'resolved' }), 1, 'resolved'],
    ['replaced by another run', open({ escalation: { ...running, run: 2 } }), 1, 'run 2 replaced it'],
    ['ended', open({ escalation: { ...running, state: 'ended' } }), 1, 'ended'],
    ['failed', open({ escalation: { ...running, state: 'failed', error: 'x' } }), 1, 'failed'],
    ['without an escalation', aTask(), 1, 'no escalation'],
    ['of a task that is gone', undefined, 1, 'no escalation'],
  ])('stops when %s', (_, task, run, reason) => {
    expect(checkEscalation(task, run, now)).toEqual({ state: 'stopped', reason });
  });
});

describe('whom a notify step reaches', () => {
  const payments = { team: 'payments', channel: 'C0TASK', assignee: null };
  const onCall = { now: 'U01AAA', next: 'U01BBB' };

  it('reaches whoever is on call now, or next', () => {
    expect(resolveTarget('oncall', payments, config, onCall)).toEqual({
      targets: [{ kind: 'user', id: 'U01AAA', as: 'oncall' }],
    });
    expect(resolveTarget('next', payments, config, onCall)).toEqual({
      targets: [{ kind: 'user', id: 'U01BBB', as: 'next' }],
    });
  });

  it('reaches nobody without a rotation, and says why', () => {
    expect(resolveTarget('oncall', payments, config, undefined)).toEqual({
      targets: [],
      note: 'payments has no on-call rotation',
    });
    expect(resolveTarget('next', { ...payments, team: null }, config, undefined)).toEqual({
      targets: [],
      note: 'the task has no team, so nobody is on call for it',
    });
  });

  it('reaches the holder; with nobody holding it, the on-call; else nobody, saying why', () => {
    expect(resolveTarget('assignee', { ...payments, assignee: 'U0ANA' }, config, onCall)).toEqual({
      targets: [{ kind: 'user', id: 'U0ANA', as: 'assignee' }],
    });
    expect(resolveTarget('assignee', payments, config, onCall)).toEqual({
      targets: [{ kind: 'user', id: 'U01AAA', as: 'oncall' }],
      note: 'nobody holds it: its on-call',
    });
    expect(resolveTarget('assignee', payments, config, undefined)).toEqual({
      targets: [],
      note: 'nobody holds it and payments has no on-call rotation',
    });
  });

  it('reaches the team’s channel, else the task’s own', () => {
    const teamChannel = { targets: [{ kind: 'channel', id: 'C0PAYMENTS' }] };
    expect(resolveTarget('channel', payments, config, undefined)).toEqual(teamChannel);
    expect(resolveTarget('team', payments, config, undefined)).toEqual(teamChannel);
    const taskChannel = { targets: [{ kind: 'channel', id: 'C0TASK' }] };
    expect(resolveTarget('channel', { ...payments, team: 'discovery' }, config, undefined)).toEqual(
      taskChannel,
    );
    expect(resolveTarget('channel', { ...payments, team: null }, config, undefined)).toEqual(taskChannel);
    expect(resolveTarget('channel', { ...payments, team: '__proto__' }, config, undefined)).toEqual(
      taskChannel,
    );
  });

  it('reaches the topic, a named person, or a user group', () => {
    expect(resolveTarget('sns', payments, config, onCall)).toEqual({ targets: [{ kind: 'sns' }] });
    expect(resolveTarget('U0ANA', payments, config, onCall)).toEqual({
      targets: [{ kind: 'user', id: 'U0ANA', as: 'named' }],
    });
    expect(resolveTarget('S0OPS', payments, config, onCall)).toEqual({
      targets: [{ kind: 'group', id: 'S0OPS' }],
    });
  });
});

describe('whom a run remembers as notified', () => {
  it('adds each once, in order, keeping the first MAX_NOTIFIED', () => {
    expect(withNotified(['U0ANA'], ['U0BEN', 'U0ANA', 'channel:C0X', 'U0BEN'])).toEqual([
      'U0ANA',
      'U0BEN',
      'channel:C0X',
    ]);
    const many = Array.from({ length: MAX_NOTIFIED + 5 }, (_, i) => `U0${i}`);
    const kept = withNotified(['sns'], many);
    expect(kept).toHaveLength(MAX_NOTIFIED);
    expect(kept.slice(0, 2)).toEqual(['sns', 'U00']);
  });

  it('pages a user group’s members each once, at most MAX_GROUP_MEMBERS', () => {
    expect(groupMembers(['U0A', 'U0B', 'U0A'])).toEqual(['U0A', 'U0B']);
    const many = Array.from({ length: MAX_GROUP_MEMBERS + 3 }, (_, i) => `U0${i}`);
    expect(groupMembers(many)).toEqual(many.slice(0, MAX_GROUP_MEMBERS));
  });
});

describe('a reopened task', () => {
  it('escalates again from the start of the same policy, as the next run', () => {
    // Prepare
    const steps = [wait(5), notify('oncall'), repeat(1)];
    const done = escalationOf(steps, {
      at: 3,
      round: 1,
      taken: 2,
      state: 'ended',
      notified: ['U01AAA'],
      waitUntil: T0,
      pending: { step: 2, round: 1, targets: [{ kind: 'sns' }] },
    });
    const resolved = aTask({
      status: 'resolved',
      resolvedAt: T0,
      resolvedBy: 'U0ANA',
      resolution: 'fixed',
      escalation: done,
    });
    const later = at(30 * MINUTE);

    // Act
    const reopened = applyAction(resolved, { type: 'reopen' }, slack('U0ANA', later));

    // Assess
    if (!reopened.ok) throw reopened.error;
    expect(reopened.value.task.status).toBe('open');
    // The policy opens with a wait: the new run is already in it.
    expect(reopened.value.task.escalation).toEqual(
      escalationOf(steps, {
        run: 2,
        at: 1,
        startedAt: later.toISOString(),
        waitUntil: new Date(later.getTime() + 5 * MINUTE).toISOString(),
      }),
    );
    expect(checkEscalation(reopened.value.task, 1, later)).toMatchObject({ state: 'stopped' });
    expect(checkEscalation(reopened.value.task, 2, later)).toEqual({ state: 'go' });
  });

  it('without an escalation, reopens without one', () => {
    const resolved = aTask({ status: 'resolved', resolvedAt: T0, resolvedBy: 'U0ANA' });
    const reopened = applyAction(resolved, { type: 'reopen' }, slack('U0ANA', at(MINUTE)));
    if (!reopened.ok) throw reopened.error;
    expect(reopened.value.task.escalation).toBeUndefined();
  });
});
