import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/time.js';
import { inProcessStack, type TestStack } from '../helpers/local-stack.js';
import { ANA, typeOn } from '../helpers/slack.js';

let stack: TestStack;
// Friday 2026-12-04, 14:00 UTC. tms.config.yaml's payments team hands over on Mondays at 09:00 in Berlin,
// ana first from 5 January: 47 weeks on, the shift from Monday 30 November is ben's.
const clock = new ManualClock('2026-12-04T14:00:00.000Z');

beforeAll(async () => {
  stack = await inProcessStack({}, { clock });
}, 60_000);
afterAll(() => stack?.close(), 60_000);

const tms = (text: string, user = ANA) => typeOn(stack, clock, text, user);
const date = (iso: string) => `<!date^${Date.parse(iso) / 1000}^`;

describe('/tms oncall', () => {
  it('names who is on call now, until the next handoff (09:00 in Berlin, 08:00 UTC in winter), and who is next', async () => {
    // Act
    const all = await tms('oncall');
    const payments = await tms('oncall payments');
    // Assess
    const line = `• *payments*: <@U01BBB> until ${date('2026-12-07T08:00:00Z')}`;
    expect(all).toContain('*On call*');
    expect(all).toContain(line);
    expect(all).toContain('then <@U01AAA> (Europe/Berlin)');
    expect(payments).toContain(line);
  });

  it('says so for a team it does not know, and for a word that is no team', async () => {
    expect(await tms('oncall billing')).toContain("There is no team *billing*; the config's teams: payments");
    expect(await tms('oncall payments now')).toContain('Name one team, or none for every team');
  });
});
