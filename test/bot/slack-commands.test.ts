import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockErrors } from '../../src/adapters/slack/limits.js';
import { actOnTask } from '../../src/core/use-cases/act-on-task.js';
import { openTask } from '../../src/core/use-cases/open-task.js';
import type { SandboxCard } from '../../src/local/slack-client.js';
import { ShiftedClock } from '../helpers/clock.js';
import { API, getJson, inProcessStack, type TestStack } from '../helpers/local-stack.js';
import { ANA, BEN, CAL, CHECKOUT, GENERAL, settle, slackOf, VIC } from '../helpers/slack.js';

let stack: TestStack;
/** The stack's waits (card pacing, Retry-After) pass on this clock instead of taking real time. */
const clock = new ShiftedClock();
let slack: ReturnType<typeof slackOf>;

beforeAll(async () => {
  stack = await inProcessStack({}, { clock, sleep: clock.sleep });
  slack = slackOf(stack);
});
afterAll(() => stack.close());

const task = async (id: string) => (await getJson(`${stack.url}/api/tasks/${id}`, API())).body;
/** Types `/tms <text>` and returns the reply only the person saw. */
async function tms(text: string, user = ANA, channel = GENERAL): Promise<string> {
  const answer = await slack.client.command(text, { user, channel });
  expect(answer.status).toBe(200);
  await settle(stack);
  return slack.lastPrivate(user);
}
async function open(title: string, user = ANA, channel = GENERAL): Promise<string> {
  const reply = await tms(`new ${title}`, user, channel);
  const id = /\*(TMS-\d+)\*/.exec(reply)?.[1];
  if (!id) throw new Error(`no task opened: ${reply}`);
  return id;
}

describe('/tms new', () => {
  it('opens the task at once, answers only the person, and posts its card in the channel', async () => {
    // Act
    const reply = await tms('new Disk full on db-1 p2');
    // Assert
    expect(reply).toMatch(/^Opened \*TMS-\d+\* “Disk full on db-1” at P2 in general, unassigned: /);
    const id = /\*(TMS-\d+)\*/.exec(reply)?.[1] as string;
    const stored = await task(id);
    expect(stored.task).toMatchObject({
      title: 'Disk full on db-1',
      priority: 'P2',
      channel: GENERAL,
      source: 'slack',
    });
    const card = slack.card(id);
    expect(card.channel).toBe(GENERAL);
    expect(card.edits).toBe(0);
    expect(slack.cardText(id)).toContain('Disk full on db-1');
    expect(slack.cardText(id)).toContain('<!date^');
    const buttons = card.blocks
      .filter((b) => b.type === 'actions')
      .flatMap((b) => b.elements ?? [])
      .map((e) => e.action_id);
    expect(buttons).toEqual([
      'tms_ack',
      'tms_claim',
      'tms_start',
      'tms_resolve',
      'tms_reassign',
      'tms_priority',
      'tms_snooze',
    ]);
  });

  it('routes a named service to its channel and assigns a mentioned person, who gets a direct message', async () => {
    // Act
    const id = await open(`Checkout 500s p1 checkout <@${BEN}|ben>`);
    // Assert
    const { task: stored } = await task(id);
    expect(stored).toMatchObject({ service: 'checkout', channel: CHECKOUT, priority: 'P1', assignee: BEN });
    expect(slack.card(id).channel).toBe(CHECKOUT);
    const dm = slack.dms(BEN).at(-1);
    expect(dm?.text).toContain('ana assigned you');
    expect(dm?.text).toContain(id);
    expect(dm?.text).toMatch(
      /<http:\/\/127\.0\.0\.1:\d+\/_sandbox\/slack\/archives\/C0CHECKOUT\/p\d+\|TMS-\d+>/,
    );
  });

  it('answers a mistake with the usage of what was meant, and changes nothing', async () => {
    const replies = slack.privately(ANA).length;
    await tms('new'); // a bare `new` opens the form instead (see the modal tests): no reply
    expect(slack.privately(ANA)).toHaveLength(replies);
    expect(await tms('assign 42')).toContain('Usage: `/tms assign <id> @user`');
    expect(await tms('priority TMS-1 urgent')).toContain('Usage: `/tms priority <id> p1..p4`');
    expect(await tms('snooze TMS-1 forever')).toContain('Usage: `/tms snooze');
    expect(await tms('claim banana')).toContain('"banana" is not a task id');
    expect(await tms('frobnicate')).toBe(
      '`frobnicate` is not a TMS command; `/tms help` lists what TMS can do.',
    );
    expect(await tms('claim 999999')).toBe('There is no task TMS-999999.');
    expect(await tms('help')).toContain('/tms new <title>');
  });
});

