import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { HANDLING_LEASE_MS } from '../../src/bot/app.js';
import { TransientError } from '../../src/core/errors.js';
import { type BotHandler, makeBotHandler } from '../../src/handlers/bot.js';
import { makeSweeperHandler } from '../../src/handlers/sweeper.js';
import { slackSignature } from '../../src/local/slack-client.js';
import { ShiftedClock } from '../helpers/clock.js';
import { API, getJson, inProcessStack, postJson, type TestStack } from '../helpers/local-stack.js';
import { captureLogs } from '../helpers/logs.js';
import { ANA, BEN, CAL, CHECKOUT, GENERAL, settle, slackOf, VIC } from '../helpers/slack.js';

let stack: TestStack;
const clock = new ShiftedClock();
let bot: BotHandler;
let slack: ReturnType<typeof slackOf>;

beforeAll(async () => {
  stack = await inProcessStack({}, { clock, sleep: clock.sleep });
  bot = makeBotHandler(stack.deps);
  slack = slackOf(stack);
});
afterAll(() => stack.close());

const task = async (id: string) => (await getJson(`${stack.url}/api/tasks/${id}`, API())).body.task;
async function open(title: string, user = ANA, channel = GENERAL): Promise<string> {
  const answer = await slack.client.command(`new ${title}`, { user, channel });
  const id = /\*(TMS-\d+)\*/.exec(answer.body.text)?.[1];
  if (!id) throw new Error(`no task opened: ${answer.text}`);
  await settle(stack);
  return id;
}
async function click(id: string, actionId: string, user: string, choice?: { value?: string; user?: string }) {
  const answer = await slack.client.click(slack.card(id), actionId, user, choice);
  expect(answer.status).toBe(200);
  await settle(stack);
}

/** The bot's Lambda handler invoked with a signed body, as API Gateway hands it over. */
function lambda(body: string, headers: Record<string, string> = {}) {
  const ts = Math.floor(clock.now().getTime() / 1000);
  return bot(
    {
      version: '2.0',
      routeKey: 'POST /slack/events',
      rawPath: '/slack/events',
      rawQueryString: '',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(ts),
        'x-slack-signature': slackSignature(stack.secrets.SLACK_SIGNING_SECRET, ts, body),
        ...headers,
      },
      body,
      isBase64Encoded: false,
      requestContext: {} as never,
    },
    {} as never,
  );
}

/** Runs `act` with the bot's clock past the lease of a click or event being handled (a killed one's). */
async function afterLease(act: () => Promise<void>): Promise<void> {
  const deps = stack.deps;
  const { clock } = deps;
  Object.assign(deps, { clock: { now: () => new Date(clock.now().getTime() + HANDLING_LEASE_MS + 1_000) } });
  try {
    await act();
  } finally {
    Object.assign(deps, { clock });
  }
}

