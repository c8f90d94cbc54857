import { describe, expect, it } from 'vitest';
import { mention } from '../../src/bot/text.js';
import { historyText, peopleIn, timelineText } from '../../src/bot/timeline-text.js';
import type { TimelineEntry } from '../../src/core/timeline.js';
import { T0, user } from '../helpers/factories.js';

const BEN = 'U0BEN';
const CAL = 'U0CAL';
const base = { taskId: 'TMS-7', version: 2, seq: 0, at: T0, actor: user(BEN), via: 'slack' } as const;
const entry = (fields: Record<string, unknown>): TimelineEntry => ({ ...base, ...fields }) as TimelineEntry;
/** How the thread names people: by the names the directory gave. */
const names: Record<string, string> = { [BEN]: 'ben', [CAL]: 'cal' };
const byName = (id: string) => names[id] ?? id;

describe('a timeline entry in words', () => {
  it.each([
    [{ type: 'acknowledged' }, 'ben acknowledged'],
    [{ type: 'assigned', from: null, to: BEN }, 'ben took it'],
    [{ type: 'assigned', from: BEN, to: CAL }, 'ben assigned it to cal'],
    [{ type: 'assigned', from: CAL, to: null }, 'ben unassigned it'],
    [{ type: 'started' }, 'ben started work'],
    [
      { type: 'resolved', resolution: 'restarted the consumer' },
      ':white_check_mark: ben resolved it: restarted the consumer',
    ],
    [{ type: 'resolved', resolution: null }, ':white_check_mark: ben resolved it'],
    [{ type: 'reopened', from: 'resolved', flap: false }, 'ben reopened it'],
    [
      { type: 'reopened', from: 'resolved', flap: true },
      ':repeat: Reopened: the alert fired again soon after it was resolved',
    ],
    [{ type: 'unsnoozed' }, 'ben ended the snooze'],
    [{ type: 'priority_changed', from: 'P3', to: 'P1' }, 'ben changed the priority from P3 to P1'],
    [{ type: 'commented', text: 'lag is 40k & rising' }, ':speech_balloon: ben: lag is 40k &amp; rising'],
    [{ type: 'opened', title: 't', priority: 'P2', service: 's', assignee: null }, 'ben opened it'],
    [
      { type: 'edited', title: { from: 'Disk full', to: 'Disk <full> on db-1' } },
      ':pencil2: ben renamed it from “Disk full” to “Disk &lt;full&gt; on db-1”',
    ],
    [{ type: 'edited', description: { from: '', to: 'more' } }, ':pencil2: ben changed the description'],
    [{ type: 'edited', description: { from: 'old', to: '' } }, ':pencil2: ben removed the description'],
    [
      {
        type: 'edited',
        title: { from: 'a', to: 'b' },
        description: { from: 'x', to: 'y' },
        labels: { set: { env: 'prod', '<!here>': '1' }, removed: ['team'], more: 3 },
      },
      ':pencil2: ben renamed it from “a” to “b”, changed the description and changed the labels (set env=prod, &lt;!here&gt;=1; removed team; and 3 more)',
    ],
    [
      { type: 'occurred', occurrences: 3, actor: { type: 'source', id: 'generic' } },
      'generic saw it fire again',
    ],
  ])('says %j as %s', (fields, words) => {
    expect(timelineText(entry(fields), byName)).toBe(words);
  });

  it('gives the snooze its end as a date every reader sees in their own zone', () => {
    expect(timelineText(entry({ type: 'snoozed', until: T0 }), byName)).toMatch(
      /^:zzz: ben snoozed it until <!date\^\d+\^/,
    );
  });

  it('quotes less of a note in the history list than in a thread', () => {
    const long = entry({ type: 'commented', text: 'x'.repeat(900) });
    expect(timelineText(long, byName)).toContain('x'.repeat(900));
    expect(historyText(long, mention).length).toBeLessThan(300);
  });

  it('writes a history line as when, then the words, mentioning people as /tms show always did', () => {
    const line = historyText(entry({ type: 'assigned', from: null, to: CAL }), mention);
    expect(line).toMatch(/^<!date\^\d+\^\{date_short_pretty\} \{time\}\|2026-03-02 09:00 UTC> /);
    expect(line).toContain(`<@${BEN}> assigned it to <@${CAL}>`);
  });

  it('names only Slack users to look up, never a source or TMS itself', () => {
    expect(peopleIn(entry({ type: 'assigned', from: null, to: CAL }))).toEqual([BEN, CAL]);
    expect(peopleIn(entry({ type: 'acknowledged', actor: { type: 'system', id: 'tms' } }))).toEqual([]);
    expect(peopleIn(entry({ type: 'assigned', from: BEN, to: null }))).toEqual([BEN]);
  });
});

