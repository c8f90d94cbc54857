import { describe, expect, it } from 'vitest';
import { overrideIdFrom, parseOncallWords, teamFor } from '../../src/core/oncall-command.js';

// Friday 2026-12-04, 14:00 UTC: 15:00 in Berlin, 09:00 in New York.
const now = new Date('2026-12-04T14:00:00.000Z');
const context = { now, timeZone: 'Europe/Berlin', teams: ['payments', 'search'] };
const read = (text: string, zone = context.timeZone) =>
  parseOncallWords(text.split(' ').filter(Boolean), { ...context, timeZone: zone });
const BEN = '<@U01BBB|ben>';

describe('reading /tms oncall', () => {
  it.each([
    ['', { kind: 'show' }],
    ['payments', { kind: 'show', team: 'payments' }],
    ['Billing', { kind: 'show', team: 'billing' }], // an unknown team is the handler's to answer
    ['take', { kind: 'take' }],
    ['take search', { kind: 'take', team: 'search' }],
    ['overrides', { kind: 'overrides' }],
    ['OVERRIDES payments', { kind: 'overrides', team: 'payments' }],
    ['remove OV-1a2b3c4d', { kind: 'remove', id: 'OV-1a2b3c4d' }],
    ['remove OV-1a2b3c4d payments', { kind: 'remove', id: 'OV-1a2b3c4d', team: 'payments' }],
    [`swap ${BEN}`, { kind: 'swap', user: 'U01BBB' }],
    ['swap @U01BBB search', { kind: 'swap', user: 'U01BBB', team: 'search' }],
  ])('reads "%s"', (text, expected) => {
    // Act
    const parsed = read(text);
    // Assess
    expect(parsed).toEqual({ ok: true, value: expected });
  });

  it('reads an override for a duration from now', () => {
    // Act
    const parsed = read(`override ${BEN} 2h payments`);
    // Assess
    expect(parsed).toEqual({
      ok: true,
      value: {
        kind: 'override',
        user: 'U01BBB',
        team: 'payments',
        start: now,
        end: new Date('2026-12-04T16:00:00.000Z'),
      },
    });
  });

  it("reads an override's times in the asker's time zone", () => {
    // Act
    const berlin = read(`override ${BEN} from tomorrow 09:00 to 2026-12-06T18:00`);
    const newYork = read(
      `override ${BEN} from tomorrow 09:00 to 2026-12-06T18:00 search`,
      'America/New_York',
    );
    const fromNow = read(`override ${BEN} from now to in 3h`);
    // Assess
    expect(berlin).toMatchObject({
      ok: true,
      value: { start: new Date('2026-12-05T08:00:00Z'), end: new Date('2026-12-06T17:00:00Z') },
    });
    expect(newYork).toMatchObject({
      ok: true,
      value: {
        start: new Date('2026-12-05T14:00:00Z'),
        end: new Date('2026-12-06T23:00:00Z'),
        team: 'search',
      },
    });
    expect(fromNow).toMatchObject({ ok: true, value: { start: now, end: new Date('2026-12-04T17:00:00Z') } });
  });

  it.each([
    ['payments search', 'Name one team, or none for every team'],
    ['pay*ments', '"pay*ments" is not a team name'],
    ['take tomorrow', '`take` takes only a team, and "tomorrow" is not one'],
    ['overrides billing', '`overrides` takes only a team'],
    ['remove', 'Name the override to remove'],
    ['remove S-1a2b3c', '"S-1a2b3c" is not an override'],
    ['remove OV-1a2b3c4d OV-2a2b3c4d', 'Remove one override at a time'],
    ['swap', '`swap` needs a person'],
    ['swap ben', '"ben" is not a person: mention them with @'],
    [`swap ${BEN} billing`, '`swap` takes a person and a team; "billing" is neither'],
    ['override', '`override` needs a person'],
    [`override ${BEN}`, 'Say for how long'],
    [`override ${BEN} soon`, '"soon" is not a duration such as 30m'],
    [`override ${BEN} 2h billing`, '"billing" is not one of the config\'s teams'],
    [`override ${BEN} 0h`, '"0h" is not a duration'],
    [`override ${BEN} 32d`, 'An override lasts at most 31 days'],
    [`override ${BEN} from tomorrow`, '`from <time>` needs its end'],
    [`override ${BEN} from to tomorrow`, 'Say when it starts after `from`'],
    [`override ${BEN} from tomorrow to`, 'Say when it ends after `to`'],
    [`override ${BEN} from someday to tomorrow`, 'from: "someday" is not a time TMS reads'],
    [
      `override ${BEN} from now to 2026-12-01T09:00`,
      'to: 2026-12-01T08:00:00.000Z has passed: an override lies ahead',
    ],
    [
      `override ${BEN} from tomorrow 18:00 to tomorrow 09:00`,
      'It ends (2026-12-05T08:00:00.000Z) before it starts',
    ],
  ])('refuses "%s", saying why', (text, problem) => {
    // Act
    const parsed = read(text);
    // Assess
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toContain(problem);
  });
});

describe('the team a change is for', () => {
  it("is the one named, else the asker's only team with a rotation", () => {
    expect(teamFor('search', ['payments'], ['payments', 'search'])).toEqual({ ok: true, value: 'search' });
    expect(teamFor(undefined, ['payments', 'web'], ['payments', 'search'])).toEqual({
      ok: true,
      value: 'payments',
    });
  });

  it('must be named when the asker has none or several, and must have a rotation', () => {
    expect(teamFor(undefined, [], ['payments'])).toMatchObject({
      ok: false,
      error: expect.stringContaining('Name the team'),
    });
    expect(teamFor(undefined, ['payments', 'search'], ['payments', 'search'])).toMatchObject({
      ok: false,
      error: 'Name the team: you are on payments, search',
    });
    expect(teamFor('web', [], ['payments'])).toMatchObject({
      ok: false,
      error: expect.stringContaining('no on-call rotation'),
    });
  });
});

describe('an override id', () => {
  it('is OV- and eight letters or digits of the token', () => {
    expect(overrideIdFrom('9F2C-41AB-77de')).toBe('OV-9f2c41ab');
    expect(overrideIdFrom('ab')).toBe('OV-ab000000');
  });
});
