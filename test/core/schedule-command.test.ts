import { describe, expect, it } from 'vitest';
import { readScheduleCommand } from '../../src/core/schedule-command.js';

// Prepare: a Friday, 2026-12-04 14:00 UTC (15:00 in Berlin, 09:00 in New York)
const now = new Date('2026-12-04T14:00:00Z');
const SERVICES = ['checkout', 'db'];
const HERE = 'C0GENERAL';
/** The words as command.ts hands them over: the text split on white space. */
const words = (text: string) => text.trim().split(/\s+/).filter(Boolean);
const read = (text: string, timeZone = 'UTC') =>
  readScheduleCommand(words(text), now, timeZone, SERVICES, HERE);
const request = (text: string, timeZone = 'UTC') => {
  const result = read(text, timeZone);
  if (!result.ok) throw new Error(result.error);
  return result.value.request;
};
const problem = (text: string, timeZone = 'UTC') => {
  const result = read(text, timeZone);
  if (result.ok) throw new Error(`read: ${JSON.stringify(result.value)}`);
  return result.error;
};

describe('readScheduleCommand: a schedule as it is typed after /tms schedule', () => {
  it('reads a quoted title and a time, as a task in the command’s channel that runs once', () => {
    // Act
    const result = read('"Rotate the keys" at tomorrow 09:00', 'Europe/Berlin');
    // Assess
    expect(result).toEqual({
      ok: true,
      value: {
        request: {
          title: 'Rotate the keys',
          at: new Date('2026-12-05T08:00:00Z'),
          timezone: 'Europe/Berlin',
          action: 'task',
          channel: HERE,
        },
        reading: { at: 'tomorrow 09:00', remindHere: false },
      },
    });
  });

  it('reads every option in any order after the title', () => {
    // Act
    const all = request(
      '"Renew certs" db <@U01BBB|ben> every month p2 at 2026-12-24T09:00',
      'America/New_York',
    );
    const reordered = request(
      '"Renew certs" at 2026-12-24T09:00 p2 every monthly <@U01BBB> db',
      'America/New_York',
    );
    // Assess
    expect(all).toEqual({
      title: 'Renew certs',
      at: new Date('2026-12-24T14:00:00Z'),
      every: 'month',
      timezone: 'America/New_York',
      action: 'task',
      channel: HERE,
      priority: 'P2',
      service: 'db',
      assignee: 'U01BBB',
    });
    expect(reordered).toEqual(all);
  });

  it('reads Slack’s smart quotes, and a quoted title that holds option words', () => {
    expect(request('“Look at checkout p1 every day” at 17:30').title).toBe('Look at checkout p1 every day');
    expect(request('”Backups” at 17:30').title).toBe('Backups');
    expect(request('"  spaced  out " at 17:30').title).toBe('spaced out');
  });

  it('takes the words before the first option as an unquoted title', () => {
    // Act
    const chore = request('Rotate the keys p3 at mon 9am every week', 'Europe/Berlin');
    // Assess
    expect(chore).toMatchObject({
      title: 'Rotate the keys',
      priority: 'P3',
      every: 'week',
      at: new Date('2026-12-07T08:00:00Z'),
    });
    expect(request('Flush caches checkout at in 2h')).toMatchObject({
      title: 'Flush caches',
      service: 'checkout',
      at: new Date('2026-12-04T16:00:00Z'),
    });
  });

  it('reads `at` greedily: the longest of the next words that is a time', () => {
    expect(read('"a" at tomorrow at 9am p1', 'America/New_York')).toMatchObject({
      ok: true,
      value: {
        request: { at: new Date('2026-12-05T14:00:00Z'), priority: 'P1' },
        reading: { at: 'tomorrow at 9am' },
      },
    });
    expect(request('"a" at 17:30 every weekday').at).toEqual(new Date('2026-12-04T17:30:00Z'));
    expect(request('"a" at in 90 minutes').at).toEqual(new Date('2026-12-04T15:30:00Z'));
    expect(request('"a" at 2026-12-24T09:00Z', 'Europe/Berlin').at).toEqual(new Date('2026-12-24T09:00:00Z'));
  });

  it('reads the same "tomorrow 09:00" in each person’s own time zone', () => {
    // Act
    const berlin = request('"Stand-up" at tomorrow 09:00', 'Europe/Berlin');
    const newYork = request('"Stand-up" at tomorrow 09:00', 'America/New_York');
    // Assess
    expect(berlin).toMatchObject({ at: new Date('2026-12-05T08:00:00Z'), timezone: 'Europe/Berlin' });
    expect(newYork).toMatchObject({ at: new Date('2026-12-05T14:00:00Z'), timezone: 'America/New_York' });
  });

  it.each([
    ['every day', 'day'],
    ['every daily', 'day'],
    ['every Week', 'week'],
    ['every weekdays', 'weekday'],
    ['every month', 'month'],
    ['every 0 9 * * 1-5', '0 9 * * 1-5'],
    ['every "*/15 * * * *"', '*/15 * * * *'],
    ['every “30 8 1 * *”', '30 8 1 * *'],
  ])('reads %s as %j', (every, expected) => {
    expect(request(`"a" at 17:30 ${every} p4`)).toMatchObject({ every: expected, priority: 'P4' });
  });

  it('reminds a channel Slack linked, or the command’s own channel for a bare remind', () => {
    expect(read('"Timesheets" at fri 4pm every week remind <#C0FINANCE|finance>')).toMatchObject({
      ok: true,
      value: { request: { action: 'message', channel: 'C0FINANCE' }, reading: { remindHere: false } },
    });
    expect(read('"Timesheets" remind at fri 4pm')).toMatchObject({
      ok: true,
      value: { request: { action: 'message', channel: HERE }, reading: { remindHere: true } },
    });
    expect(request('"Timesheets" at fri 4pm remind <#C0FINANCE>').channel).toBe('C0FINANCE');
  });

  it('calls a webhook whose link Slack wrapped, with or without a label', () => {
    const plain = request(
      '"Nightly export" at 17:30 every day webhook <https://jobs.example.com/export?x=1&y=2>',
    );
    expect(plain).toMatchObject({ action: 'webhook', url: 'https://jobs.example.com/export?x=1&y=2' });
    expect(plain).not.toHaveProperty('channel');
    expect(request('"e" webhook <https://jobs.example.com/run|jobs.example.com/run> at 17:30').url).toBe(
      'https://jobs.example.com/run',
    );
    expect(request('"e" at 17:30 webhook https://jobs.example.com/bare').url).toBe(
      'https://jobs.example.com/bare',
    );
  });

  it.each([
    ['', /needs a title and a time/],
    ['p1 at 17:30', /needs a title before its options/],
    ['"Rotate the keys at 17:30', /quote is not closed/],
    ['"Rotate"now at 17:30', /closing quote is followed by "now"/],
    ['"" at 17:30', /quotes hold no title/],
    ['"a" p1', /say when it first runs/],
    ['"a" at', /`at` needs a time/],
    ['"a" at someday', /"someday" is not a time TMS reads/],
    ['"a" at 2020-01-01T09:00', /has passed/],
    ['"a" at 2026-02-30T09:00', /is not a date/],
    ['"a" at 17:30 at 18:00', /`at` is given twice/],
    ['"a" at 17:30 p1 p2', /priority is given twice/],
    ['"a" at 17:30 db checkout', /service is given twice/],
    ['"a" at 17:30 <@U01AAA> <@U01BBB>', /assignee is given twice/],
    ['"a" at 17:30 @ben', /"@ben" is not a person Slack recognised/],
    ['"a" at 17:30 every', /`every` needs how often/],
    ['"a" at 17:30 every fortnight', /"fortnight" is not how often/],
    ['"a" at 17:30 every 0 99 * * *', /not a cron pattern/],
    ['"a" at 17:30 every "0 9 * *', /quote around the cron pattern is not closed/],
    ['"a" at 17:30 remind #general', /"#general" is not a channel Slack recognised/],
    ['"a" at 17:30 webhook', /needs the URL/],
    ['"a" at 17:30 webhook <ftp://host/x>', /http:\/\/ or https:\/\//],
    ['"a" at 17:30 webhook <https://user:pw@host/x>', /no user or password/],
    ['"a" at 17:30 remind webhook <https://host/x>', /`remind` or `webhook`, not both/],
    ['"a" at 17:30 soon', /"soon" is not something `\/tms schedule` reads/],
    ['Rotate checkout keys at 17:30', /"keys" is not something `\/tms schedule` reads here; .*quote a title/],
  ])('refuses %j, naming the mistake', (text, expected) => {
    expect(problem(text)).toMatch(expected);
  });

  it('refuses text longer than anyone types, at once', () => {
    // Prepare
    const long = `"a" at 17:30 ${'x '.repeat(2_000)}`;
    // Act, Assess
    expect(problem(long)).toMatch(/at most 3000 characters/);
  });

  it('reminds nowhere when it knows no channel for a bare remind', () => {
    expect(readScheduleCommand(words('"a" at 17:30 remind'), now, 'UTC', SERVICES)).toEqual({
      ok: false,
      error: expect.stringMatching(/`remind` names the channel/),
    });
  });
});
