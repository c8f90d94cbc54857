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