describe('/tms new reads what the person meant, and says how it read it', () => {
  it('reads a priority, a service and a hand-typed @U… in any order, and says so', async () => {
    // Act
    const reply = await tms(`new Payment API down p1 checkout @${BEN}`);
    // Assert
    const id = /\*(TMS-\d+)\*/.exec(reply)?.[1] as string;
    expect(reply).toBe(
      `Opened *${id}* “Payment API down” at P1 in checkout, assigned to <@${BEN}>: its card is in <#${CHECKOUT}>.`,
    );
    expect((await task(id)).task).toMatchObject({
      title: 'Payment API down',
      priority: 'P1',
      service: 'checkout',
      assignee: BEN,
    });
    const other = await tms(`new Payment API slow <@${BEN}|ben> p2`);
    expect(other).toMatch(/“Payment API slow” at P2 in general, assigned to <@U01BBB>/);
  });

  it('names a trailing word that is no service, and a person Slack did not recognise', async () => {
    const reply = await tms('new Something p2 nosuchservice');
    const id = /\*(TMS-\d+)\*/.exec(reply)?.[1] as string;
    expect(reply).toBe(
      `Opened *${id}* “Something nosuchservice” at P2 in general, unassigned: its card is on its way here.\n` +
        '“nosuchservice” is not a known service, so it stayed in the title (known services: checkout).',
    );
    expect((await task(id)).task).toMatchObject({ title: 'Something nosuchservice', priority: 'P2' });
    const unknown = await tms('new Disk full p2 @bob');
    const other = /\*(TMS-\d+)\*/.exec(unknown)?.[1] as string;
    expect(unknown).toContain(`“@bob” is not a person Slack recognised, so ${other} is unassigned`);
    expect((await task(other)).task).toMatchObject({ title: 'Disk full', assignee: null });
  });

  it('refuses options without a title, and opens nothing', async () => {
    const before = stack.slack.messages(GENERAL).length;
    expect(await tms('new p1')).toBe(
      'A task needs a title before its options; this read "p1" as its priority.\n' +
        'Usage: `/tms new <title> [p1..p4] [service] [@user]` — open a task (`/tms new` alone opens a form)',
    );
    expect(stack.slack.messages(GENERAL).length).toBe(before + 1); // the reply only
  });
});

describe('subcommands a person slipped on', () => {
  it('answers a misspelt subcommand with the one meant, not the whole help', async () => {
    const reply = await tms('lsit');
    expect(reply).toBe(
      '`lsit` is not a TMS command: did you mean `list`?\nUsage: `/tms list [mine|open|all] [service] [p1..p4]` — tasks, newest first',
    );
    expect(await tms('ackk 3')).toMatch(/^`ackk` is not a TMS command: did you mean `ack`\?\nUsage: /);
  });

  it('ends a snooze with /tms unsnooze', async () => {
    const id = await open('Snoozed then woken p3', BEN);
    await tms(`snooze ${id} 2h`, BEN);
    expect(await tms(`unsnooze ${id.slice(4)}`, BEN)).toBe(`You ended the snooze of *${id}*.`);
    expect((await task(id)).task.snoozedUntil).toBeNull();
    expect(await tms(`unsnooze ${id}`, BEN)).toBe(`${id} is not snoozed.`);
  });
});

