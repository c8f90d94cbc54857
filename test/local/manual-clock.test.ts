import { afterEach, describe, expect, it } from 'vitest';
import { createSchedule } from '../../src/core/use-cases/schedules.js';
import { API, getJson, inProcessStack, postJson, type TestStack } from '../helpers/local-stack.js';

let stacks: TestStack[] = [];
afterEach(async () => {
  await Promise.all(stacks.map((stack) => stack.close()));
  stacks = [];
});

async function stackWith(env: NodeJS.ProcessEnv) {
  const stack = await inProcessStack(env);
  stacks.push(stack);
  return stack;
}

describe('TMS_CLOCK=manual', () => {
  it("moves the stack's time ahead on POST /_sandbox/clock, so tomorrow's chore falls due now", async () => {
    // Prepare: a chore due tomorrow at 09:00 UTC, on a stack whose clock a demo moves
    const stack = await stackWith({ TMS_CLOCK: 'manual' });
    const before = await getJson(`${stack.url}/_sandbox/clock`);
    const made = await createSchedule(
      { ...stack.deps, webhooksEnabled: true },
      { title: 'Water the plants', at: new Date(Date.now() + 86_400_000), timezone: 'UTC', action: 'task' },
      { user: 'U01AAA', role: 'developer', origin: 'api' },
    );
    if (!made.ok) throw new Error(made.error.message);

    // Act
    await postJson(`${stack.url}/_sandbox/tick`, {});
    const early = (await getJson(`${stack.url}/api/tasks`, API())).body.tasks;
    const moved = await postJson(`${stack.url}/_sandbox/clock`, { advance: '1d' });
    await postJson(`${stack.url}/_sandbox/tick`, {});
    const late = (await getJson(`${stack.url}/api/tasks`, API())).body.tasks;

    // Assess
    expect(before.body).toMatchObject({ manual: true });
    expect(moved.status).toBe(200);
    expect(Date.parse(moved.body.now) - Date.parse(before.body.now)).toBeGreaterThanOrEqual(86_400_000);
    expect(early).toEqual([]);
    expect(late.map((t: { title: string }) => t.title)).toEqual(['Water the plants']);
    expect(stack.lines.some((line) => line.startsWith('clock: moved 1d ahead'))).toBe(true);
  });

  it('refuses a move it cannot make, and a stack on the system clock says how to get a manual one', async () => {
    // Prepare
    const manual = await stackWith({ TMS_CLOCK: 'manual' });
    const system = await stackWith({});

    // Act
    const backwards = await postJson(`${manual.url}/_sandbox/clock`, { advance: '-1h' });
    const garbled = await postJson(`${manual.url}/_sandbox/clock`, { advance: 'tomorrow' });
    const tooFar = await postJson(`${manual.url}/_sandbox/clock`, { advance: '14000000w' });
    const refused = await postJson(`${system.url}/_sandbox/clock`, { advance: '1h' });

    // Assess
    expect(tooFar.body.error.message).toBe('the clock moves at most ten years ahead in all');
    for (const answer of [backwards, garbled, tooFar])
      expect(answer).toMatchObject({ status: 400, body: { error: { code: 'INVALID_INPUT' } } });
    expect(refused).toMatchObject({
      status: 409,
      body: { error: { code: 'CLOCK_NOT_MANUAL', message: expect.stringContaining('TMS_CLOCK=manual') } },
    });
    expect((await getJson(`${system.url}/_sandbox/clock`)).body).toMatchObject({ manual: false });
    await expect(inProcessStack({ TMS_CLOCK: 'fast' })).rejects.toThrow('TMS_CLOCK is "fast"');
  });
});
