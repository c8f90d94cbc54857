import { describe, expect, it } from 'vitest';
import {
  checkCron,
  fromWallTime,
  isTimeZone,
  nextRuns,
  parseWhen,
  wallTime,
} from '../../src/core/schedule-time.js';

const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

describe('parseWhen: a schedule’s first run as people write it, in their time zone', () => {
  // Prepare: a Friday, 2026-12-04 14:00 UTC, which is 15:00 in Berlin and 09:00 in New York
  const now = new Date('2026-12-04T14:00:00Z');

  it.each([
    ['2026-12-24T09:00', 'Europe/Berlin', '2026-12-24T08:00:00.000Z'],
    ['2026-12-24 09:00', 'America/New_York', '2026-12-24T14:00:00.000Z'],
    ['2026-12-24T09:00Z', 'Europe/Berlin', '2026-12-24T09:00:00.000Z'],
    ['2026-12-24T09:00+05:30', 'UTC', '2026-12-24T03:30:00.000Z'],
    ['2026-12-24', 'Europe/Berlin', '2026-12-23T23:00:00.000Z'],
    ['tomorrow 09:00', 'Europe/Berlin', '2026-12-05T08:00:00.000Z'],
    ['tomorrow at 9am', 'America/New_York', '2026-12-05T14:00:00.000Z'],
    ['tomorrow', 'UTC', '2026-12-05T09:00:00.000Z'],
    ['mon 9am', 'Europe/Berlin', '2026-12-07T08:00:00.000Z'],
    ['Friday 5:30pm', 'Europe/Berlin', '2026-12-04T16:30:00.000Z'],
    ['fri 9am', 'Europe/Berlin', '2026-12-11T08:00:00.000Z'],
    ['17:30', 'UTC', '2026-12-04T17:30:00.000Z'],
    ['13:00', 'UTC', '2026-12-05T13:00:00.000Z'],
    ['in 2h', 'Asia/Tokyo', '2026-12-04T16:00:00.000Z'],
    ['in 90 minutes', 'UTC', '2026-12-04T15:30:00.000Z'],
    ['IN 3 DAYS', 'UTC', '2026-12-07T14:00:00.000Z'],
  ])('reads %j in %s as %s', (text, zone, expected) => {
    // Act
    const read = parseWhen(text, now, zone);
    // Assess
    expect(read).toEqual({ ok: true, value: new Date(expected) });
  });

  it.each([
    ['', 'say when'],
    ['someday', 'is not a time TMS reads'],
    ['9', 'is not a time TMS reads'],
    ['25:00', 'is not a time TMS reads'],
    ['13pm', 'is not a time TMS reads'],
    ['2026-02-30T09:00', 'is not a date'],
    ['2026-12-01T09:00', 'has passed'],
    ['today 9am', 'has passed'],
    ['in 0h', 'is not a time TMS reads'],
    [`in ${'9'.repeat(30)}h`, 'say when'],
  ])('refuses %j, saying why (%s)', (text, reason) => {
    const read = parseWhen(text, now, 'UTC');
    expect(read.ok).toBe(false);
    if (!read.ok) expect(read.error).toContain(reason);
  });

  it('reads a hostile text of any length in linear time and refuses it', () => {
    const hostile = `${'tomorrow '.repeat(20_000)}x`;
    expect(parseWhen(hostile, now, 'UTC').ok).toBe(false);
  });
});

describe('wall times and instants across daylight-saving changes', () => {
  it('turns a time the clocks skip into the time it would have been, and a repeated one into one instant', () => {
    // Berlin goes from 02:00 CET to 03:00 CEST on 2026-03-29, and back from 03:00 CEST to 02:00 CET on 2026-10-25
    const gap = fromWallTime({ year: 2026, month: 3, day: 29, hour: 2, minute: 30 }, 'Europe/Berlin');
    expect(gap.toISOString()).toBe('2026-03-29T01:30:00.000Z');
    expect(wallTime(gap, 'Europe/Berlin')).toMatchObject({ hour: 3, minute: 30 });
    const twice = fromWallTime({ year: 2026, month: 10, day: 25, hour: 2, minute: 30 }, 'Europe/Berlin');
    expect(wallTime(twice, 'Europe/Berlin')).toMatchObject({ day: 25, hour: 2, minute: 30 });
  });

  it('knows the zones Slack names, and not others', () => {
    expect(isTimeZone('America/Los_Angeles')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isTimeZone('__proto__')).toBe(false);
  });
});

