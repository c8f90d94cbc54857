import { describe, expect, it } from 'vitest';
import { HEARTBEAT_NAME, heartbeatState, lateTitle, spanText } from '../../src/core/heartbeat.js';

const HOUR = 3_600_000;
const backup = { name: 'nightly-backup', everyMs: 24 * HOUR, graceMs: HOUR };

describe('heartbeats: late once a ping is later than every + grace', () => {
  const made = new Date('2026-12-01T00:00:00Z');
  const pinged = new Date('2026-12-03T02:00:00Z');

  it('is up until every + grace after the last ping, and late from that instant', () => {
    // Act
    const before = heartbeatState(backup, pinged, made, new Date('2026-12-04T02:59:59Z'));
    const at = heartbeatState(backup, pinged, made, new Date('2026-12-04T03:00:00Z'));
    // Assess
    expect(before).toEqual({ state: 'up', lateAt: new Date('2026-12-04T03:00:00Z') });
    expect(at).toEqual({ state: 'late', lateAt: new Date('2026-12-04T03:00:00Z'), quietMs: 25 * HOUR });
  });

  it('counts from when it was made until the first ping', () => {
    expect(heartbeatState(backup, undefined, made, new Date('2026-12-02T01:00:00Z')).state).toBe('late');
    expect(heartbeatState(backup, undefined, made, new Date('2026-12-02T00:59:00Z')).state).toBe('up');
  });

  it('says what went quiet, for how long and when it last reported', () => {
    const title = lateTitle(backup, pinged, made, new Date('2026-12-04T04:30:00Z'));
    expect(title).toBe(
      'nightly-backup has not reported for 1 day 2 hours; last ping 2026-12-03T02:00:00.000Z, expected every 1d (+1h grace)',
    );
    expect(lateTitle(backup, undefined, made, new Date('2026-12-02T01:00:00Z'))).toContain(
      'no ping since it was made 2026-12-01T00:00:00.000Z',
    );
  });

  it('spells a span by its two largest units', () => {
    expect(spanText(90 * 60_000)).toBe('1 hour 30 minutes');
    expect(spanText(40 * 24 * HOUR + 5 * 60_000)).toBe('40 days 5 minutes');
    expect(spanText(30_000)).toBe('30 seconds');
  });

  it('takes names a path and a command carry as they are, and no others', () => {
    expect(HEARTBEAT_NAME.test('nightly-backup')).toBe(true);
    expect(HEARTBEAT_NAME.test('etl.v2_daily')).toBe(true);
    expect(HEARTBEAT_NAME.test('../etc')).toBe(false);
    expect(HEARTBEAT_NAME.test('has space')).toBe(false);
    expect(HEARTBEAT_NAME.test('a'.repeat(65))).toBe(false);
  });
});
