import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, parseListParams } from '../../src/core/pagination.js';
import { parseTaskId } from '../../src/core/task.js';
import { formatDuration, parseDuration } from '../../src/core/time.js';

describe('the list query', () => {
  it('reads status, service, assignee, limit and cursor', () => {
    const cursor = encodeCursor(42) ?? '';
    expect(
      parseListParams({
        status: 'open,acknowledged',
        service: 'checkout',
        assignee: 'U0ANA',
        limit: '10',
        cursor,
      }),
    ).toEqual({
      ok: true,
      value: {
        statuses: ['open', 'acknowledged'],
        service: 'checkout',
        assignee: 'U0ANA',
        limit: 10,
        before: 42,
      },
    });
    expect(parseListParams({})).toEqual({ ok: true, value: { limit: 25, before: null } });
    expect(parseListParams({ status: 'all' })).toEqual({ ok: true, value: { limit: 25, before: null } });
    expect(parseListParams({ status: 'unresolved' })).toMatchObject({
      value: { statuses: ['open', 'acknowledged', 'in_progress'] },
    });
  });

  it('refuses what it cannot read, saying what it takes', () => {
    expect(parseListParams({ status: 'closed' })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_INPUT', message: expect.stringMatching(/status must be/) },
    });
    for (const limit of ['0', '101', '2.5', 'ten']) {
      expect(parseListParams({ limit })).toMatchObject({
        ok: false,
        error: { message: 'limit must be a whole number from 1 to 100' },
      });
    }
    for (const cursor of ['nope', encodeCursor(-1), Buffer.from('{"b":"1"}').toString('base64url')]) {
      expect(decodeCursor(cursor ?? '')).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    }
    expect(encodeCursor(null)).toBeNull();
  });
});

describe('ids and durations people type', () => {
  it('accepts TMS-42, tms-42 and 42', () => {
    expect(['TMS-42', 'tms-42', '42', ' 42 '].map(parseTaskId)).toEqual([
      'TMS-42',
      'TMS-42',
      'TMS-42',
      'TMS-42',
    ]);
    expect(['TMS-0', 'TMS-', 'abc', '4 2', '-42', 'TMS-042x'].map(parseTaskId)).toEqual(
      Array(6).fill(undefined),
    );
  });

  it('reads 30s, 5m, 4h, 3d and 1w', () => {
    expect(['30s', '5m', '4h', '3d', '1w'].map(parseDuration)).toEqual([
      30_000, 300_000, 14_400_000, 259_200_000, 604_800_000,
    ]);
    expect(['', '5', 'm', '0m', '1.5h', '5 m', '-5m'].map(parseDuration)).toEqual(Array(7).fill(undefined));
    expect([90_000, 7_200_000, 86_400_000, 1_500].map(formatDuration)).toEqual(['90s', '2h', '1d', '2s']);
  });
});
