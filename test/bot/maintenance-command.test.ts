import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/time.js';
import { inProcessStack, type TestStack } from '../helpers/local-stack.js';
import { ANA, BEN, typeOn, VIC } from '../helpers/slack.js';

let stack: TestStack;
// A Friday, 2026-12-04 14:00 UTC: 15:00 for ana (Europe/Berlin), 09:00 for ben (America/New_York).
const clock = new ManualClock('2026-12-04T14:00:00.000Z');

beforeAll(async () => {
  stack = await inProcessStack({}, { clock });
}, 60_000);
afterAll(() => stack?.close(), 60_000);

const tms = (text: string, user = ANA) => typeOn(stack, clock, text, user);
const date = (iso: string) => `<!date^${Date.parse(iso) / 1000}^`;

describe('/tms maintenance', () => {
  it('reads a weekly window in the person’s time zone and says how, with its next occurrences', async () => {
    // Act
    const reply = await tms('maintenance checkout from sun 02:00 to 04:00 every sunday db upgrade');
    // Assess
    const id = /\*(MW-[0-9a-z]{6})\*/.exec(reply)?.[1] as string;
    expect(reply).toMatch(/^Maintenance window \*MW-[0-9a-z]{6}\* holds back checkout from <!date\^/);
    expect(reply).toContain(', every week (read in Europe/Berlin) — db upgrade.');
    const lines = reply.split('\n').filter((l) => l.startsWith('• '));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain(`${date('2026-12-06T01:00:00Z')}`);
    expect(lines[0]).toContain(`→ ${date('2026-12-06T03:00:00Z')}`);
    expect(lines[2]).toContain(`${date('2026-12-20T01:00:00Z')}`);
    expect(reply).toContain(`\`/tms silences lift ${id}\` ends it.`);
    expect(await stack.deps.windows.getWindow(id)).toMatchObject({
      matchers: [{ key: 'service', value: 'checkout' }],
      every: 'week',
      timezone: 'Europe/Berlin',
      origin: 'slack',
      createdBy: ANA,
    });
  });

  it('reads another person’s times in their own zone', async () => {
    const reply = await tms('maintenance alertname=Disk* from tomorrow 9am for 1h', BEN);
    expect(reply).toContain('(read in America/New_York)');
    expect(reply).toContain(`• ${date('2026-12-05T14:00:00Z')}{date_short_pretty} {time}|`);
  });

  it('answers a mistake with what is wrong and the usage, and refuses a read-only person', async () => {
    const listed = (await stack.deps.windows.listWindows()).length;
    expect(await tms('maintenance checkout from mon 02:00 to 04:00 every sunday')).toBe(
      '"every sunday" needs a start on a Sunday, such as from sunday 02:00.\n' +
        'Usage: `/tms maintenance <service or key=value …> from <time> to <time> [every …] [reason]` — hold alerts back during planned work',
    );
    expect(await tms('maintenance nosuch from now for 1h')).toContain(
      '"nosuch" is neither a service nor key=value',
    );
    expect(await tms('maintenance checkout from now for 1h', VIC)).toMatch(
      /read-only|viewer|not allowed|may not/i,
    );
    expect(await stack.deps.windows.listWindows()).toHaveLength(listed);
  });
});

describe('/tms silences with maintenance windows', () => {
  it('lists a window in force and those to come, and lifts one by its id', async () => {
    // Prepare
    const made = await tms('maintenance checkout env=prod from now for 2h failover test');
    const id = /\*(MW-[0-9a-z]{6})\*/.exec(made)?.[1] as string;
    expect(made).toContain('• *in force now*, ');
    // Act
    const listed = await tms('silences');
    // Assess
    expect(listed).toContain(
      `*Maintenance windows in force*\n• *${id}* checkout env=prod until ${date('2026-12-04T16:00:00Z')}`,
    );
    expect(listed).toContain('— failover test (0 held back)');
    expect(listed).toMatch(/\*Maintenance windows to come\*\n• \*MW-[0-9a-z]{6}\* alertname=Disk\* next /);
    expect(listed).toContain(', every week — db upgrade');
    // Act: lift it, twice.
    expect(await tms(`silences lift ${id.toUpperCase()}`)).toBe(
      `Lifted *${id}*: it holds nothing more; what it held and still fires opens at the next sweep.`,
    );
    expect(await tms(`silences lift ${id}`)).toBe(`There is no maintenance window ${id} to lift.`);
    expect(await tms('silences')).not.toContain(id);
    expect(await tms(`silences lift ${id}`, VIC)).toMatch(/read-only|viewer|not allowed|may not/i);
  });
});
