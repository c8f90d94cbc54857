import { describe, expect, it } from 'vitest';
import { Alert } from '../../src/core/alert.js';
import {
  checkWindow,
  configWindowId,
  endedOccurrences,
  HELD_ALERT_BYTES,
  heldAlertOf,
  MaintenanceWindow,
  newWindow,
  nextOccurrences,
  occurrenceAt,
  parseMaintenance,
  recentOccurrence,
  releasedAlert,
  windowIdFrom,
  windowMatches,
  windowOfEntry,
} from '../../src/core/maintenance.js';

const spans = (occurrences: { start: Date; end: Date }[]) =>
  occurrences.map((o) => [o.start.toISOString(), o.end.toISOString()]);

// A Friday, 2026-12-04 14:00 UTC (15:00 in Berlin).
const now = new Date('2026-12-04T14:00:00Z');
const read = (text: string, zone = 'Europe/Berlin') =>
  parseMaintenance(text.split(' '), ['checkout', 'db'], now, zone);

describe('parseMaintenance: /tms maintenance as people write it, in their time zone', () => {
  it('reads a weekly Sunday night window, "to" read from the start', () => {
    // Act
    const parsed = read('checkout from sun 02:00 to 04:00 every sunday db upgrade');
    // Assess
    expect(parsed).toEqual({
      ok: true,
      value: {
        matchers: [{ key: 'service', value: 'checkout' }],
        from: new Date('2026-12-06T01:00:00Z'),
        to: new Date('2026-12-06T03:00:00Z'),
        every: 'week',
        timezone: 'Europe/Berlin',
        reason: 'db upgrade',
      },
    });
  });

  it.each([
    ['checkout from now for 2h', '2026-12-04T14:00:00.000Z', '2026-12-04T16:00:00.000Z', undefined],
    ['db from tomorrow 09:00 to +90m', '2026-12-05T08:00:00.000Z', '2026-12-05T09:30:00.000Z', undefined],
    ['db from tomorrow at 9am until 11am', '2026-12-05T08:00:00.000Z', '2026-12-05T10:00:00.000Z', undefined],
    ['db from 22:00 to 02:00 every day', '2026-12-04T21:00:00.000Z', '2026-12-05T01:00:00.000Z', 'day'],
    [
      'db from sun 02:00 to 04:00 every 0 2 * * 0',
      '2026-12-06T01:00:00.000Z',
      '2026-12-06T03:00:00.000Z',
      '0 2 * * 0',
    ],
    [
      'db from 2026-12-24T09:00Z to 2026-12-24T10:00Z',
      '2026-12-24T09:00:00.000Z',
      '2026-12-24T10:00:00.000Z',
      undefined,
    ],
  ])('reads %j', (text, from, to, every) => {
    // Act
    const parsed = read(text);
    // Assess
    expect(
      parsed.ok && [parsed.value.from.toISOString(), parsed.value.to.toISOString(), parsed.value.every],
    ).toEqual([from, to, every]);
  });

  it('reads key=value matchers, and a bare word only as a configured service', () => {
    expect(
      read('alertname=Disk* env=prod from now for 1h').ok && read('alertname=Disk* env=prod from now for 1h'),
    ).toMatchObject({
      value: {
        matchers: [
          { key: 'alertname', value: 'Disk*' },
          { key: 'env', value: 'prod' },
        ],
      },
    });
    expect(read('billing from now for 1h')).toMatchObject({
      ok: false,
      error: { message: '"billing" is neither a service nor key=value' },
    });
  });

  it.each([
    ['checkout for 2h', 'Say when the window starts'],
    ['from now for 2h', 'Say what the window holds back'],
    ['checkout from now', 'Say when the window ends'],
    ['checkout from banana to 04:00', 'The start: "banana" is not a time TMS reads'],
    ['checkout from sun 02:00 to whenever', 'The end: "whenever" is not a time TMS reads'],
    ['checkout from now for 30s', 'A window ends at least a minute after it starts'],
    ['checkout from now for 8d', 'One occurrence of a window lasts at most 7 days'],
    ['checkout from mon 02:00 to 04:00 every sunday', '"every sunday" needs a start on a Sunday'],
    ['checkout from now for 2d every day', 'A recurring window ends before its next occurrence starts'],
    [
      'checkout from now for 2h every fortnight',
      '"fortnight" is not day, week, month, weekday or a cron pattern',
    ],
  ])('answers %j with what is wrong', (text, message) => {
    // Act
    const parsed = read(text);
    // Assess
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.error.message).toContain(message);
  });
});

const weekly = (from: string, to: string, timezone: string) => ({ from, to, every: 'week', timezone });