describe('card buttons', () => {
  it('Acknowledge changes the card in place', async () => {
    // Arrange
    const id = await open('Disk full on db-1 p2');
    const before = slack.card(id);
    // Act
    await click(id, 'tms_ack', BEN);
    // Assert
    const after = slack.card(id);
    expect(after.ts).toBe(before.ts);
    expect(after.edits).toBe(1);
    expect(after.text).toBe(`P2 ${id}: Disk full on db-1 (acknowledged)`);
    expect(JSON.stringify(after.blocks)).toContain(`Acknowledged by <@${BEN}>`);
    const buttons = JSON.stringify(after.blocks.filter((b) => b.type === 'actions'));
    expect(buttons).not.toContain('tms_ack');
    expect(slack.thread(id).map((m) => m.text)).toEqual(['ben acknowledged']);
  });

  it('Claim, Start, the selects and Reopen each do what they say', async () => {
    const id = await open('Work it from the card p3');
    await click(id, 'tms_claim', CAL);
    expect(await task(id)).toMatchObject({ assignee: CAL, status: 'acknowledged' });
    await click(id, 'tms_start', CAL);
    expect((await task(id)).status).toBe('in_progress');
    await click(id, 'tms_priority', CAL, { value: 'P2' });
    expect((await task(id)).priority).toBe('P2');
    await click(id, 'tms_snooze', CAL, { value: '1h' });
    expect((await task(id)).snoozedUntil).not.toBeNull();
    await click(id, 'tms_reassign', ANA, { user: BEN }); // an admin may take it from cal
    expect((await task(id)).assignee).toBe(BEN);
    expect(slack.dms(BEN).at(-1)?.text).toContain('ana assigned you');
    await slack.client.command(`resolve ${id} done`, { user: BEN, channel: GENERAL });
    await settle(stack);
    await click(id, 'tms_reopen', BEN);
    expect((await task(id)).status).toBe('open');
    expect(slack.card(id).text).toBe(`P2 ${id}: Work it from the card (open)`);
  });

  it('tells a read-only user why they cannot, and changes nothing', async () => {
    const id = await open('Viewer presses claim p3');
    const { version } = await task(id);
    await click(id, 'tms_claim', VIC);
    expect(slack.lastPrivate(VIC)).toContain('You have read-only access to TMS, so you cannot claim tasks');
    expect((await task(id)).version).toBe(version);
    expect(slack.card(id).edits).toBe(0);
  });

  it('words every refusal a viewer meets as one sentence: Start on a card, /tms new', async () => {
    const id = await open('Viewer presses start p3');
    await click(id, 'tms_start', VIC);
    expect(slack.lastPrivate(VIC)).toBe(
      'You have read-only access to TMS, so you cannot start work on tasks. Ask an admin for the developer role.',
    );
    await slack.client.command('new Viewer opens a task', { user: VIC, channel: GENERAL });
    await settle(stack);
    // The refusal alone: no second stop, no usage line for words that were right.
    expect(slack.lastPrivate(VIC)).toBe(
      'You have read-only access to TMS, so you cannot open tasks. Ask an admin for the developer role.',
    );
  });

  it('gives one winner when two people press Claim at once; the other is told who has it', async () => {
    // Arrange
    const id = await open('Claim race p1');
    const card = slack.card(id);
    // Act
    const answers = await Promise.all([
      slack.client.click(card, 'tms_claim', BEN),
      slack.client.click(card, 'tms_claim', CAL),
    ]);
    await settle(stack);
    // Assert
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    const { assignee, version } = await task(id);
    expect([BEN, CAL]).toContain(assignee);
    expect(version).toBe(2);
    const loser = assignee === BEN ? CAL : BEN;
    expect(slack.lastPrivate(loser)).toBe(`${id} is already claimed by <@${assignee}>.`);
    expect(JSON.stringify(slack.card(id).blocks)).toContain(`*Assignee*\\n<@${assignee}>`);
  });

  it('counts a double click once: the same action on the same card version changes nothing twice', async () => {
    const id = await open('Double click p3');
    const card = slack.card(id);
    await Promise.all([slack.client.click(card, 'tms_ack', BEN), slack.client.click(card, 'tms_ack', BEN)]);
    await settle(stack);
    expect((await task(id)).version).toBe(2);
    expect(slack.privately(BEN).filter((m) => m.text.includes('already'))).toEqual([]);
    expect(slack.thread(id).map((m) => m.text)).toEqual(['ben acknowledged']);
  });

  it('acts on the same choice made again on a card not yet redrawn, once the task has changed since', async () => {
    // Arrange: one card as Slack showed it, before any of the changes below were drawn on it.
    const id = await open('Choose again p3');
    const shown = slack.card(id);
    const choose = async (value: string) => {
      expect((await slack.client.click(shown, 'tms_priority', BEN, { value })).status).toBe(200);
      await settle(stack);
    };
    // Act: P2, the same P2 again at once (a double click), then P4, then P2 again on that same old card.
    await choose('P2');
    await choose('P2');
    const afterDoubleClick = (await task(id)).version;
    await choose('P4');
    await choose('P2');
    // Assess: the double click changed nothing twice; the later P2 was a new decision and took effect.
    expect(afterDoubleClick).toBe(2);
    expect(await task(id)).toMatchObject({ priority: 'P2', version: 4 });
  });

  it('lets a click that failed on a passing fault be pressed again', async () => {
    // Arrange: the store fails the next save once, as DynamoDB throttling would.
    const id = await open('Pressed again p3');
    const store = stack.deps.store;
    const save = store.save.bind(store);
    store.save = async () => {
      store.save = save;
      throw new TransientError('DynamoDB is unavailable right now (ThrottlingException)');
    };
    // Act
    await click(id, 'tms_ack', BEN);
    expect(slack.lastPrivate(BEN)).toContain('Nothing was changed; please try again.');
    await click(id, 'tms_ack', BEN);
    // Assert
    expect(await task(id)).toMatchObject({ status: 'acknowledged', version: 2 });
  });

  it('gives a person the ref of an unexpected failure that the log line has, and nothing of the error', async () => {
    // Prepare: the store fails the next save once with a bug, not a passing fault.
    const id = await open('Bug on click p3');
    const store = stack.deps.store;
    const save = store.save.bind(store);
    store.save = async () => {
      store.save = save;
      throw new TypeError("Cannot read properties of undefined (reading 'version')");
    };
    const logs = captureLogs();
    try {
      // Act
      await click(id, 'tms_ack', BEN);
    } finally {
      logs.restore();
    }
    // Assess
    const told = slack.lastPrivate(BEN);
    const ref = /\(ref ([0-9a-f]{8})\)/.exec(told)?.[1];
    expect(told).toMatch(/^Something went wrong on our side \(ref [0-9a-f]{8}\)\. Please try again/);
    expect(told).not.toContain('version');
    const logged = logs.lines.filter((l) => l.correlationId === ref);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      level: 'ERROR',
      message: 'card action failed',
      taskId: id,
      error: { name: 'TypeError', message: "Cannot read properties of undefined (reading 'version')" },
    });
    // Nothing changed, so the same click works once the bug is gone.
    await click(id, 'tms_ack', BEN);
    expect(await task(id)).toMatchObject({ status: 'acknowledged', version: 2 });
  });

  it('does a click whose first press died halfway once its invocation is over, and only once', async () => {
    // Arrange: the first press's save never returns, as in a process killed (or a Lambda timed out) mid-click.
    const id = await open('Killed mid-click p3');
    const card = slack.card(id);
    const deps = stack.deps;
    const save = deps.store.save.bind(deps.store);
    let reached: () => void = () => {};
    const killed = new Promise<void>((resolve) => {
      reached = resolve;
    });
    deps.store.save = () => {
      deps.store.save = save;
      reached();
      return new Promise(() => {});
    };
    void lambda(slack.client.actionBody(card, 'tms_ack', BEN));
    await killed;
    // Act: the same click on the same card while the first still counts as running, then after its lease.
    const press = async () => {
      expect((await slack.client.click(card, 'tms_ack', BEN)).status).toBe(200);
      await settle(stack);
    };
    await press();
    const meanwhile = await task(id);
    await afterLease(async () => {
      await press();
      await press();
    });
    // Assert
    expect(meanwhile).toMatchObject({ status: 'open', version: 1 });
    expect(await task(id)).toMatchObject({ status: 'acknowledged', version: 2 });
    expect(slack.card(id).text).toBe(`P3 ${id}: Killed mid-click (acknowledged)`);
    expect(slack.thread(id).map((m) => m.text)).toEqual(['ben acknowledged']);
    expect(slack.privately(BEN).filter((m) => m.text.includes(id))).toEqual([]);
  });

  it('loses no kind of click killed halfway: each is done by the same click once the lease is over', async () => {
    type Task = { assignee: string | null; priority: string; snoozedUntil: string | null; status: string };
    const kinds: [string, string, { value?: string; user?: string } | undefined, (t: Task) => boolean][] = [
      ['tms_ack', CAL, undefined, (t) => t.status === 'acknowledged'],
      ['tms_claim', BEN, undefined, (t) => t.assignee === BEN],
      ['tms_priority', BEN, { value: 'P2' }, (t) => t.priority === 'P2'],
      ['tms_snooze', BEN, { value: '1h' }, (t) => t.snoozedUntil !== null],
      ['tms_reassign', ANA, { user: BEN }, (t) => t.assignee === BEN],
    ];
    const deps = stack.deps;
    const lost: string[] = [];
    for (const [actionId, user, choice, done] of kinds) {
      // Arrange: the click's save never returns, as in a process killed mid-click.
      const id = await open(`Killed ${actionId} p3`);
      const card = slack.card(id);
      const save = deps.store.save.bind(deps.store);
      let reached: () => void = () => {};
      const killed = new Promise<void>((resolve) => {
        reached = resolve;
      });
      deps.store.save = () => {
        deps.store.save = save;
        reached();
        return new Promise(() => {});
      };
      void lambda(slack.client.actionBody(card, actionId, user, choice));
      await killed;
      // Act: the person clicks again once the killed invocation is over.
      await afterLease(async () => {
        expect((await slack.client.click(card, actionId, user, choice)).status).toBe(200);
        await settle(stack);
      });
      const after = await task(id);
      if (!done(after) || after.version !== 2) lost.push(actionId);
    }
    expect(lost).toEqual([]);
  });

  it('coalesces a burst of changes into a few edits, within about one per second', async () => {
    // The pacing is what is tried here: its waits take real time.
    await clock.inRealTime(() => burst());
  });
  async function burst() {
    const id = await open('Burst p4');
    const commands = [
      'claim',
      'start',
      'priority {id} p3',
      'priority {id} p2',
      'comment {id} one',
      'comment {id} two',
    ];
    // One after another, as fast as the answers come, without waiting for the card in between.
    for (const c of commands) {
      const text = c.includes('{id}') ? c.replace('{id}', id) : `${c} ${id}`;
      expect((await slack.client.command(text, { user: ANA, channel: GENERAL })).status).toBe(200);
    }
    await settle(stack);
    const card = slack.card(id);
    expect((await task(id)).version).toBe(7);
    expect(card.edits).toBeLessThanOrEqual(3);
    expect(card.text).toBe(`P2 ${id}: Burst (in progress)`);
  }
});

