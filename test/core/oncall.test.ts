import { describe, expect, it } from 'vitest';
import {
  nextShiftsOf,
  type Override,
  onCallAt,
  onCallNow,
  type Rotation,
  shiftAt,
} from '../../src/core/oncall.js';

const WEEK = 7 * 86_400_000;
const at = (iso: string) => new Date(iso);
const berlin: Rotation = {
  participants: ['U01AAA', 'U01BBB', 'U01CCC'],
  everyMs: WEEK,
  handoff: '2026-01-05T09:00:00', // a Monday
  timezone: 'Europe/Berlin',
};
const newYork: Rotation = { ...berlin, handoff: '2026-01-05T09:00', timezone: 'America/New_York' };

describe('a rotation', () => {
  it.each([
    // Berlin: 09:00 is 08:00 UTC in winter, 07:00 UTC in summer (from 29 March)
    [berlin, '2026-01-05T07:59:59Z', 'U01CCC'],
    [berlin, '2026-01-05T08:00:00Z', 'U01AAA'],
    [berlin, '2026-01-12T08:00:00Z', 'U01BBB'],
    [berlin, '2026-03-30T06:59:59Z', 'U01CCC'],
    [berlin, '2026-03-30T07:00:00Z', 'U01AAA'],
    // New York: 09:00 is 14:00 UTC in winter, 13:00 UTC from 8 March
    [newYork, '2026-01-05T13:59:59Z', 'U01CCC'],
    [newYork, '2026-01-05T14:00:00Z', 'U01AAA'],
    [newYork, '2026-03-09T12:59:59Z', 'U01CCC'],
    [newYork, '2026-03-09T13:00:00Z', 'U01AAA'],
  ])('in %# hands over at 09:00 local time: at %s it is %s', (rotation, when, user) => {
    expect(shiftAt(rotation, at(when)).user).toBe(user);
  });

  it('makes the shift that spans a daylight-saving change an hour shorter, not its handoff an hour off', () => {
    // Act: the Berlin shift from 23 March (CET) to 30 March (CEST)
    const shift = shiftAt(berlin, at('2026-03-25T12:00:00Z'));
    // Assess
    expect(shift).toMatchObject({
      user: 'U01CCC',
      start: at('2026-03-23T08:00:00Z'),
      end: at('2026-03-30T07:00:00Z'),
    });
    expect(shift.end.getTime() - shift.start.getTime()).toBe(WEEK - 3_600_000);
  });

  it('runs backwards from its first handoff, and counts a period of hours in elapsed time', () => {
    expect(shiftAt(berlin, at('2025-12-31T12:00:00Z'))).toMatchObject({ user: 'U01CCC', index: -1 });
    const halfDays: Rotation = { ...berlin, everyMs: 12 * 3_600_000 };
    // Twelve-hour shifts from 5 January 09:00 in Berlin (08:00 UTC): the second is ben's, 20:00 to 08:00 UTC
    expect(shiftAt(halfDays, at('2026-01-05T20:00:00Z'))).toMatchObject({
      user: 'U01BBB',
      start: at('2026-01-05T20:00:00Z'),
      end: at('2026-01-06T08:00:00Z'),
    });
  });

  it("lists a person's next shifts", () => {
    const shifts = nextShiftsOf(berlin, 'U01BBB', at('2026-01-06T00:00:00Z'), 2);
    expect(shifts.map((s) => s.start)).toEqual([at('2026-01-12T08:00:00Z'), at('2026-02-02T08:00:00Z')]);
    expect(nextShiftsOf(berlin, 'U09NOBODY', at('2026-01-06T00:00:00Z'), 2)).toEqual([]);
  });
});

describe('overrides', () => {
  const override = (
    id: string,
    user: string,
    start: string,
    end: string,
    createdAt = '2026-01-01T00:00:00Z',
  ): Override => ({
    id,
    user,
    start: at(start).toISOString(),
    end: at(end).toISOString(),
    createdAt: at(createdAt).toISOString(),
  });

  it('put someone else on for their span, and say until when and who comes next', () => {
    // Prepare: ben covers ana's Tuesday
    const overrides = [override('O1', 'U01BBB', '2026-01-06T08:00:00Z', '2026-01-07T08:00:00Z')];
    // Act
    const during = onCallNow(berlin, overrides, at('2026-01-06T12:00:00Z'));
    const before = onCallNow(berlin, overrides, at('2026-01-05T12:00:00Z'));
    // Assess
    expect(during).toEqual({
      now: { user: 'U01BBB', until: at('2026-01-07T08:00:00Z'), overrideId: 'O1' },
      next: { user: 'U01AAA', from: at('2026-01-07T08:00:00Z') },
    });
    expect(before).toEqual({
      now: { user: 'U01AAA', until: at('2026-01-06T08:00:00Z') },
      next: { user: 'U01BBB', from: at('2026-01-06T08:00:00Z') },
    });
  });

  it('where two overlap, the one made later wins', () => {
    const overrides = [
      override('O1', 'U01BBB', '2026-01-06T00:00:00Z', '2026-01-08T00:00:00Z', '2026-01-01T00:00:00Z'),
      override('O2', 'U01CCC', '2026-01-06T12:00:00Z', '2026-01-06T18:00:00Z', '2026-01-02T00:00:00Z'),
    ];
    expect(onCallAt(berlin, overrides, at('2026-01-06T13:00:00Z'))).toEqual({
      user: 'U01CCC',
      until: at('2026-01-06T18:00:00Z'),
      overrideId: 'O2',
    });
    expect(onCallAt(berlin, overrides, at('2026-01-06T19:00:00Z'))).toMatchObject({
      user: 'U01BBB',
      overrideId: 'O1',
    });
  });

  it('say who is next past spans of the same person (an override of ana by ana)', () => {
    const overrides = [override('O1', 'U01AAA', '2026-01-12T08:00:00Z', '2026-01-13T08:00:00Z')];
    expect(onCallNow(berlin, overrides, at('2026-01-10T00:00:00Z')).next).toEqual({
      user: 'U01BBB',
      from: at('2026-01-13T08:00:00Z'),
    });
  });
});