describe('an escalation in words', () => {
  const SYSTEM = { actor: { type: 'system', id: 'escalation' }, via: 'system' };
  const escalated = (fields: Record<string, unknown>) =>
    entry({
      ...SYSTEM,
      type: 'escalated',
      policy: 'loud',
      step: 2,
      of: 5,
      round: 0,
      target: 'oncall',
      to: [],
      manual: false,
      ...fields,
    });

  it.each([
    [
      { to: [{ kind: 'user', id: CAL, as: 'oncall' }] },
      'Escalation (loud step 2 of 5): notified cal (on call)',
    ],
    [
      { round: 1, to: [{ kind: 'user', id: CAL, as: 'next' }] },
      'Escalation (loud step 2 of 5, round 2): notified cal (on call next)',
    ],
    [
      { to: [{ kind: 'user', id: CAL, as: 'oncall' }], note: 'nobody holds it: its on-call' },
      'Escalation (loud step 2 of 5): notified cal (on call); nobody holds it: its on-call',
    ],
    [
      { to: [{ kind: 'user', id: CAL, as: 'assignee' }] },
      'Escalation (loud step 2 of 5): notified cal (assignee)',
    ],
    [{ to: [{ kind: 'user', id: CAL, as: 'named' }] }, 'Escalation (loud step 2 of 5): notified cal'],
    [
      { to: [{ kind: 'group', id: 'S0OPS' }] },
      'Escalation (loud step 2 of 5): notified the user group S0OPS',
    ],
    [
      { to: [{ kind: 'channel', id: 'C0PAYMENTS' }] },
      'Escalation (loud step 2 of 5): notified <#C0PAYMENTS> with @here',
    ],
    [
      { to: [{ kind: 'sns' }] },
      'Escalation (loud step 2 of 5): notified the notification topic (email, SMS)',
    ],
    [
      { note: 'payments has no on-call rotation' },
      'Escalation (loud step 2 of 5): payments has no on-call rotation',
    ],
    [{}, 'Escalation (loud step 2 of 5): nobody to notify'],
    [
      { ...base, manual: true, to: [{ kind: 'user', id: CAL, as: 'oncall' }] },
      'ben escalated it (loud step 2 of 5): notified cal (on call)',
    ],
  ])('says a notify step %j as %s', (fields, words) => {
    expect(timelineText(escalated(fields), byName)).toBe(`:rotating_light: ${words}`);
  });

  it('says how it ended: every step taken, or a step that failed', () => {
    const ended = (fields: Record<string, unknown>) =>
      timelineText(entry({ ...SYSTEM, type: 'escalation_ended', policy: 'loud', ...fields }), byName);
    expect(ended({ reason: 'exhausted' })).toBe(
      ':rotating_light: Escalation (loud) took every step and nobody acknowledged',
    );
    expect(ended({ reason: 'failed', error: 'channel_not_found' })).toBe(
      ':warning: Escalation (loud) stopped: a step failed (channel_not_found)',
    );
    expect(ended({ reason: 'failed' })).toBe(':warning: Escalation (loud) stopped: a step failed');
  });

  it('escapes the policy name, the note and the error', () => {
    const line = timelineText(escalated({ policy: '<!channel>', note: '<@U0EVE> & co' }), byName);
    expect(line).toBe(':rotating_light: Escalation (&lt;!channel&gt; step 2 of 5): &lt;@U0EVE&gt; &amp; co');
    const failed = timelineText(
      entry({
        ...SYSTEM,
        type: 'escalation_ended',
        policy: '<!here>',
        reason: 'failed',
        error: '<https://evil|ok>',
      }),
      byName,
    );
    expect(failed).not.toMatch(/<[!@h]/);
    expect(failed).toContain('&lt;!here&gt;');
    expect(failed).toContain('&lt;https://evil|ok&gt;');
  });

  it('names the people it paged to look up, not the system that paged them', () => {
    const paged = escalated({
      to: [
        { kind: 'user', id: CAL, as: 'oncall' },
        { kind: 'channel', id: 'C0PAYMENTS' },
        { kind: 'group', id: 'S0OPS' },
      ],
    });
    expect(peopleIn(paged)).toEqual([CAL]);
  });
});
