import { describe, expect, it } from 'vitest';
import {
  encode,
  hoursBetween,
  latestOf,
  MAX_CLIENT_MESSAGE,
  MAX_SERVER_MESSAGE,
  mayReceive,
  parseClientMessage,
} from '../../src/core/live.js';
import { ROLES } from '../../src/core/rbac.js';
import { aTask } from '../helpers/factories.js';

describe('a client’s message', () => {
  it('is since (its time made UTC) or ping, nothing else', () => {
    expect(parseClientMessage('{"type":"ping"}')).toEqual({ ok: true, value: { type: 'ping' } });
    expect(parseClientMessage('{"type":"since","at":"2026-03-02T10:00:00+01:00"}')).toEqual({
      ok: true,
      value: { type: 'since', at: '2026-03-02T09:00:00.000Z' },
    });
  });

  it.each([
    ['not JSON', '{"type":', /JSON/],
    ['empty', '', /JSON/],
    ['an unknown type', '{"type":"subscribe"}', /type/],
    ['an unknown field', '{"type":"ping","as":"admin"}', /as/],
    ['a time that is no time', '{"type":"since","at":"yesterday"}', /^at: /],
    ['JSON that is no object', '[1,2]', /./],
    ['a prototype key', '{"type":"ping","__proto__":{"admin":true}}', /__proto__/],
  ])('is refused, saying why, when it is %s', (_, text, why) => {
    const parsed = parseClientMessage(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error.code).toBe('INVALID_MESSAGE');
      expect(parsed.error.message).toMatch(why);
    }
  });

  it(`is at most ${MAX_CLIENT_MESSAGE} bytes, counted in UTF-8 before it is parsed`, () => {
    const pad = (n: number, char = 'x') => `{"type":"ping","p":"${char.repeat(n)}"}`;
    const base = pad(0).length;
    expect(parseClientMessage(pad(MAX_CLIENT_MESSAGE - base)).ok).toBe(false); // fits, but has an unknown key
    expect(parseClientMessage(pad(MAX_CLIENT_MESSAGE - base + 1))).toMatchObject({
      error: { code: 'TOO_LARGE' },
    });
    // Fewer characters than the limit, more bytes.
    const wide = pad(Math.ceil(MAX_CLIENT_MESSAGE / 3), '€');
    expect(wide.length).toBeLessThan(MAX_CLIENT_MESSAGE);
    expect(parseClientMessage(wide)).toMatchObject({ error: { code: 'TOO_LARGE' } });
  });
});

describe('who is sent what', () => {
  it('sends every role every task change, as every role may view every task', () => {
    const task = aTask({ id: 'TMS-7', assignee: 'U0ANA' });
    for (const role of ROLES) {
      const connection = { role, actor: { type: 'user' as const, id: 'U0BEN' } };
      expect(mayReceive(connection, { type: 'task.changed', task })).toBe(true);
      expect(mayReceive(connection, { type: 'task.deleted', taskId: 'TMS-7', at: task.updatedAt })).toBe(
        true,
      );
    }
  });
});

describe('a batch of one task’s changes', () => {
  const v = (version: number) => aTask({ id: 'TMS-7', version });

  it('is its latest version, whatever order the versions came in', () => {
    expect(latestOf([{ task: v(2) }, { task: v(4) }, { task: v(3) }])).toEqual({
      type: 'task.changed',
      task: v(4),
    });
  });

  it('is its deletion when it was deleted last', () => {
    expect(latestOf([{ task: v(2) }, { deleted: 'TMS-7', at: '2026-03-02T10:00:00.000Z' }])).toEqual({
      type: 'task.deleted',
      taskId: 'TMS-7',
      at: '2026-03-02T10:00:00.000Z',
    });
    expect(latestOf([])).toBeUndefined();
  });
});

describe('the hours of the catch-up log', () => {
  it('are every hour from the first to the last, both included, across a day', () => {
    expect(hoursBetween(new Date('2026-03-02T22:59:59.999Z'), new Date('2026-03-03T01:00:00.000Z'))).toEqual([
      '2026-03-02T22',
      '2026-03-02T23',
      '2026-03-03T00',
      '2026-03-03T01',
    ]);
    expect(hoursBetween(new Date('2026-03-02T09:10:00Z'), new Date('2026-03-02T09:50:00Z'))).toEqual([
      '2026-03-02T09',
    ]);
  });
});

describe('a message as it is sent', () => {
  it('is the task whole, as the API shows it, when it fits', () => {
    const task = aTask({ id: 'TMS-7', labels: { env: 'prod' } });
    expect(JSON.parse(encode({ type: 'task.changed', task }))).toEqual({ type: 'task.changed', task });
  });

  it('leaves out a large task’s labels and links, and says so, to stay within a WebSocket message', () => {
    // As large as a task gets (src/core/bounds.ts): 64 KB of labels, twenty long links, a description and a
    // resolution of 4,000 characters of three bytes each.
    const labels = Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`label-${i}`, 'v'.repeat(250)]));
    const links = Array.from({ length: 20 }, (_, i) => ({
      label: `runbook ${i}`,
      url: `https://wiki.example/${'p'.repeat(2000)}/${i}`,
    }));
    const task = aTask({
      id: 'TMS-7',
      labels,
      links,
      description: '€'.repeat(4000),
      resolution: '€'.repeat(4000),
    });
    expect(new TextEncoder().encode(JSON.stringify({ type: 'task.changed', task })).length).toBeGreaterThan(
      MAX_SERVER_MESSAGE,
    );
    const sent = encode({ type: 'task.changed', task });
    expect(new TextEncoder().encode(sent).length).toBeLessThanOrEqual(MAX_SERVER_MESSAGE);
    expect(JSON.parse(sent)).toEqual({
      type: 'task.changed',
      task: { ...task, labels: {}, links: [] },
      partial: true,
    });
  });
});
