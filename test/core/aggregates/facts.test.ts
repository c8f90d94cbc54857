import { describe, expect, it } from 'vitest';
import { factsOf } from '../../../src/core/aggregates/facts.js';
import { lifeOf } from '../../helpers/changes.js';
import { aTask, T0 } from '../../helpers/factories.js';

const MIN = 60_000;

describe('facts of a task change', () => {
  it('an opened task: opened, and its first occurrence', () => {
    const task = aTask({ priority: 'P2' });
    expect(factsOf({ after: task }).facts).toEqual([
      { type: 'opened', at: T0, flaky: false },
      { type: 'occurred', at: T0, count: 1 },
    ]);
  });

  it('a task a person or a schedule opened: opened, but no alert event', () => {
    for (const kind of ['manual', 'chore'] as const) {
      expect(factsOf({ after: aTask({ kind, fingerprint: null }) }).facts).toEqual([
        { type: 'opened', at: T0, flaky: false },
      ]);
    }
  });

  it('an alert that fired before it was received: its event at the firing, MTTR from the firing', () => {
    // Prometheus fired 3 minutes before TMS opened the task; Alertmanager's endsAt 10 minutes after firing.
    const fired = new Date(Date.parse(T0) - 3 * MIN).toISOString();
    const task = aTask({}, fired);
    const opened = { ...task, createdAt: T0 };
    expect(factsOf({ after: opened }).facts).toContainEqual({ type: 'occurred', at: fired, count: 1 });
    const resolvedAt = new Date(Date.parse(fired) + 10 * MIN).toISOString();
    const resolved = {
      ...opened,
      status: 'resolved' as const,
      resolvedAt,
      resolvedBy: 'alertmanager',
      version: 2,
    };
    expect(factsOf({ before: opened, after: resolved }).facts).toContainEqual(
      expect.objectContaining({ type: 'resolved', at: resolvedAt, tookMs: 10 * MIN, automatic: true }),
    );
  });

  it('a repeat: the occurrences added', () => {
    const life = lifeOf(aTask()).occur(3, 4);
    expect(factsOf(life.changes[1] as never).facts).toEqual([
      { type: 'occurred', at: '2026-03-02T09:03:00.000Z', count: 4 },
    ]);
  });

  it('an acknowledgement: how long after the clock started, and whether in time', () => {
    // P2: 15 minutes to acknowledge.
    const life = lifeOf(aTask({ priority: 'P2' }))
      .act({ type: 'acknowledge' }, 6)
      .act({ type: 'start' }, 7);
    expect(factsOf(life.changes[1] as never).facts).toEqual([
      { type: 'acknowledged', at: '2026-03-02T09:06:00.000Z', tookMs: 6 * MIN, met: true, byPerson: true },
    ]);
    expect(factsOf(life.changes[2] as never).facts).toEqual([]); // start: already acknowledged
    const late = lifeOf(aTask({ priority: 'P2' })).act({ type: 'claim' }, 20);
    expect(factsOf(late.changes[1] as never).facts).toMatchObject([{ type: 'acknowledged', met: false }]);
  });

  it('a resolve by a person: time to resolve, note, who; the ack stage ends with it when nobody acknowledged', () => {
    const life = lifeOf(aTask({ priority: 'P2' })).act(
      { type: 'resolve', resolution: ' Restarted the consumer ' },
      30,
    );
    expect(factsOf(life.changes[1] as never).facts).toEqual([
      {
        type: 'resolved',
        at: '2026-03-02T09:30:00.000Z',
        tookMs: 30 * MIN,
        met: true,
        ackMet: false, // 30 min > 15 min to acknowledge
        by: 'U01AAA',
        note: 'Restarted the consumer',
        automatic: false,
      },
    ]);
  });

  it('a resolve by the source is automatic; a reopen counts as a flap only when the alert fired again', () => {
    const life = lifeOf(aTask())
      .act({ type: 'acknowledge' }, 1)
      .act({ type: 'resolve', resolution: null }, 5, 'generic')
      .act({ type: 'reopen', flap: true }, 8, 'generic')
      .act({ type: 'resolve', resolution: null }, 9)
      .act({ type: 'reopen' }, 10);
    expect(factsOf(life.changes[2] as never).facts).toMatchObject([
      { type: 'resolved', automatic: true, ackMet: null },
    ]);
    expect(factsOf(life.changes[3] as never).facts).toEqual([
      { type: 'occurred', at: '2026-03-02T09:08:00.000Z', count: 1 },
      { type: 'reopened', at: '2026-03-02T09:08:00.000Z', flap: true },
    ]);
    expect(factsOf(life.changes[5] as never).facts).toEqual([
      { type: 'reopened', at: '2026-03-02T09:10:00.000Z', flap: false },
    ]);
  });

  it('a reopened task counts its times from the reopening', () => {
    const life = lifeOf(aTask({ priority: 'P2' }))
      .act({ type: 'resolve', resolution: null }, 5)
      .act({ type: 'reopen' }, 60)
      .act({ type: 'acknowledge' }, 64);
    expect(factsOf(life.changes[3] as never).facts).toMatchObject([
      { type: 'acknowledged', tookMs: 4 * MIN, met: true },
    ]);
  });

  it('an acknowledgement by the source (a PagerDuty-style acknowledge) is not a person’s', () => {
    const life = lifeOf(aTask()).act({ type: 'acknowledge' }, 3, 'generic');
    expect(factsOf(life.changes[1] as never).facts).toMatchObject([
      { type: 'acknowledged', byPerson: false },
    ]);
  });

  it('a change the reports do not count (an assignment, a comment, a snooze) has no facts', () => {
    const life = lifeOf(aTask())
      .act({ type: 'assign', assignee: 'U01BBB' }, 1)
      .act({ type: 'comment', text: 'looking' }, 2)
      .act({ type: 'snooze', until: '2026-03-02T12:00:00.000Z' }, 3);
    for (const change of life.changes.slice(1)) expect(factsOf(change).facts).toEqual([]);
  });

  it('marks a task opened as flaky', () => {
    expect(factsOf({ after: aTask({ labels: { flaky: 'passed 2h ago' } }) }).facts[0]).toMatchObject({
      flaky: true,
    });
  });
});
