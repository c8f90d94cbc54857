import { describe, expect, it } from 'vitest';
import { isActive, parseSilence, type Silence, silences } from '../../src/core/silence.js';
import { anAlert } from '../helpers/factories.js';

const route = { service: 'checkout', team: 'payments', channel: 'C0PAYMENTS' };
const silence = (matchers: Silence['matchers'], fields: Partial<Silence> = {}): Silence => ({
  id: 'S-abcdef12',
  matchers,
  reason: '',
  createdBy: 'U01AAA',
  createdAt: '2026-03-02T09:00:00.000Z',
  endsAt: '2026-03-02T11:00:00.000Z',
  matched: 0,
  ...fields,
});

describe('silences', () => {
  it('reads matchers, a duration and a reason; a bare word is a service', () => {
    expect(parseSilence(['checkout', 'alertname=Disk*', '2h', 'deploy', 'window'], ['checkout'])).toEqual({
      ok: true,
      value: {
        matchers: [
          { key: 'service', value: 'checkout' },
          { key: 'alertname', value: 'Disk*' },
        ],
        durationMs: 7_200_000,
        reason: 'deploy window',
      },
    });
  });

  it('refuses what would silence nothing, forever, or by a word it cannot read', () => {
    const problem = (words: string[]) => {
      const parsed = parseSilence(words, ['checkout']);
      return parsed.ok ? 'parsed' : parsed.error.message;
    };
    expect(problem(['checkout'])).toBe('Say for how long, such as 30m, 2h or 1d');
    expect(problem(['2h'])).toContain('Say what to silence');
    expect(problem(['checkout', '8d'])).toBe('A silence lasts at most 1w');
    expect(problem(['billing', '1h'])).toBe('"billing" is neither a service nor key=value');
  });

  it('holds back an alert only when every matcher matches: service, source or a label, globs allowed', () => {
    const alert = anAlert({ labels: { alertname: 'DiskFull', instance: 'db-1' } });
    expect(silences(silence([{ key: 'service', value: 'checkout' }]), alert, route)).toBe(true);
    expect(
      silences(
        silence([
          { key: 'source', value: 'generic' },
          { key: 'alertname', value: 'Disk*' },
        ]),
        alert,
        route,
      ),
    ).toBe(true);
    expect(
      silences(
        silence([
          { key: 'service', value: 'checkout' },
          { key: 'instance', value: 'db-2' },
        ]),
        alert,
        route,
      ),
    ).toBe(false);
    expect(silences(silence([{ key: 'team', value: 'payments' }]), alert, route)).toBe(false); // not a label of the alert
  });

  it('is in force until it ends or is lifted', () => {
    expect(isActive(silence([{ key: 'service', value: 'x' }]), new Date('2026-03-02T10:00:00Z'))).toBe(true);
    expect(isActive(silence([{ key: 'service', value: 'x' }]), new Date('2026-03-02T11:00:00Z'))).toBe(false);
    expect(
      isActive(
        silence([{ key: 'service', value: 'x' }], { liftedAt: '2026-03-02T09:30:00.000Z' }),
        new Date('2026-03-02T10:00:00Z'),
      ),
    ).toBe(false);
  });
});