describe('modals', () => {
  it('a bare /tms new opens the form; submitting it opens the task in that channel', async () => {
    // Act
    const answer = await slack.client.command('new', { user: BEN, channel: CHECKOUT });
    expect(answer.status).toBe(200);
    const modal = stack.slack.views().findLast((v) => v.type === 'modal' && v.user === BEN);
    expect(modal?.view.callback_id).toBe('tms_new');
    const empty = await slack.client.submit(modal as never, BEN, { title: { value: '' } });
    expect(empty.body).toEqual({ response_action: 'errors', errors: { title: 'A task needs a title' } });
    const submitted = await slack.client.submit(modal as never, BEN, {
      title: { value: 'From the form' },
      description: { value: 'typed in a modal' },
      priority: { option: 'P2' },
      assignee: { user: CAL },
    });
    await settle(stack);
    // Assert
    expect(submitted.status).toBe(200);
    const { tasks } = (await getJson(`${stack.url}/api/tasks?limit=1`, API())).body;
    expect(tasks[0]).toMatchObject({
      title: 'From the form',
      priority: 'P2',
      channel: CHECKOUT,
      assignee: CAL,
    });
    expect(slack.card(tasks[0].id).channel).toBe(CHECKOUT);
    // Told, as /tms new with words is, how the form was read.
    const told = stack.slack.messages(CHECKOUT).findLast((m) => m.ephemeral_user === BEN);
    expect(told?.text).toBe(
      `Opened *${tasks[0].id}* “From the form” at P2 in general, assigned to <@${CAL}>: its card is on its way here.`,
    );
  });

  it('Resolve opens the resolution form; its note resolves the task and shows on the card', async () => {
    const id = await open('Resolve with a note p2');
    await click(id, 'tms_resolve', BEN);
    const modal = stack.slack.views().findLast((v) => v.type === 'modal' && v.user === BEN);
    expect(modal?.view.callback_id).toBe('tms_resolve');
    await slack.client.submit(modal as never, BEN, { note: { value: 'freed 20 GB of <logs>' } });
    await settle(stack);
    expect(await task(id)).toMatchObject({
      status: 'resolved',
      resolution: 'freed 20 GB of <logs>',
      resolvedBy: BEN,
    });
    expect(JSON.stringify(slack.card(id).blocks)).toContain('freed 20 GB of &lt;logs&gt;');
    // The same form submitted again (a stale form) is answered in the form, not silently.
    const again = await slack.client.submit(modal as never, BEN, { note: { value: 'again' } });
    expect(again.body.response_action).toBe('errors');
    expect(again.body.errors.note).toContain('already resolved');
    // A modal's error is plain text: the person is named as text, nothing escaped for mrkdwn.
    expect(again.body.errors.note).toContain(`@${BEN}`);
    expect(again.body.errors.note).not.toMatch(/<@|&lt;|&gt;|&amp;/);
  });

  it('/tms resolve without a note opens the same form', async () => {
    const id = await open('Resolve by command p3');
    await slack.client.command(`resolve ${id}`, { user: BEN, channel: GENERAL });
    const modal = stack.slack.views().findLast((v) => v.type === 'modal' && v.user === BEN);
    expect(JSON.parse(String(modal?.view.private_metadata)).ref).toBe(`${id}@1`);
  });
});

