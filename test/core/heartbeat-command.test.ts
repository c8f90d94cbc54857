import { describe, expect, it } from 'vitest';
import { lateTask, parseHeartbeat } from '../../src/core/heartbeat.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const services = ['general', 'db', 'checkout'];
const read = (text: string) => parseHeartbeat(text.split(' ').filter(Boolean), services);
const refusal = (text: string) => {
  const result = read(text);
  return result.ok ? undefined : result.error.message;
};

describe('/tms heartbeat: how its words are read', () => {
  it('reads a name, how often it pings, its grace and its service', () => {
    // Act
    const full = read('nightly-backup every 1d grace 2h db');
    // Assess
    expect(full).toEqual({
      ok: true,
      value: { kind: 'define', name: 'nightly-backup', everyMs: DAY, graceMs: 2 * HOUR, service: 'db' },
    });
  });

  it('takes the options in any order, in any case', () => {
    expect(read('etl.v2_daily db GRACE 5m Every 1h')).toEqual(read('etl.v2_daily every 1h grace 5m db'));
  });

  it('gives an unsaid grace a tenth of the period, at least a minute and at most an hour', () => {
    const grace = (text: string) => {
      const result = read(text);
      return result.ok && result.value.kind === 'define' ? result.value.graceMs : undefined;
    };
    expect(grace('a every 1d')).toBe(HOUR);
    expect(grace('a every 2h')).toBe(12 * 60_000);
    expect(grace('a every 5m')).toBe(60_000);
  });

  it('reads `<name> remove`', () => {
    expect(read('nightly-backup remove')).toEqual({
      ok: true,
      value: { kind: 'remove', name: 'nightly-backup' },
    });
  });

  it('says what is wrong, naming the word, for what it cannot read', () => {
    expect(refusal('')).toContain('Name the heartbeat');
    expect(refusal('../etc every 1d')).toContain('"../etc" is not a heartbeat name');
    expect(refusal(`${'a'.repeat(65)} every 1d`)).toContain('is not a heartbeat name');
    expect(refusal('backup')).toContain('Say how often the job pings');
    expect(refusal('backup every')).toContain('Say a duration after every');
    expect(refusal('backup every daily')).toContain('Say a duration after every');
    expect(refusal('backup every 1d grace')).toContain('Say a duration after grace');
    expect(refusal('backup every 1d every 2d')).toContain('Say every once');
    expect(refusal('backup every 30s')).toContain('every minute at most often');
    expect(refusal('backup every 53w')).toContain('at most a year each');
    expect(refusal('backup every 1d grace 14300000w')).toContain('at most a year each');
    expect(refusal('backup every 1d billing')).toContain('"billing" is neither every, grace nor a service');
    expect(refusal('backup every 1d db checkout')).toContain('Name one service');
  });
});

describe("a heartbeat's late task", () => {
  it('is open for the quiet spell it was marked for, owed a resolve after a later ping, else none', () => {
    expect(lateTask({})).toBeUndefined();
    expect(lateTask({ lateSince: 'T25' })).toBe('open');
    expect(lateTask({ lastPingAt: 'T2', lateSince: 'T27', lateFrom: 'T2' })).toBe('open');
    expect(lateTask({ lastPingAt: 'T28', lateSince: 'T27', lateFrom: 'T2' })).toBe('owed');
    expect(lateTask({ lastPingAt: 'T26', lateSince: 'T25' })).toBe('owed');
  });
});
