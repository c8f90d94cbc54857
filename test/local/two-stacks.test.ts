import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/time.js';
import { API, getJson, inProcessStack, postJson, type TestStack } from '../helpers/local-stack.js';

/** The README's first alert, as a sender with the given token sends it. */
const trigger = (token: string, key: string) => ({
  routing_key: token,
  event_action: 'trigger',
  dedup_key: key,
  payload: { summary: `Disk 95% full (${key})`, source: 'db1', severity: 'critical', component: 'checkout' },
});

describe('two local stacks in one process', () => {
  // Prepare: one on the system clock with the development secrets, one on a clock of the test's with its own.
  const clock = new ManualClock('2026-03-02T09:00:00.000Z');
  const environment = JSON.stringify(process.env);
  let first: TestStack;
  let second: TestStack;
  beforeAll(async () => {
    [first, second] = await Promise.all([
      inProcessStack(),
      inProcessStack({ INGEST_TOKEN: 'second-ingest-token', TMS_API_TOKEN: 'second-api-token' }, { clock }),
    ]);
  });
  afterAll(() => Promise.all([first?.close(), second?.close()]));

  it('keep their own store, secrets and clock, and leave the environment as it was', async () => {
    // Act
    const toFirst = await postJson(`${first.url}/ingest/generic`, trigger('local-ingest-token', 'one'));
    const toSecond = await postJson(`${second.url}/ingest/generic`, trigger('second-ingest-token', 'two'));
    const wrongToken = await postJson(`${second.url}/ingest/generic`, trigger('local-ingest-token', 'three'));
    clock.advance(90_000);
    const later = await postJson(`${second.url}/ingest/generic`, trigger('second-ingest-token', 'four'));

    // Assess
    expect([toFirst.status, toSecond.status, later.status]).toEqual([202, 202, 202]);
    expect(wrongToken.status).toBe(401);
    const firstTasks = (await getJson(`${first.url}/api/tasks`, API())).body.tasks;
    const secondTasks = (await getJson(`${second.url}/api/tasks`, API('second-api-token'))).body.tasks;
    expect(firstTasks.map((t: { title: string }) => t.title)).toEqual(['Disk 95% full (one)']);
    expect(
      secondTasks.map((t: { title: string; createdAt: string }) => [t.title, t.createdAt]).sort(),
    ).toEqual([
      ['Disk 95% full (four)', '2026-03-02T09:01:30.000Z'],
      ['Disk 95% full (two)', '2026-03-02T09:00:00.000Z'],
    ]);
    expect((await getJson(`${second.url}/api/tasks`, API())).status).toBe(401);
    expect(JSON.stringify(process.env)).toBe(environment);
  });
});
