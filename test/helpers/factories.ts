import { Alert, type AlertInput } from '../../src/core/alert.js';
import { type Config, parseConfig } from '../../src/core/config.js';
import type { TaskStore } from '../../src/core/ports.js';
import type { Role } from '../../src/core/rbac.js';
import { issueKeyOf } from '../../src/core/similar.js';
import type { Task } from '../../src/core/task.js';
import { ManualClock } from '../../src/core/time.js';
import type { Actor, ChangeContext } from '../../src/core/timeline.js';
import type { Deps } from '../../src/core/use-cases/deps.js';
import { buildTask } from '../../src/core/use-cases/open-task.js';

export const T0 = '2026-03-02T09:00:00.000Z';

export const config: Config = parseConfig(`
services:
  checkout:
    team: payments
    runbook: https://wiki.example/checkout
    match: { repositories: [acme/checkout], alarms: ["checkout-*"] }
teams:
  payments: { channel: C0PAYMENTS, usergroup: S0PAYMENTS }
rbac: { admins: [U0ADMIN], viewers: [S0READONLY] }
`);

/** The same, reading Alertmanager alert by alert (`grouping: alert`), for tests of one task per alert. */
export const perAlertConfig: Config = {
  ...config,
  sources: { ...config.sources, alertmanager: { grouping: 'alert' } },
};

export const user = (id: string): Actor => ({ type: 'user', id });
export const slack = (id: string, now: Date | string = T0): ChangeContext => ({
  actor: user(id),
  via: 'slack',
  now: new Date(now),
});

let sequence = 0;
/** A task as the store would hold it; fields override the defaults. */
export function aTask(fields: Partial<Task> = {}, now: string = T0): Task {
  const id = fields.id ?? `TMS-${++sequence}`;
  const { task } = buildTask(
    id,
    {
      title: 'Checkout latency above 2s',
      description: '',
      priority: fields.priority ?? 'P2',
      route: { service: 'checkout', team: 'payments', channel: 'C0PAYMENTS' },
      source: 'generic',
      kind: 'alert',
      fingerprint: 'generic:checkout-latency',
      assignee: null,
      labels: {},
      links: [],
      seenAt: now,
    },
    config,
    { actor: { type: 'source', id: 'generic' }, via: 'ingest', now: new Date(now) },
  );
  const made = { ...task, ...fields };
  // The issue key follows the title and service the test gave, as buildTask would have made it.
  return 'issueKey' in fields || made.kind === 'chore'
    ? made
    : { ...made, issueKey: issueKeyOf(made.service, made.title) };
}

export function anAlert(fields: Partial<AlertInput> = {}): Alert {
  return Alert.parse({
    source: 'generic',
    action: 'trigger',
    fingerprint: 'generic:checkout-latency',
    title: 'Checkout latency above 2s',
    severity: 'error',
    service: 'checkout',
    occurredAt: T0,
    ...fields,
  });
}

export function depsFor(
  store: TaskStore,
  clock = new ManualClock(T0),
  overrides: Partial<Deps> = {},
): Deps & { clock: ManualClock } {
  let n = 0;
  return {
    store,
    config,
    clock,
    newId: () => `token-${++n}`,
    sleep: async () => {},
    ...overrides,
  } as Deps & { clock: ManualClock };
}

export const roles: Record<string, Role> = { admin: 'admin', dev: 'developer', viewer: 'viewer' };
