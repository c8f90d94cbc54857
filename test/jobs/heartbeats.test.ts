import { describe, expect, it } from 'vitest';
import type { BotDeps } from '../../src/bot/context.js';
import { parseConfig } from '../../src/core/config.js';
import type { HeartbeatStore } from '../../src/core/ports.js';
import { ManualClock } from '../../src/core/time.js';
import { pingHeartbeat } from '../../src/ingest/heartbeat.js';
import { sweepHeartbeats } from '../../src/jobs/heartbeats.js';
import { MemoryHeartbeatStore } from '../fakes/memory-heartbeat-store.js';
import { MemoryTaskStore } from '../fakes/memory-task-store.js';
import { MemoryWindowStore } from '../fakes/memory-window-store.js';
import { depsFor } from '../helpers/factories.js';

const HOUR = 3_600_000;
const MADE = '2026-12-01T00:00:00.000Z';
const config = parseConfig(`
services:
  db: { channel: C0DB }
heartbeats:
  nightly-backup: { every: 1d, grace: 1h, service: db, priority: P2 }
`);

/** The sweep's deps: the use cases' over in-memory stores, on a clock of the test's (the sweep reads no more). */
function setup(heartbeats: HeartbeatStore = new MemoryHeartbeatStore()) {
  const tasks = new MemoryTaskStore();
  const deps = { ...depsFor(tasks, new ManualClock(MADE)), config, heartbeats };
  const sweep = () => sweepHeartbeats(deps as unknown as BotDeps, deps.clock.now());
  const ping = () => pingHeartbeat(deps, 'nightly-backup');
  return { deps, tasks, heartbeats, sweep, ping };
}

/** A store whose markLate runs `before` first, once: what happens between the sweep's alert and its mark. */
function between(before: (inner: MemoryHeartbeatStore) => Promise<void>) {
  const inner = new MemoryHeartbeatStore();
  let armed = true;
  const store = Object.assign(Object.create(inner) as MemoryHeartbeatStore, {
    async markLate(name: string, since: string, lastPingAt: string | undefined) {
      if (armed) {
        armed = false;
        await before(inner);
      }
      return inner.markLate(name, since, lastPingAt);
    },
  });
  return { inner, store };
}

