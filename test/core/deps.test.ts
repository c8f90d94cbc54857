import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultDeps } from '../../src/core/use-cases/deps.js';
import { MemoryTaskStore } from '../fakes/memory-task-store.js';
import { config } from '../helpers/factories.js';

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('the waits between retries', () => {
  it('never wait less than asked, even with the luckiest jitter: a Retry-After of 1 s is 1 s at least', async () => {
    // Prepare: the smallest jitter there is, on timers the test moves.
    vi.useFakeTimers();
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const deps = defaultDeps(new MemoryTaskStore(), config, { now: () => new Date() });
    let done = false;
    // Act
    const waiting = deps.sleep(1_000).then(() => {
      done = true;
    });
    // Assess: before, it was over at half the time (x0.5).
    await vi.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await waiting;
    expect(done).toBe(true);
  });

  it('are jittered upward only, by at most half', async () => {
    vi.useFakeTimers();
    vi.spyOn(Math, 'random').mockReturnValue(0.999_999);
    const deps = defaultDeps(new MemoryTaskStore(), config, { now: () => new Date() });
    let done = false;
    const waiting = deps.sleep(1_000).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(1_499);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await waiting;
    expect(done).toBe(true);
  });
});
