import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slackDate } from '../../src/bot/text.js';
import { ManualClock } from '../../src/core/time.js';
import { inProcessStack, type TestStack } from '../helpers/local-stack.js';
import { ANA, BEN, CAL, typeOn, VIC } from '../helpers/slack.js';

let stack: TestStack;
// Friday 2026-12-04, 14:00 UTC. test/fixtures/config/oncall.config.yaml: payments hands over on Mondays at 09:00
// in Berlin (08:00 UTC), ana first from 5 January, so ben holds the shift from 30 November and ana the next;
// search on Mondays at 09:00 in New York (14:00 UTC), ben first, so cal holds this week's and ben the next.
const FRIDAY = '2026-12-04T14:00:00.000Z';
const clock = new ManualClock(FRIDAY);

beforeAll(async () => {
  stack = await inProcessStack({ TMS_CONFIG: 'test/fixtures/config/oncall.config.yaml' }, { clock });
}, 60_000);
afterAll(() => stack?.close(), 60_000);

const tms = (text: string, user = ANA) => typeOn(stack, clock, text, user);
/** How a reply writes an instant. */
const date = (iso: string) => slackDate(new Date(iso).toISOString());
const idIn = (reply: string) => /OV-[0-9a-z]{8}/.exec(reply)?.[0] ?? '';

describe('/tms oncall with overrides', () => {
  it('names who is on call on either side of each handoff, in Berlin and in New York', async () => {
    // Act
    clock.set('2026-12-07T07:59:59Z');
    const beforeBerlin = await tms('oncall payments');
    clock.set('2026-12-07T08:00:00Z');
    const afterBerlin = await tms('oncall payments');
    clock.set('2026-12-07T13:59:59Z');
    const beforeNewYork = await tms('oncall search');
    clock.set('2026-12-07T14:00:00Z');
    const afterNewYork = await tms('oncall search');
    clock.set(FRIDAY);
    // Assess
    expect(beforeBerlin).toContain(`*payments*: <@${BEN}> until ${date('2026-12-07T08:00:00Z')}`);
    expect(afterBerlin).toContain(`*payments*: <@${ANA}> until ${date('2026-12-14T08:00:00Z')}`);
    expect(beforeNewYork).toContain(`*search*: <@${CAL}> until ${date('2026-12-07T14:00:00Z')}`);
    expect(afterNewYork).toContain(`*search*: <@${BEN}> until ${date('2026-12-14T14:00:00Z')}`);
    expect(afterNewYork).toContain('(America/New_York)');
  });

  it('puts the person an override names on call for its span, then the rotation again', async () => {
    // Act
    const made = await tms(`oncall override <@${CAL}|cal> 2h`); // ana's only team: payments
    const during = await tms('oncall payments');
    clock.set('2026-12-04T16:00:00Z');
    const after = await tms('oncall payments');
    clock.set(FRIDAY);
    // Assess
    expect(made).toContain(`Read as: <@${CAL}> on call for *payments* from ${date('2026-12-04T14:00:00Z')}`);
    expect(made).toContain(`to ${date('2026-12-04T16:00:00Z')}`);
    expect(made).toContain('(times read in Europe/Berlin)');
    expect(during).toContain(
      `*payments*: <@${CAL}> (override *${idIn(made)}*) until ${date('2026-12-04T16:00:00Z')}, then <@${BEN}>`,
    );
    expect(after).toContain(`*payments*: <@${BEN}> until ${date('2026-12-07T08:00:00Z')}, then <@${ANA}>`);
  });

  it('swaps the next shifts of two people (the team must be named by one on two)', async () => {
    // Act
    const unnamed = await tms(`oncall swap <@${ANA}|ana>`, BEN);
    const swapped = await tms(`oncall swap <@${ANA}|ana> payments`, BEN);
    clock.set('2026-12-07T08:00:00Z');
    const monday = await tms('oncall payments');
    clock.set(FRIDAY);
    // Assess
    expect(unnamed).toContain('Name the team: you are on payments, search');
    expect(swapped).toContain(`Read as: you and <@${ANA}> swap your next shifts of *payments*`);
    // Ben's next shift was 14–21 December, ana's 7–14.
    expect(swapped).toContain(`<@${ANA}> is on call from ${date('2026-12-14T08:00:00Z')}`);
    expect(swapped).toContain(`and you from ${date('2026-12-07T08:00:00Z')}`);
    expect(monday).toContain(`*payments*: <@${BEN}> (override *OV-`);
    expect(monday).toContain(`until ${date('2026-12-14T08:00:00Z')}, then <@${ANA}>`);
  });

  it("takes the rest of the current shift, and reads an override's times in the asker's zone (New York)", async () => {
    // Act
    const taken = await tms('oncall take search', BEN);
    const again = await tms('oncall take search', BEN);
    const covered = await tms(
      `oncall override <@${CAL}|cal> from tomorrow 09:00 to tomorrow 17:00 search`,
      BEN,
    );
    const now = await tms('oncall search');
    // Assess
    expect(taken).toContain(`Read as: you take the rest of <@${CAL}>'s shift of *search*`);
    expect(taken).toContain(`to ${date('2026-12-07T14:00:00Z')}`);
    expect(again).toContain('You are on call for *search* already');
    expect(covered).toContain(
      `on call for *search* from ${date('2026-12-05T14:00:00Z')} to ${date('2026-12-05T22:00:00Z')} (times read in America/New_York)`,
    );
    expect(now).toContain(
      `*search*: <@${BEN}> (override *${idIn(taken)}*) until ${date('2026-12-05T14:00:00Z')}, then <@${CAL}>`,
    );
  });

  it('lists the overrides with their ids and removes one; a viewer may look but not change', async () => {
    // Prepare
    const listed = await tms('oncall overrides search', BEN);
    const ids = listed.match(/OV-[0-9a-z]{8}/g) ?? [];
    // Act
    const refused = await tms(`oncall remove ${ids[1]} search`, VIC);
    const viewed = await tms('oncall', VIC);
    const removed = await tms(`oncall remove ${ids[1]} search`, BEN);
    const twice = await tms(`oncall remove ${ids[1]} search`, BEN);
    const after = await tms('oncall overrides search', BEN);
    const wrong = await tms('oncall remove S-123456 search', BEN);
    // Assess
    expect(listed).toContain('*On-call overrides for search*');
    expect(listed).toContain(`— take by <@${BEN}>`);
    expect(ids).toHaveLength(2);
    expect(refused).toContain('read-only access');
    expect(viewed).toContain('*On call*');
    expect(removed).toContain(`Removed override *${ids[1]}* of *search*`);
    expect(twice).toContain(`*search* has no override ${ids[1]}`);
    expect(after).toContain(ids[0]);
    expect(after).not.toContain(ids[1]);
    expect(wrong).toContain('"S-123456" is not an override');
    expect(wrong).toContain('Usage: `/tms oncall [team]`');
  });

  it('escapes what was typed in its answers', async () => {
    expect(await tms('oncall override <@U01CCC|cal> <!channel>')).toContain(
      '"&lt;!channel&gt;" is not a duration',
    );
  });
});