describe('occurrences: when a window is in force', () => {
  it('a one-off is in force from its start to (not at) its end', () => {
    const w = { from: '2026-12-06T01:00:00.000Z', to: '2026-12-06T03:00:00.000Z', timezone: 'UTC' };
    expect(occurrenceAt(w, new Date('2026-12-06T00:59:59Z'))).toBeUndefined();
    expect(spans([occurrenceAt(w, new Date('2026-12-06T01:00:00Z')) as never])).toEqual([
      ['2026-12-06T01:00:00.000Z', '2026-12-06T03:00:00.000Z'],
    ]);
    expect(occurrenceAt(w, new Date('2026-12-06T03:00:00Z'))).toBeUndefined();
    expect(nextOccurrences(w, new Date('2026-12-07T00:00:00Z'), 3)).toEqual([]);
  });

  // Every Sunday 01:00–05:00 local time, across the night the clocks go forward: in Berlin on 28 March 2027,
  // in New York on 14 March 2027. The window keeps its wall-clock hours, so that night it lasts three hours.
  it.each([
    [
      'Europe/Berlin',
      weekly('2027-03-21T00:00:00.000Z', '2027-03-21T04:00:00.000Z', 'Europe/Berlin'),
      [
        ['2027-03-21T00:00:00.000Z', '2027-03-21T04:00:00.000Z'],
        ['2027-03-28T00:00:00.000Z', '2027-03-28T03:00:00.000Z'],
        ['2027-04-03T23:00:00.000Z', '2027-04-04T03:00:00.000Z'],
      ],
    ],
    [
      'America/New_York',
      weekly('2027-03-07T06:00:00.000Z', '2027-03-07T10:00:00.000Z', 'America/New_York'),
      [
        ['2027-03-07T06:00:00.000Z', '2027-03-07T10:00:00.000Z'],
        ['2027-03-14T06:00:00.000Z', '2027-03-14T09:00:00.000Z'],
        ['2027-03-21T05:00:00.000Z', '2027-03-21T09:00:00.000Z'],
      ],
    ],
  ])('a weekly window keeps its local hours across a DST change in %s', (_zone, w, expected) => {
    // Act
    const next = nextOccurrences(w, new Date('2027-03-01T00:00:00Z'), 3);
    // Assess
    expect(spans(next)).toEqual(expected);
    const dstNight = expected[1] as [string, string];
    const lastMinute = new Date(Date.parse(dstNight[1]) - 60_000);
    expect(spans([occurrenceAt(w, lastMinute) as never])).toEqual([dstNight]);
    expect(occurrenceAt(w, new Date(dstNight[1]))).toBeUndefined();
    // The hour after the change's end is outside, though it is inside on a four-hour night.
    expect(occurrenceAt(w, new Date(Date.parse(dstNight[1]) + 30 * 60_000))).toBeUndefined();
  });

  it('a window that ends back in the autumn hour lasts its local hours too (five elapsed)', () => {
    // Every Sunday 01:00–05:00 in Berlin; clocks go back on 31 October 2027.
    const w = weekly('2027-10-23T23:00:00.000Z', '2027-10-24T03:00:00.000Z', 'Europe/Berlin');
    const [, changeNight] = nextOccurrences(w, new Date('2027-10-20T00:00:00Z'), 2);
    expect(spans([changeNight as never])).toEqual([['2027-10-30T23:00:00.000Z', '2027-10-31T04:00:00.000Z']]);
  });

  it('a lift ends the occurrence in force at once and every later one', () => {
    const w = {
      ...weekly('2026-12-06T01:00:00.000Z', '2026-12-06T03:00:00.000Z', 'UTC'),
      liftedAt: '2026-12-06T02:00:00.000Z',
    };
    expect(occurrenceAt(w, new Date('2026-12-06T01:30:00Z'))).toBeDefined();
    expect(occurrenceAt(w, new Date('2026-12-06T02:00:00Z'))).toBeUndefined();
    expect(occurrenceAt(w, new Date('2026-12-13T01:30:00Z'))).toBeUndefined();
    expect(
      spans(endedOccurrences(w, new Date('2026-12-06T00:00:00Z'), new Date('2026-12-20T00:00:00Z'))),
    ).toEqual([['2026-12-06T01:00:00.000Z', '2026-12-06T02:00:00.000Z']]);
  });

  it('names the occurrences that ended since a moment, and the one a late resolve is about', () => {
    const w = {
      from: '2026-12-04T22:00:00.000Z',
      to: '2026-12-04T23:00:00.000Z',
      every: 'day',
      timezone: 'UTC',
    };
    expect(
      spans(endedOccurrences(w, new Date('2026-12-05T00:00:00Z'), new Date('2026-12-07T23:30:00Z'))),
    ).toEqual([
      ['2026-12-05T22:00:00.000Z', '2026-12-05T23:00:00.000Z'],
      ['2026-12-06T22:00:00.000Z', '2026-12-06T23:00:00.000Z'],
      ['2026-12-07T22:00:00.000Z', '2026-12-07T23:00:00.000Z'],
    ]);
    expect(spans([recentOccurrence(w, new Date('2026-12-07T23:10:00Z'), 3_600_000) as never])).toEqual([
      ['2026-12-07T22:00:00.000Z', '2026-12-07T23:00:00.000Z'],
    ]);
    expect(recentOccurrence(w, new Date('2026-12-08T01:00:00Z'), 3_600_000)).toBeUndefined();
  });

  it('refuses a recurrence whose occurrences would overlap', () => {
    const from = new Date('2026-12-06T01:00:00Z');
    const request = { matchers: [{ key: 'service', value: 'db' }], from, timezone: 'UTC', reason: '' };
    expect(checkWindow({ ...request, to: new Date('2026-12-07T02:00:00Z'), every: 'day' }).ok).toBe(false);
    expect(checkWindow({ ...request, to: new Date('2026-12-07T01:00:00Z'), every: 'day' }).ok).toBe(true);
  });
});