describe('reports on a name TMS does not know', () => {
  it('say the service or the window is unknown, naming the known services, instead of an empty report', async () => {
    expect(await tms('stats nosuch')).toBe(
      '“nosuch” is not a service TMS knows: it is not in the config and no task was ever opened in it. ' +
        'Known services: checkout, general.\nUsage: ' +
        '`/tms stats [service] [7d]` — MTTA, MTTR, MTBF and SLA adherence over a window (default 7d, up to 90d)',
    );
    expect(await tms('playbook nosuch')).toMatch(
      /^“nosuch” is not a service TMS knows: .* Known services: checkout, general\.\nUsage: `\/tms playbook/,
    );
    expect(await tms('trends 5x')).toMatch(
      /^“5x” is neither a window \(such as 30m, 1h or 7d\) nor a service TMS knows\. Known services: checkout, general\./,
    );
    // A known service, configured or the default, still gets its report.
    expect(await tms('stats general')).toContain('general');
    expect(await tms('stats general')).not.toContain('not a service');
    expect(await tms('trends checkout 1h')).not.toContain('not a service');
  });
});

describe('/tms on an existing task', () => {
  it('claims, starts, reprioritises, comments, snoozes, resolves and reopens, each reflected on the one card', async () => {
    // Arrange
    const id = await open('Queue backlog growing p3', BEN);
    const n = id.slice(4);
    // Act + Assert, step by step as a person would work it
    expect(await tms(`claim ${n}`, BEN)).toBe(`You claimed *${id}*.`);
    expect((await task(id)).task).toMatchObject({ status: 'acknowledged', assignee: BEN });
    expect(await tms(`start ${id}`, BEN)).toBe(`You started work on *${id}*.`);
    expect(await tms(`priority ${id} p1`, BEN)).toBe(`You changed the priority of *${id}* to P1.`);
    expect(await tms(`comment ${id} consumer lag is 40k & rising`, BEN)).toBe(`You commented on *${id}*.`);
    expect(await tms(`snooze ${id} 2h`, BEN)).toMatch(new RegExp(`^You snoozed \\*${id}\\* until <!date\\^`));
    expect(await tms(`resolve ${id} restarted the consumer`, BEN)).toBe(`You resolved *${id}*.`);
    expect(await tms(`reopen ${id}`, BEN)).toBe(`You reopened *${id}*.`);
    // The card: one message, edited in place, showing the last state.
    const { task: stored } = await task(id);
    expect(stored).toMatchObject({ status: 'open', priority: 'P1', version: 8 });
    const cards = stack.slack.messages(GENERAL).filter((m) => m.text.includes(` ${id}: `) && !m.thread_ts);
    expect(cards).toHaveLength(1);
    expect(slack.card(id).text).toBe(`P1 ${id}: Queue backlog growing (open)`);
    expect(slack.card(id).edits).toBeGreaterThanOrEqual(1);
    // The thread: one quiet line per change, naming people without mentioning them.
    const lines = slack.thread(id).flatMap((m) => m.text.split('\n'));
    expect(lines).toEqual([
      'ben took it',
      'ben acknowledged',
      'ben started work',
      'ben changed the priority from P3 to P1',
      ':speech_balloon: ben: consumer lag is 40k &amp; rising',
      expect.stringMatching(/^:zzz: ben snoozed it until <!date\^/),
      ':white_check_mark: ben resolved it: restarted the consumer',
      'ben reopened it',
    ]);
    expect(slack.thread(id).some((m) => m.text.includes('<@'))).toBe(false);
  });

  it('assigns to someone else, who is told by direct message; the assigner is not', async () => {
    const id = await open('Rotate the TLS certificate', ANA);
    expect(await tms(`assign ${id} <@${CAL}|cal>`, ANA)).toBe(`You assigned *${id}* to <@${CAL}>.`);
    expect(slack.dms(CAL).at(-1)?.text).toContain(`ana assigned you`);
    expect(slack.dms(ANA)).toEqual([]);
  });

  it('lists open tasks, mine, by service and priority, with links to their cards', async () => {
    const id = await open('Only on checkout p4 checkout', CAL);
    await tms(`claim ${id}`, CAL);
    const mine = await tms('list mine', CAL);
    expect(mine).toContain('*Your open tasks*');
    expect(mine).toContain(`|${id}>`);
    expect(await tms('list checkout p4', CAL)).toContain(`|${id}>`);
    expect(await tms('list open p4', CAL)).not.toContain('Queue backlog');
    expect(await tms('list all checkout p2', CAL)).toBe('All tasks in checkout at P2: none.');
  });

  it('says how many tasks a list holds, and pages on with a button that replaces the reply', async () => {
    // Arrange: a person of their own, so what other tests open does not count here.
    const DAN = 'U0DAN';
    const first = await open(`Dan's first <@${DAN}>`, ANA);
    // Act + Assert: one task is "1 task", not "Newest 20 shown".
    const one = await tms('list mine', DAN);
    expect(one.split('\n')[0]).toBe('*Your open tasks* · 1 task');
    expect(one).toContain(`|${first}>`);
    // The other 21 by the use case itself, at once: only the list is under test here.
    const more = Array.from({ length: 21 }, (_, i) =>
      openTask(stack.deps, {
        title: `Dan's task ${i + 2}`,
        assignee: DAN,
        role: 'admin',
        ctx: { actor: { type: 'user', id: ANA }, via: 'slack', now: clock.now() },
      }),
    );
    expect((await Promise.all(more)).every((r) => r.ok)).toBe(true);
    await settle(stack);
    const page = await tms('list mine', DAN);
    expect(page.split('\n')[0]).toBe('*Your open tasks* · 1–20, newest first; older ones on the next page');
    expect(page.split('\n')).toHaveLength(21);
    expect(page).not.toContain(`|${first}>`);
    const reply = slack.privately(DAN).at(-1) as unknown as SandboxCard;
    const answer = await slack.client.click(reply, 'tms_list_next', DAN);
    expect(answer.status).toBe(200);
    await settle(stack);
    // The same reply, edited: the last two of 22, and no button to a page that does not exist.
    const edited = slack.privately(DAN).find((m) => m.ts === reply.ts);
    expect(edited?.edits).toBe(1);
    expect(edited?.text.split('\n')[0]).toBe('*Your open tasks* · 21–22 of 22');
    expect(edited?.text).toContain(`|${first}>`);
    expect(JSON.stringify(edited?.blocks)).not.toContain('tms_list_next');
  }, 90_000); // 22 tasks and their cards take a while on a loaded machine; nothing here is timed

  it('shows a task with its history and the buttons the viewer may use', async () => {
    const id = await open('Show me p2', BEN);
    await tms(`claim ${id}`, BEN);
    const answer = await slack.client.command(`show ${id}`, { user: VIC, channel: GENERAL });
    expect(answer.status).toBe(200);
    expect(answer.body.response_type).toBe('ephemeral');
    const history = JSON.stringify(answer.body.blocks);
    expect(history).toContain('*History*');
    // In the words of the card's thread (one wording for a timeline entry), each after its time.
    expect(history).toMatch(
      /> <@U01BBB> opened it\\n• <!date\^\d+\^\{date_short_pretty\} \{time\}\|[^>]+> <@U01BBB> took it/,
    );
    // A read-only viewer gets the card without buttons.
    expect(answer.body.blocks.some((b: { type: string }) => b.type === 'actions')).toBe(false);
  });
});

describe('/tms show on a task with a long history', () => {
  it('keeps every block within what Slack takes, and loses none of the last ten lines', async () => {
    // Arrange: comments at the timeline's 4,000 characters, each of characters that escaping grows.
    const id = await open('Long discussion p2', ANA);
    for (let i = 0; i < 12; i++) {
      const commented = await actOnTask(stack.deps, {
        taskId: id,
        command: { type: 'comment', text: `${i} ${'<&'.repeat(2_000)}`.slice(0, 4_000) },
        role: 'admin',
        ctx: { actor: { type: 'user', id: ANA }, via: 'slack' },
      });
      expect(commented.ok).toBe(true);
    }
    await settle(stack);
    // Act
    const answer = await slack.client.command(`show ${id}`, { user: ANA, channel: GENERAL });
    // Assert
    expect(answer.status).toBe(200);
    const blocks = answer.body.blocks as { type: string; text?: { text: string } }[];
    expect(blockErrors(blocks, 'message')).toEqual([]);
    for (const block of blocks) expect(block.text?.text.length ?? 0).toBeLessThanOrEqual(3_000);
    const history = blocks
      .slice(blocks.findIndex((b) => b.text?.text.startsWith('*History*')))
      .flatMap((b) => (b.text?.text ?? '').split('\n'))
      .filter((line) => line.startsWith('• '));
    expect(history).toHaveLength(10);
    expect(history.at(-1)).toContain(':speech_balloon: <@U01AAA>: 11 &lt;&amp;');
    // The reply Slack showed is the one the bot sent, not an error in its place.
    expect(stack.lines.filter((l) => l.includes('reply was refused'))).toEqual([]);
  });
});

describe('permissions', () => {
  it('refuses a read-only user with the reason, and nothing changes', async () => {
    const id = await open('Viewer cannot claim', ANA);
    const before = (await task(id)).task.version;
    expect(await tms(`claim ${id}`, VIC)).toContain(
      'You have read-only access to TMS, so you cannot claim tasks',
    );
    expect(await tms('new Viewer task', VIC)).toContain('read-only access');
    expect((await task(id)).task.version).toBe(before);
  });

  it('answers a silence id that is no silence by saying so, not by asking for one', async () => {
    expect(await tms('silences lift S-nope')).toBe(
      '"S-nope" is not a silence: silence ids look like S-1a2b3c, and `/tms silences` lists the ones in force.\n' +
        'Usage: `/tms silences` — the silences in force; `/tms silences lift <id>` ends one',
    );
  });

  it("keeps a developer from taking someone else's task away; an admin may", async () => {
    const id = await open(`Held by ben <@${BEN}|ben>`, ANA);
    expect(await tms(`assign ${id} <@${CAL}|cal>`, CAL)).toContain(
      `is <@${BEN}>'s: only they or an admin can reassign it`,
    );
    expect(await tms(`assign ${id} <@${CAL}|cal>`, ANA)).toContain('You assigned');
  });
});

describe('escaping', () => {
  it('shows what people typed as typed: no @channel, mention or disguised link ever renders', async () => {
    // Slack encodes &, < and > in what a person types; the manifest's should_escape sends real mentions only.
    const typed =
      '&lt;!channel&gt; &lt;@U0EVIL&gt; &lt;https://evil.example|https://good.example&gt; &amp; co';
    const id = await open(`${typed} p2`, ANA);
    const { task: stored } = await task(id);
    expect(stored.title).toBe('<!channel> <@U0EVIL> <https://evil.example|https://good.example> & co');
    const rendered = JSON.stringify(stack.slack.messages());
    expect(rendered).not.toContain('<!channel>');
    expect(rendered).not.toContain('<@U0EVIL>');
    expect(rendered).not.toContain('<https://evil');
    expect(slack.card(id).text).toContain('&lt;!channel&gt; &lt;@U0EVIL&gt;');
    await tms(`comment ${id} <!here> &lt;!here&gt;`, ANA);
    expect(JSON.stringify(stack.slack.messages())).not.toContain('<!here>');
  });
});