describe('App Home', () => {
  it('shows my open tasks with their clocks and buttons, and my teams’ open tasks', async () => {
    // Arrange
    const mine = await open(`Mine p2 <@${BEN}|ben>`);
    const teams = await open('For the payments team p3 checkout', CAL);
    // Act
    const answer = await slack.client.event(
      { type: 'app_home_opened', user: BEN, channel: 'D01BBB', tab: 'home' },
      'Ev0HOME1',
    );
    await settle(stack);
    // Assert
    expect(answer.status).toBe(200);
    const home = stack.slack.views().find((v) => v.type === 'home' && v.user === BEN);
    const text = JSON.stringify(home?.view);
    expect(text).toContain('Your open tasks');
    expect(text).toContain(mine);
    expect(text).toContain('Open in payments');
    expect(text).toContain(teams);
    expect(text).toContain('<!date^');
    expect(text).toContain('tms_ack');
    // A click from App Home works, and the home is published again.
    const updates = home?.updates ?? 0;
    const view = home?.view as { blocks: never[] };
    await slack.client.click(
      { channel: '', ts: home?.id ?? '', blocks: view.blocks },
      'tms_ack',
      BEN,
      undefined,
      'view',
    );
    await settle(stack);
    expect((await task(mine)).status).toBe('acknowledged');
    expect(stack.slack.views().find((v) => v.id === home?.id)?.updates).toBe(updates + 1);
  });

  it('applies a retried event once', async () => {
    await slack.client.event(
      { type: 'app_home_opened', user: CAL, channel: 'D01CCC', tab: 'home' },
      'Ev0HOME2',
    );
    await settle(stack);
    const first = stack.slack.views().find((v) => v.type === 'home' && v.user === CAL);
    const retried = await slack.client.event(
      { type: 'app_home_opened', user: CAL, channel: 'D01CCC', tab: 'home' },
      'Ev0HOME2',
      1,
    );
    await settle(stack);
    expect(retried.status).toBe(200);
    expect(stack.slack.views().find((v) => v.id === first?.id)?.updates).toBe(first?.updates);
  });
});