const alert = (fields: Partial<Alert> = {}): Alert =>
  Alert.parse({
    source: 'generic',
    action: 'trigger',
    fingerprint: 'disk-db-1',
    title: 'Disk full on db-1',
    occurredAt: '2026-12-06T01:10:00.000Z',
    labels: { alertname: 'DiskFull', env: 'prod' },
    ...fields,
  });
const where = { service: 'db', team: null, channel: 'C0DB' };

describe('windows: what they hold, and the alert a held one opens with', () => {
  it('matches as a silence does: every matcher, globs on labels, the service by route', () => {
    const w = {
      matchers: [
        { key: 'service', value: 'db' },
        { key: 'alertname', value: 'Disk*' },
      ],
    };
    expect(windowMatches(w, alert(), where)).toBe(true);
    expect(windowMatches(w, alert({ labels: { alertname: 'CpuHigh' } }), where)).toBe(false);
    expect(windowMatches(w, alert(), { ...where, service: 'checkout' })).toBe(false);
  });

  it('makes ids from a token, and the same id of the same config entry', () => {
    expect(windowIdFrom('A1-b2c3d4e5')).toBe('MW-a1b2c3');
    const entry = {
      service: 'db',
      from: '2026-12-06T02:00',
      to: '2026-12-06T04:00',
      every: 'week',
      timezone: 'UTC',
    };
    expect(configWindowId(entry)).toBe(configWindowId({ ...entry }));
    expect(configWindowId(entry)).not.toBe(configWindowId({ ...entry, to: '2026-12-06T05:00' }));
    expect(configWindowId(entry)).toMatch(/^MW-[0-9a-f]{8}$/);
  });

  it('reads a config entry as a window, in its time zone', () => {
    const entry = {
      service: 'db',
      matchers: { env: 'prod' },
      from: '2026-12-06T02:00',
      to: '2026-12-06T04:00',
      every: 'weekly',
      timezone: 'Europe/Berlin',
    };
    const read1 = windowOfEntry(entry);
    expect(read1).toEqual({
      ok: true,
      value: {
        matchers: [
          { key: 'service', value: 'db' },
          { key: 'env', value: 'prod' },
        ],
        from: new Date('2026-12-06T01:00:00Z'),
        to: new Date('2026-12-06T03:00:00Z'),
        every: 'week',
        timezone: 'Europe/Berlin',
        reason: '',
      },
    });
    const made =
      read1.ok &&
      newWindow(read1.value, { id: 'MW-abcdef12', createdBy: 'config', createdAt: now, origin: 'config' });
    expect(MaintenanceWindow.safeParse(made).success).toBe(true);
  });

  it('keeps a huge alert within its bound, and a released one says it was held', () => {
    const labels = Object.fromEntries(Array.from({ length: 4000 }, (_, i) => [`label${i}`, 'x'.repeat(12)]));
    const big = alert({ labels, description: 'y'.repeat(4000) });
    const kept = heldAlertOf(big);
    expect(Buffer.byteLength(JSON.stringify(kept))).toBeLessThanOrEqual(HELD_ALERT_BYTES);
    expect(heldAlertOf(alert())).toEqual(alert());
    const released = releasedAlert(
      { alert: alert(), count: 3, firstHeldAt: '2026-12-06T01:10:00.000Z' },
      { id: 'MW-abcdef', reason: 'db upgrade' },
      { start: new Date('2026-12-06T01:00:00Z'), end: new Date('2026-12-06T03:00:00Z') },
    );
    expect(released.description).toContain('Held back by maintenance window MW-abcdef (db upgrade)');
    expect(released.description).toContain('it fired 3 times during it');
    expect(released).toMatchObject({ occurredAt: '2026-12-06T03:00:00.000Z', fingerprint: 'disk-db-1' });
    expect(released.labels.maintenance).toBe('MW-abcdef');
    expect(Object.getPrototypeOf(released.labels)).toBeNull();
  });
});
