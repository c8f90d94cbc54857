import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { availableActions, parseTaskRef, renderCard, taskRef } from '../../src/bot/card.js';
import { decodeEntities, escapeMrkdwn, link, slackDate } from '../../src/bot/text.js';
import { cut } from '../../src/core/bounds.js';
import { PERMISSIONS } from '../../src/core/rbac.js';
import { aTask, T0 } from '../helpers/factories.js';

const HOSTILE = '<!channel> <@U0EVIL> <https://evil.example|https://good.example> & co';

describe('text for Slack', () => {
  it('escapes exactly &, < and >, and decoding gives back what was typed', () => {
    expect(escapeMrkdwn('a & <b> &lt;')).toBe('a &amp; &lt;b&gt; &amp;lt;');
    fc.assert(
      fc.property(fc.string(), (text) => {
        const escaped = escapeMrkdwn(text);
        return !/[<>]/.test(escaped) && decodeEntities(escaped) === text;
      }),
    );
  });

  it('drops the bidirectional controls with which a title would show its letters in another order, and keeps right-to-left scripts', () => {
    expect(escapeMrkdwn('deploy \u202Elive\u202C ok')).toBe('deploy live ok');
    expect(escapeMrkdwn('\u2066a\u2067b\u2068c\u2069 \u202Ax\u202By\u202Cz\u202D')).toBe('abc xyz');
    expect(escapeMrkdwn('שרת db-1 נפל')).toBe('שרת db-1 נפל');
  });

  it('makes links whose label and URL cannot break out of the link, and only for http(s)', () => {
    expect(link('https://ci.example/run/1', 'Run <1>')).toBe('<https://ci.example/run/1|Run &lt;1&gt;>');
    expect(link('https://x.example/a|b>c', 'l|abel')).toBe('<https://x.example/a%7Cb%3Ec|l¦abel>');
    expect(link('javascript:alert(1)', 'click')).toBe('click');
    expect(link('not a url', '<b>')).toBe('&lt;b&gt;');
  });

  it('writes times as date tokens each reader sees in their own zone, and truncates between characters', () => {
    expect(slackDate('2026-03-02T09:00:00.000Z', '{time}')).toBe(
      '<!date^1772442000^{time}|2026-03-02 09:00 UTC>',
    );
    // Within `max` UTF-16 code units (never fewer than the characters Slack counts), never half a pair.
    expect(cut('🚀🚀🚀🚀', 5)).toBe('🚀🚀…');
    expect(cut('🚀🚀🚀🚀', 4)).toBe('🚀…');
    expect(cut('short', 10)).toBe('short');
  });
});

describe('the card', () => {
  it('shows every field a person needs, with times as date tokens', () => {
    const task = aTask({
      assignee: 'U01BBB',
      occurrences: 3,
      links: [{ label: 'Run', url: 'https://ci.example/1' }],
    });
    const { text, blocks } = renderCard(task, { now: new Date(T0) });
    const json = JSON.stringify(blocks);
    expect(text).toBe(`P2 ${task.id}: Checkout latency above 2s (open)`);
    for (const part of [
      '*P2*',
      '*Status*\\nOpen',
      '*Assignee*\\n<@U01BBB>',
      'checkout (payments)',
      '*Occurrences*\\n3',
      'Ack due <!date^',
      '<https://ci.example/1|Run>',
    ])
      expect(json).toContain(part);
  });

  it('renders nothing a person or source typed as markup', () => {
    const task = aTask({
      title: HOSTILE,
      description: HOSTILE,
      resolution: HOSTILE,
      status: 'resolved',
      resolvedAt: T0,
      resolvedBy: 'U01BBB',
      links: [{ label: HOSTILE, url: 'https://ok.example' }],
      service: '<!here>',
    });
    const { text, blocks } = renderCard(task, { now: new Date(T0) });
    for (const rendered of [text, JSON.stringify(blocks)]) {
      expect(rendered).not.toContain('<!channel>');
      expect(rendered).not.toContain('<!here>');
      expect(rendered).not.toContain('<@U0EVIL>');
      expect(rendered).not.toContain('<https://evil');
    }
  });

  it('offers the actions the state allows', () => {
    expect(availableActions(aTask())).toEqual([
      'acknowledge',
      'claim',
      'start',
      'resolve',
      'reassign',
      'priority',
      'snooze',
    ]);
    expect(availableActions(aTask({ status: 'acknowledged', assignee: 'U01BBB' }))).toEqual([
      'start',
      'resolve',
      'reassign',
      'priority',
      'snooze',
    ]);
    expect(availableActions(aTask({ status: 'resolved' }))).toEqual(['reopen']);
  });

  it('offers a viewer on their own surface only what the permission table lets them do', () => {
    const held = aTask({ status: 'acknowledged', assignee: 'U01BBB' });
    expect(availableActions(held, { id: 'U09VIEW', role: 'viewer' })).toEqual([]);
    const developer = availableActions(held, { id: 'U01CCC', role: 'developer' });
    // Someone else's task: a developer may resolve it and raise its priority, not start, snooze or reassign it.
    expect(PERMISSIONS.start.developer).toBe('holder');
    expect(PERMISSIONS.reassign.developer).toBe('no');
    expect(developer).toEqual(['resolve', 'priority']);
    expect(availableActions(held, { id: 'U01BBB', role: 'developer' })).toEqual([
      'start',
      'resolve',
      'reassign',
      'priority',
      'snooze',
    ]);
    expect(availableActions(held, { id: 'U0ADMIN', role: 'admin' })).toEqual(availableActions(held));
  });

  it('carries the task and the version it showed back in every button', () => {
    expect(taskRef({ id: 'TMS-42', version: 7 })).toBe('TMS-42@7');
    expect(parseTaskRef('TMS-42@7')).toEqual({ taskId: 'TMS-42', version: 7 });
    expect(parseTaskRef('tms_card:TMS-42@7')).toEqual({ taskId: 'TMS-42', version: 7 });
    expect(parseTaskRef('TMS-42@7:P1')).toEqual({ taskId: 'TMS-42', version: 7 });
    for (const junk of ['', 'TMS-42', '42@7', 'TMS-0@1', 'TMS-42@x', undefined])
      expect(parseTaskRef(junk)).toBeUndefined();
  });
});

describe('what history adds to the card', () => {
  const MIN = 60_000;
  const task = aTask({ priority: 'P1' }); // an hour to resolve

  it('shows what fixed the alert before, escaped', () => {
    const { blocks } = renderCard(task, {
      now: new Date(T0),
      insight: { suggestion: 'Last 3 times: restarted <the> consumer — median 12 min', typicalMs: {} },
    });
    expect(JSON.stringify(blocks)).toContain(
      ':bulb: Last 3 times: restarted &lt;the&gt; consumer — median 12 min',
    );
  });

  it('marks a clock at risk when less time is left than similar tasks take, and not before', () => {
    const insight = { suggestion: null, typicalMs: { resolve: 40 * MIN } };
    const early = JSON.stringify(renderCard(task, { now: new Date(T0), insight }).blocks);
    const later = JSON.stringify(
      renderCard(task, { now: new Date(Date.parse(T0) + 25 * MIN), insight }).blocks,
    );
    expect(early).not.toContain('at risk');
    expect(later).toContain('(at risk: similar tasks take 40 min)');
  });
});