describe('nextRuns: recurrence in the schedule’s time zone', () => {
  it('keeps a daily 09:00 at 09:00 local time across the spring change', () => {
    const first = fromWallTime({ year: 2026, month: 3, day: 27, hour: 9, minute: 0 }, 'Europe/Berlin');
    const runs = nextRuns(first, 'day', 'Europe/Berlin', new Date('2026-03-26T00:00:00Z'), 4);
    expect(iso(runs)).toEqual([
      '2026-03-27T08:00:00.000Z',
      '2026-03-28T08:00:00.000Z',
      '2026-03-29T07:00:00.000Z',
      '2026-03-30T07:00:00.000Z',
    ]);
  });

  it.each([
    // zone, a daily 09:00 first run (local), the change: the runs before and after it, in UTC
    [
      'Europe/Berlin',
      { year: 2026, month: 10, day: 24 },
      ['2026-10-24T07:00:00.000Z', '2026-10-25T08:00:00.000Z', '2026-10-26T08:00:00.000Z'],
    ],
    [
      'America/New_York',
      { year: 2026, month: 3, day: 7 },
      ['2026-03-07T14:00:00.000Z', '2026-03-08T13:00:00.000Z', '2026-03-09T13:00:00.000Z'],
    ],
    [
      'America/New_York',
      { year: 2026, month: 10, day: 31 },
      ['2026-10-31T13:00:00.000Z', '2026-11-01T14:00:00.000Z', '2026-11-02T14:00:00.000Z'],
    ],
  ])('keeps a daily 09:00 in %s at 09:00 local across a daylight-saving change', (zone, day, expected) => {
    const first = fromWallTime({ ...day, hour: 9, minute: 0 }, zone);
    const runs = nextRuns(first, 'day', zone, new Date(first.getTime() - 1), 3);
    expect(iso(runs)).toEqual(expected);
    expect(runs.map((run) => wallTime(run, zone).hour)).toEqual([9, 9, 9]);
  });

  it.each([
    [
      'Europe/Berlin',
      [
        '2027-01-31T08:00:00.000Z',
        '2027-02-28T08:00:00.000Z',
        '2027-03-31T07:00:00.000Z',
        '2027-04-30T07:00:00.000Z',
      ],
    ],
    [
      'America/New_York',
      [
        '2027-01-31T14:00:00.000Z',
        '2027-02-28T14:00:00.000Z',
        '2027-03-31T13:00:00.000Z',
        '2027-04-30T13:00:00.000Z',
      ],
    ],
  ])(
    'runs a monthly 09:00 of the 31st in %s on each month’s last day, at 09:00 local through the spring change',
    (zone, expected) => {
      const first = fromWallTime({ year: 2027, month: 1, day: 31, hour: 9, minute: 0 }, zone);
      const runs = nextRuns(first, 'month', zone, new Date(first.getTime() - 1), 4);
      expect(iso(runs)).toEqual(expected);
      expect(runs.map((run) => wallTime(run, zone).hour)).toEqual([9, 9, 9, 9]);
    },
  );

  it('keeps a weekly run on its weekday and hour in New York across the fall change', () => {
    const first = fromWallTime({ year: 2026, month: 10, day: 26, hour: 18, minute: 30 }, 'America/New_York'); // a Monday
    const runs = nextRuns(first, 'week', 'America/New_York', first, 2);
    expect(iso(runs)).toEqual(['2026-11-02T23:30:00.000Z', '2026-11-09T23:30:00.000Z']);
    expect(runs.map((run) => wallTime(run, 'America/New_York'))).toEqual([
      expect.objectContaining({ weekday: 1, hour: 18, minute: 30 }),
      expect.objectContaining({ weekday: 1, hour: 18, minute: 30 }),
    ]);
  });

  it('runs a chore of the 31st on the last day of shorter months, and on the 31st again after', () => {
    const first = new Date('2027-01-31T10:00:00Z');
    const runs = nextRuns(first, 'month', 'UTC', new Date('2027-01-01T00:00:00Z'), 4);
    expect(iso(runs)).toEqual([
      '2027-01-31T10:00:00.000Z',
      '2027-02-28T10:00:00.000Z',
      '2027-03-31T10:00:00.000Z',
      '2027-04-30T10:00:00.000Z',
    ]);
    const leap = nextRuns(
      new Date('2028-01-31T10:00:00Z'),
      'month',
      'UTC',
      new Date('2028-02-01T00:00:00Z'),
      1,
    );
    expect(iso(leap)).toEqual(['2028-02-29T10:00:00.000Z']);
  });

  it('skips weekends for every weekday, and keeps the weekday for every week', () => {
    const friday = new Date('2026-12-04T17:00:00Z');
    expect(iso(nextRuns(friday, 'weekday', 'UTC', friday, 2))).toEqual([
      '2026-12-07T17:00:00.000Z',
      '2026-12-08T17:00:00.000Z',
    ]);
    expect(iso(nextRuns(friday, 'week', 'UTC', friday, 2))).toEqual([
      '2026-12-11T17:00:00.000Z',
      '2026-12-18T17:00:00.000Z',
    ]);
  });

  it('follows a cron pattern in the zone, and counts from after the first run', () => {
    const first = new Date('2026-12-06T01:00:00Z'); // a Sunday, 02:00 in Berlin
    const runs = nextRuns(first, { cron: '0 2 * * 0' }, 'Europe/Berlin', new Date('2026-12-01T00:00:00Z'), 3);
    expect(iso(runs)).toEqual([
      '2026-12-06T01:00:00.000Z',
      '2026-12-13T01:00:00.000Z',
      '2026-12-20T01:00:00.000Z',
    ]);
  });

  it('gives a one-off schedule its run until it has passed, then none', () => {
    const at = new Date('2026-12-10T09:00:00Z');
    expect(iso(nextRuns(at, undefined, 'UTC', new Date('2026-12-01T00:00:00Z'), 3))).toEqual([
      at.toISOString(),
    ]);
    expect(nextRuns(at, undefined, 'UTC', at, 3)).toEqual([]);
  });

  it('reads five-field cron patterns only', () => {
    expect(checkCron(' 0  9 * * 1-5 ')).toEqual({ ok: true, value: '0 9 * * 1-5' });
    expect(checkCron('0 0 9 * * *').ok).toBe(false);
    expect(checkCron('61 9 * * *').ok).toBe(false);
  });
});
