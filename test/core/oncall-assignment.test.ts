import { describe, expect, it } from 'vitest';
import { renderCard } from '../../src/bot/card.js';
import { parseConfig } from '../../src/core/config.js';
import type { OverrideRecord } from '../../src/core/ports.js';
import { Task } from '../../src/core/task.js';
import { actOnTask } from '../../src/core/use-cases/act-on-task.js';
import { ingestAlert } from '../../src/core/use-cases/ingest-alert.js';
import { MemoryOncallStore } from '../fakes/memory-oncall-store.js';
import { MemoryTaskStore } from '../fakes/memory-task-store.js';
import { anAlert, depsFor, T0, user } from '../helpers/factories.js';

const HOUR = 3_600_000;

// Weekly, handing over Mondays 09:00 in Berlin: on T0 (Monday 2026-03-02, 10:00 in Berlin) U01AAA's shift runs.
const config = parseConfig(`
services:
  checkout: { team: payments }
  search: { team: discovery }
teams:
  payments:
    channel: C0PAYMENTS
    oncall: { rotation: [U01AAA, U01BBB], every: 7d, handoff: "2026-01-05T09:00:00", timezone: Europe/Berlin }
  discovery: { channel: C0DISCOVERY }
`);

/** The on-call store, counting its queries; `failing` makes every lookup throw. */
class CountedOncall extends MemoryOncallStore {
  queries = 0;
  failing = false;
  override async listOverrides(team: string, from: string, to: string): Promise<OverrideRecord[]> {
    this.queries++;
    if (this.failing) throw new Error('throttled');
    return super.listOverrides(team, from, to);
  }
}

function setup() {
  const store = new MemoryTaskStore();
  const oncall = new CountedOncall();
  const warnings: string[] = [];
  const deps = depsFor(store, undefined, {
    config,
    oncall,
    warn: (message) => void warnings.push(message),
  });
  return { store, oncall, warnings, deps };
}

const override = (user: string, start: string, end: string): OverrideRecord => ({
  id: 'ovr-1',
  team: 'payments',
  user,
  start,
  end,
  createdAt: '2026-03-01T00:00:00.000Z',
  createdBy: 'U0ADMIN',
  reason: 'override',
});

describe('a new alert task goes to the on-call of its team', () => {
  it('assigns it to whoever the rotation has on call, says why, and the card says so', async () => {
    // Prepare
    const { store, oncall, deps } = setup();

    // Act
    const outcome = await ingestAlert(deps, anAlert());

    // Assess
    expect(outcome).toEqual({ result: 'created', taskId: 'TMS-1' });
    const task = await store.get('TMS-1');
    expect(task).toMatchObject({ assignee: 'U01AAA', assignedBy: { oncall: 'payments', user: 'U01AAA' } });
    expect(Task.safeParse(task).success).toBe(true);
    expect(oncall.queries).toBe(1);
    expect((await store.timeline('TMS-1'))[0]).toMatchObject({ type: 'opened', assignee: 'U01AAA' });
    const card = JSON.stringify(renderCard(task as Task, { now: new Date(T0) }).blocks);
    expect(card).toContain('*Assignee*\\n<@U01AAA>, on call for payments');
  });

  it('assigns it to the person an override in force puts on call', async () => {
    // Prepare
    const { store, oncall, deps } = setup();
    await oncall.createOverride(override('U01CCC', '2026-03-02T08:00:00.000Z', '2026-03-02T12:00:00.000Z'));

    // Act
    await ingestAlert(deps, anAlert());

    // Assess
    expect(await store.get('TMS-1')).toMatchObject({
      assignee: 'U01CCC',
      assignedBy: { oncall: 'payments', user: 'U01CCC' },
    });
  });

  it('leaves a task of a team without a rotation unassigned, at no query', async () => {
    // Prepare
    const { store, oncall, deps } = setup();

    // Act
    await ingestAlert(deps, anAlert({ service: 'search', fingerprint: 'generic:search-down' }));

    // Assess
    const task = await store.get('TMS-1');
    expect(task).toMatchObject({ assignee: null, team: 'discovery' });
    expect(task).not.toHaveProperty('assignedBy');
    expect(oncall.queries).toBe(0);
    expect(JSON.stringify(renderCard(task as Task, { now: new Date(T0) }).blocks)).toContain(
      '*Assignee*\\nUnassigned',
    );
  });

  it('falls back to the rotation alone when the overrides cannot be read, and says so in the log', async () => {
    // Prepare
    const { store, oncall, warnings, deps } = setup();
    await oncall.createOverride(override('U01CCC', '2026-03-02T08:00:00.000Z', '2026-03-02T12:00:00.000Z'));
    oncall.failing = true;

    // Act
    const outcome = await ingestAlert(deps, anAlert());

    // Assess
    expect(outcome).toEqual({ result: 'created', taskId: 'TMS-1' });
    expect(await store.get('TMS-1')).toMatchObject({ assignee: 'U01AAA' });
    expect(warnings).toEqual(['on-call overrides could not be read; assigned from the rotation alone']);
  });

  it('never reassigns on a repeat or a reopen, and asks nothing for them', async () => {
    // Prepare
    const { store, oncall, deps } = setup();
    await ingestAlert(deps, anAlert());
    // The next week U01BBB is on call, and someone took the task meanwhile.
    deps.clock.advance(7 * 24 * HOUR);
    const assigned = await actOnTask(deps, {
      taskId: 'TMS-1',
      command: { type: 'assign', assignee: 'U01DDD' },
      role: 'admin',
      ctx: { actor: user('U0ADMIN'), via: 'slack' },
    });
    expect(assigned.ok).toBe(true);
    const queries = oncall.queries;

    // Act
    const repeat = await ingestAlert(deps, anAlert({ occurredAt: deps.clock.now().toISOString() }));
    await ingestAlert(deps, anAlert({ action: 'resolve', occurredAt: deps.clock.now().toISOString() }));
    deps.clock.advance(60_000);
    const reopen = await ingestAlert(deps, anAlert({ occurredAt: deps.clock.now().toISOString() }));

    // Assess
    expect(repeat).toEqual({ result: 'appended', taskId: 'TMS-1' });
    expect(reopen).toEqual({ result: 'reopened', taskId: 'TMS-1' });
    const task = await store.get('TMS-1');
    expect(task).toMatchObject({ assignee: 'U01DDD', occurrences: 3 });
    expect(oncall.queries).toBe(queries);
    // Reassigned, the card no longer says on-call put them there.
    const card = JSON.stringify(renderCard(task as Task, { now: deps.clock.now() }).blocks);
    expect(card).toContain('*Assignee*\\n<@U01DDD>');
    expect(card).not.toContain('on call for');
  });
});