describe('the heartbeat sweep', () => {
  it('opens one task when a heartbeat misses its deadline, none on the next sweep, and the next ping resolves it', async () => {
    // Prepare: the config's heartbeat is watched from the first sweep.
    const { deps, tasks, heartbeats, sweep, ping } = setup();
    await sweep();
    deps.clock.advance(24 * HOUR + HOUR - 1);
    expect((await sweep()).late).toEqual([]);
    // Act
    deps.clock.advance(1);
    const first = await sweep();
    deps.clock.advance(60_000);
    const second = await sweep();
    // Assess
    expect(first.late).toEqual(['nightly-backup']);
    expect(second.late).toEqual([]);
    expect([...tasks.tasks.values()]).toHaveLength(1);
    expect(await tasks.get('TMS-1')).toMatchObject({
      status: 'open',
      source: 'tms',
      fingerprint: 'heartbeat:nightly-backup',
      service: 'db',
      priority: 'P2',
      occurrences: 1,
      title: `nightly-backup has not reported for 1 day 1 hour; no ping since it was made ${MADE}, expected every 1d (+1h grace)`,
    });
    expect(await heartbeats.getHeartbeat('nightly-backup')).toMatchObject({
      lateSince: '2026-12-02T01:00:00.000Z',
    });
    // Act: the job succeeds again.
    deps.clock.advance(60_000);
    const pinged = await ping();
    // Assess
    expect(pinged?.outcome).toEqual({ result: 'resolved', taskId: 'TMS-1' });
    expect((await tasks.get('TMS-1'))?.status).toBe('resolved');
    expect((await heartbeats.getHeartbeat('nightly-backup'))?.lateSince).toBeUndefined();
    expect((await sweep()).late).toEqual([]);
  });

  it('held by a maintenance window is marked late once, not held (and counted) again every minute', async () => {
    // Prepare: the db's window covers the hour the heartbeat goes late in
    const { deps, heartbeats, sweep } = setup();
    const windows = new MemoryWindowStore();
    await windows.createWindow({
      id: 'MW-db0001',
      matchers: [{ key: 'service', value: 'db' }],
      from: new Date(Date.parse(MADE) + 24 * HOUR).toISOString(),
      to: new Date(Date.parse(MADE) + 27 * HOUR).toISOString(),
      timezone: 'UTC',
      reason: 'storage migration',
      origin: 'slack',
      createdBy: 'U01AAA',
      createdAt: MADE,
      held: 0,
    });
    Object.assign(deps, { windows });
    await sweep();
    deps.clock.advance(25 * HOUR);
    // Act
    const first = await sweep();
    deps.clock.advance(60_000);
    await sweep();
    deps.clock.advance(60_000);
    await sweep();
    // Assess
    expect(first.late).toEqual(['nightly-backup']);
    expect((await heartbeats.getHeartbeat('nightly-backup'))?.lateSince).toBeDefined();
    expect((await windows.getWindow('MW-db0001'))?.held).toBe(1);
    const [held] = await windows.heldAlerts(
      'MW-db0001',
      new Date(Date.parse(MADE) + 24 * HOUR).toISOString(),
    );
    expect(held).toMatchObject({ fingerprint: 'heartbeat:nightly-backup', firing: true, count: 1 });
  });

  it('counts from the last ping, not from when it was made', async () => {
    const { deps, tasks, sweep, ping } = setup();
    await sweep();
    deps.clock.advance(20 * HOUR);
    await ping();
    deps.clock.advance(24 * HOUR);
    expect((await sweep()).late).toEqual([]);
    deps.clock.advance(HOUR);
    expect((await sweep()).late).toEqual(['nightly-backup']);
    expect((await tasks.get('TMS-1'))?.title).toContain('last ping 2026-12-01T20:00:00.000Z');
  });

  it('a sweep that dies after opening the task and before marking it leaves the next to mark it: one task, one occurrence', async () => {
    // Prepare
    const { inner, store } = between(async () => {
      throw new Error('killed');
    });
    const { deps, tasks, sweep } = setup(store);
    await sweep();
    deps.clock.advance(25 * HOUR);
    // Act
    const dying = await sweep();
    deps.clock.advance(60_000);
    const next = await sweep();
    // Assess
    expect(dying.failed).toEqual(['nightly-backup']);
    expect(next.late).toEqual(['nightly-backup']);
    expect([...tasks.tasks.values()]).toHaveLength(1);
    expect((await tasks.get('TMS-1'))?.occurrences).toBe(1);
    expect((await inner.getHeartbeat('nightly-backup'))?.lateSince).toBeDefined();
  });

  it('a ping whose resolve was lost (its request died after recording it) is resolved by the next sweep', async () => {
    // Prepare
    const { deps, tasks, heartbeats, sweep } = setup();
    await sweep();
    deps.clock.advance(25 * HOUR);
    await sweep();
    // Act: the ping recorded, then nothing more.
    deps.clock.advance(60_000);
    await heartbeats.ping('nightly-backup', deps.clock.now().toISOString());
    const next = await sweep();
    // Assess
    expect(next.resolved).toEqual(['nightly-backup']);
    expect((await tasks.get('TMS-1'))?.status).toBe('resolved');
    expect((await heartbeats.getHeartbeat('nightly-backup'))?.lateSince).toBeUndefined();
  });

  it('a ping between the sweep reading a heartbeat and marking it late leaves no task open', async () => {
    // Prepare: the ping (and its resolve, which found no task yet) lands before the mark.
    let clock!: ManualClock;
    const { store } = between(async (inner) => {
      await inner.ping('nightly-backup', clock.now().toISOString());
    });
    const { deps, tasks, sweep } = setup(store);
    clock = deps.clock;
    await sweep();
    deps.clock.advance(25 * HOUR);
    // Act
    const swept = await sweep();
    // Assess
    expect(swept.late).toEqual([]);
    expect(swept.resolved).toEqual(['nightly-backup']);
    expect((await tasks.get('TMS-1'))?.status).toBe('resolved');
  });

  it('takes out a heartbeat the config no longer names, resolving its task, and keeps those made in Slack', async () => {
    // Prepare
    const { deps, tasks, heartbeats, sweep } = setup();
    await sweep();
    await heartbeats.putHeartbeat({
      name: 'etl',
      everyMs: 30 * 24 * HOUR,
      graceMs: HOUR,
      origin: 'slack',
      createdBy: 'U0ANA',
      createdAt: MADE,
    });
    deps.clock.advance(25 * HOUR);
    await sweep();
    // Act
    const without = { ...deps, config: { ...config, heartbeats: {} } };
    const swept = await sweepHeartbeats(without as unknown as BotDeps, deps.clock.now());
    // Assess
    expect(swept.resolved).toEqual(['nightly-backup']);
    expect((await tasks.get('TMS-1'))?.status).toBe('resolved');
    expect((await heartbeats.listHeartbeats()).map((b) => b.name)).toEqual(['etl']);
  });

  it('a config redefinition keeps when it was made and its last ping', async () => {
    const { deps, heartbeats, sweep, ping } = setup();
    await sweep();
    deps.clock.advance(HOUR);
    await ping();
    const longer = { ...config, heartbeats: { 'nightly-backup': { everyMs: 48 * HOUR, graceMs: HOUR } } };
    await sweepHeartbeats({ ...deps, config: longer } as unknown as BotDeps, deps.clock.now());
    expect(await heartbeats.getHeartbeat('nightly-backup')).toEqual({
      name: 'nightly-backup',
      everyMs: 48 * HOUR,
      graceMs: HOUR,
      origin: 'config',
      createdBy: 'config',
      createdAt: MADE,
      lastPingAt: '2026-12-01T01:00:00.000Z',
    });
  });
});
