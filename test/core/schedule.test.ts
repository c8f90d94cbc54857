import { describe, expect, it } from 'vitest';
import {
  checkSchedule,
  configScheduleId,
  everyText,
  LATE_AFTER_MS,
  newSchedule,
  planRun,
  readEvery,
  SCHEDULE_ID,
  type ScheduleRequest,
  scheduleIdFrom,
  statusAfter,
  upcomingRuns,
} from '../../src/core/schedule.js';

const daily = { at: '2026-12-01T08:00:00.000Z', every: 'day', timezone: 'Europe/Berlin' };

describe('planRun: the missed-run rule', () => {
  it('runs a run that is due on time, not late, and goes on to the next occurrence', () => {
    // Act
    const plan = planRun(daily, new Date('2026-12-03T08:00:00.000Z'), new Date('2026-12-03T08:00:40.000Z'));
    // Assess
    expect(plan).toEqual({ late: false, skipped: 0, next: new Date('2026-12-04T08:00:00.000Z') });
  });

  it('runs a run missed for days once, late, counts the occurrences it passes over, and goes on from after now', () => {
    // Act: TMS was down from before 3 December 09:00 (Berlin) until 6 December 10:00
    const plan = planRun(daily, new Date('2026-12-03T08:00:00.000Z'), new Date('2026-12-06T09:00:00.000Z'));
    // Assess: the 4th, 5th and 6th passed too; the 7th is next
    expect(plan).toEqual({ late: true, skipped: 3, next: new Date('2026-12-07T08:00:00.000Z') });
  });

  it(`is late only past ${LATE_AFTER_MS / 60_000} minutes, and a one-off has no next run`, () => {
    // Prepare
    const due = new Date('2026-12-03T08:00:00.000Z');
    const oneOff = { at: due.toISOString(), timezone: 'UTC' };
    // Act
    const justInTime = planRun(oneOff, due, new Date(due.getTime() + LATE_AFTER_MS));
    const late = planRun(oneOff, due, new Date(due.getTime() + LATE_AFTER_MS + 1));
    // Assess
    expect(justInTime).toEqual({ late: false, skipped: 0, next: null });
    expect(late).toEqual({ late: true, skipped: 0, next: null });
  });

  it('stops counting what it skipped at 1,000: a schedule every minute, down for a month, is one run', () => {
    // Act
    const plan = planRun(
      { at: '2026-11-01T00:00:00.000Z', every: '* * * * *', timezone: 'UTC' },
      new Date('2026-11-01T00:00:00.000Z'),
      new Date('2026-12-01T00:00:30.000Z'),
    );
    // Assess
    expect(plan.skipped).toBe(1_000);
    expect(plan.next).toEqual(new Date('2026-12-01T00:01:00.000Z'));
  });
});

describe('how a schedule is read and checked', () => {
  const request: ScheduleRequest = {
    title: '  Rotate the keys ',
    at: new Date('2027-01-04T08:00:00.000Z'),
    timezone: 'Europe/Berlin',
    action: 'task',
    service: 'checkout',
  };

  it.each([
    ['daily', 'day'],
    ['Weekly', 'week'],
    ['workdays', 'weekday'],
    ['month', 'month'],
    ['0  9 * * 1-5', '0 9 * * 1-5'],
  ])('reads every %s as %s', (text, read) => {
    expect(readEvery(text)).toEqual({ ok: true, value: read });
  });

  it('refuses an every it cannot read, saying what it takes', () => {
    expect(readEvery('fortnight')).toMatchObject({
      ok: false,
      error: expect.stringContaining('is not day, week'),
    });
    expect(readEvery('0 9 * *')).toMatchObject({ ok: false, error: expect.stringContaining('five fields') });
  });

  it('keeps a request it can run, trimmed, and refuses each thing it cannot', () => {
    expect(checkSchedule(request, ['checkout'])).toEqual({
      ok: true,
      value: { ...request, title: 'Rotate the keys' },
    });
    const refusals = [
      { ...request, title: '  ' },
      { ...request, timezone: 'Mars/Olympus' },
      { ...request, service: 'payroll' },
      { ...request, assignee: 'ben' },
      { ...request, action: 'message' as const },
      { ...request, action: 'webhook' as const },
      { ...request, url: 'https://hooks.example/x' },
      { ...request, action: 'message' as const, channel: '#general' },
      { ...request, every: 'now and then' },
    ].map((r) => checkSchedule(r, ['checkout']));
    expect(refusals.map((r) => r.ok)).toEqual(Array(9).fill(false));
  });

  it('makes a schedule due first at its first run, with an id of its form', () => {
    // Act
    const made = newSchedule(request, {
      id: scheduleIdFrom('4F2A-99bc-xyz-0000'),
      createdBy: 'U01AAA',
      createdAt: new Date('2026-12-02T10:00:00.000Z'),
      origin: 'slack',
    });
    // Assess
    expect(made).toMatchObject({
      id: 'SCH-4f2a99bc',
      status: 'scheduled',
      nextRunAt: '2027-01-04T08:00:00.000Z',
      lastRun: null,
      version: 1,
    });
    expect(scheduleIdFrom('x')).toMatch(SCHEDULE_ID);
    expect(upcomingRuns({ ...made, every: 'month' }, new Date('2026-12-02T10:00:00.000Z'), 3)).toEqual([
      new Date('2027-01-04T08:00:00.000Z'),
      new Date('2027-02-04T08:00:00.000Z'),
      new Date('2027-03-04T08:00:00.000Z'),
    ]);
  });

  it('names a config entry by what it says, so an edit is a new schedule and a repeat is the same one', () => {
    const entry = { title: 'Rotate', at: '2027-01-04T09:00:00', every: 'month', timezone: 'Europe/Berlin' };
    expect(configScheduleId(entry)).toBe(configScheduleId({ ...entry }));
    expect(configScheduleId(entry)).not.toBe(configScheduleId({ ...entry, every: 'week' }));
    expect(configScheduleId(entry)).toMatch(SCHEDULE_ID);
  });

  it('says how often in words, and what state a schedule is in after a run', () => {
    expect([everyText(undefined), everyText('week'), everyText('0 9 * * 1-5')]).toEqual([
      'once',
      'every week',
      'on cron `0 9 * * 1-5`',
    ]);
    expect(statusAfter('failed', new Date())).toBe('scheduled');
    expect(statusAfter('failed', null)).toBe('failed');
    expect(statusAfter('completed', null)).toBe('completed');
  });
});