describe('App Home, after a crash', () => {
  it('applies a retried event whose first delivery died halfway, once that delivery is over', async () => {
    // Arrange: the first delivery took the event's marker and was killed, leaving it as a killed process does.
    const deps = stack.deps;
    const now = deps.clock.now();
    await deps.seen.begin('slack-event', 'Ev0HOMEDIED', {
      token: 'the-killed-delivery',
      now: now.toISOString(),
      leaseUntil: new Date(now.getTime() + HANDLING_LEASE_MS).toISOString(),
    });
    const home = () => stack.slack.views().find((v) => v.type === 'home' && v.user === VIC);
    const event = { type: 'app_home_opened', user: VIC, channel: 'D09VIEW', tab: 'home' };
    // Act: Slack's retry while the first delivery could still be running, then its later retry.
    const early = await slack.client.event(event, 'Ev0HOMEDIED', 1);
    await settle(stack);
    const meanwhile = home();
    let late = early;
    await afterLease(async () => {
      late = await slack.client.event(event, 'Ev0HOMEDIED', 2);
      await settle(stack);
    });
    // Assert
    expect([early.status, late.status]).toEqual([200, 200]);
    expect(meanwhile).toBeUndefined();
    expect(home()?.updates ?? -1).toBe(0);
  });
});

