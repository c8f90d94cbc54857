import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SLA, parseConfig } from '../../src/core/config.js';
import { ConfigError } from '../../src/core/errors.js';

function issuesOf(text: string) {
  try {
    parseConfig(text);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected the config to be refused');
}

describe('the configuration file', () => {
  it('is all defaults when empty', () => {
    const config = parseConfig('');
    expect(config.sla).toEqual({ ...DEFAULT_SLA, atRisk: 0.8 });
    expect(config.dedup.reopenWithin).toBe(600_000);
    expect(config.defaults).toEqual({ service: 'general', channel: 'C0GENERAL', priority: 'P3' });
    expect(config.rbac).toEqual({ admins: [], viewers: [], default: 'developer' });
    expect(config.trends).toEqual({ window: 3_600_000, baseline: 86_400_000, factor: 3, minCount: 5 });
  });

  it('merges each section with its defaults', () => {
    const config = parseConfig(`
sla:
  P1: { ack: 2m, resolve: 30m }
defaults: { channel: C0OPS }
severity:
  generic: { error: P1 }
`);
    expect(config.sla.P1).toEqual({ ack: 120_000, resolve: 1_800_000 });
    expect(config.sla.P2).toEqual(DEFAULT_SLA.P2);
    expect(config.sla.atRisk).toBe(0.8);
    expect(config.defaults).toEqual({ service: 'general', channel: 'C0OPS', priority: 'P3' });
    expect(config.severity.generic).toEqual({ critical: 'P1', error: 'P1', warning: 'P3', info: 'P4' });
  });

  it('the example in the repository is valid and complete', () => {
    const config = parseConfig(readFileSync('tms.config.yaml', 'utf8'));
    expect(config.services.checkout?.match?.alarms).toEqual(['checkout-*']);
    expect(config.teams.payments?.oncall?.every).toBe(7 * 86_400_000);
    expect(config.escalations.default).toHaveLength(5);
    expect(config.digests[0]).toEqual({
      channel: 'C0PAYMENTS',
      cron: '0 9 * * 1-5',
      timezone: 'Europe/Berlin',
    });
    expect(config.sandbox.usergroups.S0READONLY).toEqual(['U09VIEW']);
    expect(config.sources.alertmanager.grouping).toBe('group');
  });

  it('groups Alertmanager alerts by their group unless told otherwise, with no stale timeout by default', () => {
    expect(parseConfig('').sources.alertmanager).toEqual({ grouping: 'group' });
    expect(
      parseConfig('sources:\n  alertmanager: { grouping: alert, staleAfter: 12h }\n').sources.alertmanager,
    ).toEqual({ grouping: 'alert', staleAfter: 12 * 3_600_000 });
    expect(issuesOf('sources:\n  alertmanager: { grouping: cluster }\n')).toEqual([
      expect.objectContaining({ path: 'sources.alertmanager.grouping', line: 2 }),
    ]);
    expect(issuesOf('sources:\n  alertmanager: { staleAfter: soon }\n')).toEqual([
      expect.objectContaining({ path: 'sources.alertmanager.staleAfter', line: 2 }),
    ]);
  });

  it('names an unknown key and its line', () => {
    expect(issuesOf('dedup:\n  reopenWithin: 10m\n  reopenWthin: 5m\n')).toEqual([
      { path: 'dedup.reopenWthin', line: 3, message: 'unknown key' },
    ]);
  });

  it('names a bad value and its line', () => {
    const issues = issuesOf(`
services:
  checkout:
    team: payments
teams:
  payments: { channel: C0PAY }
sla:
  P2: { ack: 15 minutes, resolve: 4h }
`);
    expect(issues).toEqual([
      { path: 'sla.P2.ack', line: 8, message: '"15 minutes" is not a duration such as 30s, 5m, 4h or 3d' },
    ]);
  });

  it('checks cron expressions, time zones, ids and references between sections', () => {
    const paths = (text: string) => issuesOf(text).map((i) => `${i.path}@${i.line}`);
    expect(paths('digests:\n  - { channel: C0X1, cron: "0 25 * * *" }\n')).toEqual(['digests.0.cron@2']);
    expect(paths('digests:\n  - { channel: C0X1, cron: "0 9 * * *", timezone: Mars/Olympus }\n')).toEqual([
      'digests.0.timezone@2',
    ]);
    expect(paths('rbac:\n  admins: [ana]\n')).toEqual(['rbac.admins.0@2']);
    expect(paths('services:\n  checkout: { team: payments, escalation: loud }\n')).toEqual([
      'services.checkout.team@2',
      'services.checkout.escalation@2',
    ]);
  });

  it('reads webhooks, heartbeats, schedules and maintenance windows, with their defaults', () => {
    const config = parseConfig(
      [
        'services:',
        '  db: { channel: C0DB }',
        'webhooks: { allowHosts: [hooks.internal.example] }',
        'heartbeats:',
        '  nightly-backup: { every: 1d, grace: 1h, service: db, priority: P2 }',
        '  hourly-sync: { every: 1h }',
        'schedules:',
        '  - { title: "Rotate TLS certificates", at: "2027-01-04T09:00:00", every: month, service: db, timezone: Europe/Berlin }',
        'maintenance:',
        '  - { service: db, from: "2027-01-03T02:00", to: "2027-01-03T04:00", every: week, timezone: Europe/Berlin }',
        '',
      ].join('\n'),
    );
    expect(config.webhooks).toEqual({ allowHosts: ['hooks.internal.example'] });
    expect(config.heartbeats).toEqual({
      'nightly-backup': { everyMs: 86_400_000, graceMs: 3_600_000, service: 'db', priority: 'P2' },
      // Unset grace: a tenth of the period, at least a minute.
      'hourly-sync': { everyMs: 3_600_000, graceMs: 360_000 },
    });
    expect(config.schedules).toEqual([
      {
        title: 'Rotate TLS certificates',
        at: '2027-01-04T09:00:00',
        every: 'month',
        service: 'db',
        timezone: 'Europe/Berlin',
        action: 'task',
      },
    ]);
    expect(config.maintenance).toHaveLength(1);
    expect(parseConfig('').schedules).toEqual([]);
  });

  it('refuses schedules, heartbeats and windows it could not run, naming the key and its line', () => {
    const paths = (text: string) => issuesOf(text).map((i) => `${i.path}@${i.line}`);
    expect(paths('heartbeats:\n  backup: { every: 53w }\n')).toEqual(['heartbeats.backup.every@2']);
    expect(paths('heartbeats:\n  backup: { every: 30s }\n')).toEqual(['heartbeats.backup.every@2']);
    expect(paths('heartbeats:\n  backup: { every: 1d, service: nosuch }\n')).toEqual([
      'heartbeats.backup.service@2',
    ]);
    expect(paths('schedules:\n  - { title: Chore, at: "next tuesday" }\n')).toEqual(['schedules.0.at@2']);
    expect(paths('schedules:\n  - { title: Chore, at: "2027-01-04", every: "0 0 30 2 *" }\n')).toEqual([
      'schedules.0.every@2',
    ]);
    expect(paths('schedules:\n  - { title: Chore, at: "2027-01-04", action: message }\n')).toEqual([
      'schedules.0.channel@2',
    ]);
    expect(
      paths(
        'schedules:\n  - { title: Chore, at: "2027-01-04", action: webhook, url: "https://u:p@hooks.example/x" }\n',
      ),
    ).toEqual(['schedules.0.url@2']);
    expect(paths('maintenance:\n  - { from: "2027-01-03T02:00", to: "2027-01-03T04:00" }\n')).toEqual([
      'maintenance.0.service@2',
    ]);
    // Eight days: one occurrence lasts at most seven.
    expect(
      paths(
        'services:\n  db: {}\nmaintenance:\n  - { service: db, from: "2027-01-03T02:00", to: "2027-01-11T02:00" }\n',
      ),
    ).toEqual(['maintenance.0.to@4']);
  });

  it('reports a YAML syntax error with its line', () => {
    const issues = issuesOf('sla:\n  P1: { ack: 5m\n');
    expect(issues[0]?.line).toBeGreaterThanOrEqual(2);
  });

  it('refuses an ack window longer than the resolve window', () => {
    expect(issuesOf('sla:\n  P3: { ack: 2h, resolve: 1h }\n')[0]).toMatchObject({ path: 'sla.P3', line: 2 });
  });
});
