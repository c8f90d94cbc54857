import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/core/config.js';
import { isAtRisk, isBreached, slaClock, snapshotSla } from '../../src/core/sla.js';
import { aTask, T0 } from '../helpers/factories.js';

const at = (minutes: number) => new Date(Date.parse(T0) + minutes * 60_000);

describe('SLA clocks', () => {
  // A P1 opened at T0: 5 minutes to acknowledge, 1 hour to resolve; at risk at 80% of a window.
  const task = aTask({ priority: 'P1' });

  it('are ok, then at risk, then breached as time passes', () => {
    expect(slaClock(task, 'ack', at(1)).state).toBe('ok');
    expect(isAtRisk(task, 'ack', at(3.99))).toBe(false);
    expect(isAtRisk(task, 'ack', at(4))).toBe(true);
    expect(isBreached(task, 'ack', at(5))).toBe(false);
    expect(isBreached(task, 'ack', at(5.01))).toBe(true);
    expect(slaClock(task, 'resolve', at(48)).state).toBe('at_risk');
    expect(slaClock(task, 'resolve', at(30))).toMatchObject({
      state: 'ok',
      used: 0.5,
      remainingMs: 30 * 60_000,
    });
  });

  it('stop when the stage is done: met in time, missed when late', () => {
    const acked = { ...task, acknowledgedAt: at(3).toISOString() };
    expect(slaClock(acked, 'ack', at(500)).state).toBe('met');
    const late = { ...task, acknowledgedAt: at(7).toISOString(), resolvedAt: at(61).toISOString() };
    expect(slaClock(late, 'ack', at(500)).state).toBe('missed');
    expect(slaClock(late, 'resolve', at(500)).state).toBe('missed');
  });

  it('keep the policy the task opened with, whatever the config says later', () => {
    const stricter = parseConfig('sla: { P1: { ack: 1m, resolve: 10m }, atRisk: 0.5 }');
    expect(snapshotSla(stricter).windows.P1).toEqual({ ack: 60_000, resolve: 600_000 });
    expect(task.sla.windows.P1).toEqual({ ack: 300_000, resolve: 3_600_000 });
    expect(slaClock(task, 'ack', at(3)).state).toBe('ok');
  });
});