describe('authentication', () => {
  const body = () => slack.client.commandBody('list', { user: ANA, channel: GENERAL });
  const now = () => Math.floor(clock.now().getTime() / 1000);

  it('refuses a forged, stale, future-dated, unsigned or replayed request before doing anything', async () => {
    const forged = await slack.client.send(body(), {
      signature: slackSignature('not-the-secret', now(), body()),
    });
    const stale = await slack.client.send(body(), { timestamp: now() - 301 });
    const future = await slack.client.send(body(), { timestamp: now() + 301 });
    const unsigned = await postJson(`${stack.url}/slack/events`, body(), {
      'content-type': 'application/x-www-form-urlencoded',
    });
    const original = body();
    const ts = now();
    const signature = slackSignature(stack.secrets.SLACK_SIGNING_SECRET, ts, original);
    const first = await slack.client.send(original, { timestamp: ts, signature });
    const replayed = await slack.client.send(original, { timestamp: ts, signature });
    for (const refused of [forged, stale, future, unsigned, replayed]) {
      expect(refused.status).toBe(401);
      expect(refused.body.error.code).toBe('UNAUTHENTICATED');
    }
    expect(first.status).toBe(200);
    expect(replayed.body.error.message).toBe('This request was already received');
  });

  it('takes a content type with a charset, and non-ASCII text, as Slack sends them', async () => {
    const answer = await slack.client.send(
      slack.client.commandBody('new Überlauf im Größenpuffer 🚀 p4', { user: ANA, channel: GENERAL }),
      { contentType: 'application/x-www-form-urlencoded; charset=utf-8' },
    );
    expect(answer.status).toBe(200);
    const id = /\*(TMS-\d+)\*/.exec(answer.body.text)?.[1] as string;
    expect((await task(id)).title).toBe('Überlauf im Größenpuffer 🚀');
  });

  it('decodes a base64 body as UTF-8 on Lambda', async () => {
    const text = slack.client.commandBody('new Ünïcødé over base64 p4', { user: ANA, channel: GENERAL });
    const ts = now();
    const result = await bot(
      {
        version: '2.0',
        routeKey: 'POST /slack/events',
        rawPath: '/slack/events',
        rawQueryString: '',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-slack-request-timestamp': String(ts),
          'x-slack-signature': slackSignature(stack.secrets.SLACK_SIGNING_SECRET, ts, text),
        },
        body: Buffer.from(text, 'utf8').toString('base64'),
        isBase64Encoded: true,
        requestContext: {} as never,
      },
      {} as never,
    );
    expect(result?.statusCode).toBe(200);
    expect(JSON.parse(String(result?.body)).text).toMatch(/^Opened \*TMS-\d+\*/);
  });
});

describe('the card survives Slack failing', () => {
  it('waits out all of a short rate limit, never less, and still shows the final state', async () => {
    const id = await open('Rate limited p3');
    await postJson(`${stack.url}/_sandbox/slack/faults`, {
      method: 'chat.update',
      error: 'ratelimited',
      retryAfter: 1,
      count: 1,
    });
    // The unluckiest jitter: a wait that could be shorter than asked is as short as it gets. The emulator
    // refuses (429 again) an update made before its Retry-After has passed, as Slack does.
    const random = vi.spyOn(Math, 'random').mockReturnValue(0);
    try {
      await click(id, 'tms_ack', BEN);
    } finally {
      random.mockRestore();
    }
    expect(slack.card(id).text).toBe(`P3 ${id}: Rate limited (acknowledged)`);
    expect((await getJson(`${stack.url}/api/tasks/${id}`, API())).body.task.status).toBe('acknowledged');
  });

  it('leaves a card behind a long rate limit to the sweeper, which brings it up to date', async () => {
    const id = await open('Long rate limit p3');
    await postJson(`${stack.url}/_sandbox/slack/faults`, {
      method: 'chat.update',
      error: 'ratelimited',
      retryAfter: 3,
      count: 1,
    });
    await click(id, 'tms_ack', BEN);
    expect((await task(id)).status).toBe('acknowledged'); // the change itself was never blocked
    expect(slack.card(id).text).toContain('(open)');
    clock.advance(3_100); // Slack's Retry-After, on the stack's clock (the emulator's too)
    const report = await makeSweeperHandler(stack.deps)();
    await settle(stack);
    expect(report.ran.find((r) => r.name === 'reconcile-cards')).toMatchObject({ ok: true });
    expect(slack.card(id).text).toBe(`P3 ${id}: Long rate limit (acknowledged)`);
  });

  it('posts a card it may not post in its channel in the default channel, saying why', async () => {
    await postJson(`${stack.url}/_sandbox/slack/faults`, {
      method: 'chat.postMessage',
      error: 'not_in_channel',
      count: 1,
    });
    const id = await open('Private channel p3 checkout');
    const card = slack.card(id);
    expect(card.channel).toBe(GENERAL);
    expect(JSON.stringify(card.blocks)).toContain('cannot post in <#C0CHECKOUT>');
  });
});
