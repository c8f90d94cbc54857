import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxEntry } from '../../src/local/slack-emulator.js';
import { launchBrowser } from '../helpers/browser.js';
import { getJson, inProcessStack, type TestStack } from '../helpers/local-stack.js';

/** The offline Slack page in a real browser, on a stack of its own: what a newcomer clicks through. */
describe('the offline Slack page', () => {
  let stack: TestStack;
  let browser: Browser;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([inProcessStack(), launchBrowser()]);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  }, 60_000);

  /** What each page logged as an error (a failed load, an exception): none is expected. */
  const pageErrors = new Map<Page, string[]>();

  async function open(path: string): Promise<Page> {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.goto(`${stack.url}${path}`);
    pageErrors.set(page, errors);
    return page;
  }

  async function messages(channel: string) {
    const { body } = await getJson(`${stack.url}/_sandbox/slack/messages?channel=${channel}`);
    return body.messages as SandboxEntry[];
  }

  /** What `find` finds once it finds it (within 20 s). */
  async function eventually<T>(find: () => Promise<T | undefined>): Promise<T> {
    let found: T | undefined;
    await expect
      .poll(
        async () => {
          found = await find();
          return found !== undefined;
        },
        { timeout: 20_000 },
      )
      .toBe(true);
    return found as T;
  }

  async function command(page: Page, text: string): Promise<void> {
    await page.locator('.composer-input').fill(text);
    await page.locator('.composer-input').press('Enter');
  }

  it('posts a card for /tms new typed into the box, and its Acknowledge button edits it in place', async () => {
    const page = await open('/_sandbox/slack/?user=U01BBB&channel=C0GENERAL');
    await command(page, '/tms new Disk full on db-1 p2');
    const card = page.locator('article[data-ts]', { hasText: 'Disk full on db-1' }).filter({
      has: page.locator('[data-action-id="tms_ack"]'),
    });
    await card.waitFor({ timeout: 20_000 });
    const ts = (await card.getAttribute('data-ts')) as string;
    const before = (await messages('C0GENERAL')).find((m) => m.ts === ts);
    expect(before?.edits).toBe(0);
    const textBefore = await card.innerText();

    await card.locator('[data-action-id="tms_ack"]').click();
    const same = page.locator(`article[data-ts="${ts}"]`);
    await expect.poll(async () => same.getAttribute('data-edits'), { timeout: 20_000 }).not.toBe('0');
    await expect
      .poll(async () => same.locator('[data-action-id="tms_ack"]').count(), { timeout: 20_000 })
      .toBe(0);
    expect(await same.innerText()).not.toBe(textBefore);
    expect(await same.innerText()).toContain('ben');
    expect(await page.locator(`article[data-ts="${ts}"]`).count()).toBe(1);
    const after = (await messages('C0GENERAL')).find((m) => m.ts === ts);
    expect(after?.edits).toBeGreaterThanOrEqual(1);
    expect(after?.blocks).not.toEqual(before?.blocks);
    expect(pageErrors.get(page)).toEqual([]);
    await page.close();
  }, 60_000);

  /** A card of its own for a test, opened by `user` in C0GENERAL: its message in the page and its ts. */
  async function newCard(page: Page, title: string) {
    await command(page, `/tms new ${title} p3`);
    const card = page
      .locator('.messages article[data-ts]', { hasText: title })
      .filter({ has: page.locator('[data-action-id="tms_ack"]') });
    await card.waitFor({ timeout: 20_000 });
    return { card, ts: (await card.getAttribute('data-ts')) as string };
  }

  it("shows a command's ephemeral reply to the person who typed it, and to nobody else", async () => {
    const page = await open('/_sandbox/slack/?user=U01BBB&channel=C0GENERAL');
    const { ts: cardTs } = await newCard(page, 'Printer on fire');
    const reply = await eventually(async () =>
      (await messages('C0GENERAL')).find(
        (m) => m.ephemeral_user === 'U01BBB' && m.text.includes('Printer on fire'),
      ),
    );
    const shown = page.locator(`.messages article[data-ts="${reply.ts}"]`);
    await shown.waitFor({ timeout: 20_000 });
    expect(await shown.innerText()).toContain('Only visible to you');

    await page.locator('select.me').selectOption('U01AAA');
    await page.locator(`.messages article[data-ts="${cardTs}"]`).waitFor({ timeout: 20_000 });
    expect(await page.locator(`.messages article[data-ts="${reply.ts}"]`).count()).toBe(0);
    await page.close();
  }, 60_000);

  it('opens a permalink on its channel with the message highlighted, and a reply in its open thread', async () => {
    const page = await open('/_sandbox/slack/?user=U01BBB&channel=C0GENERAL');
    const { card, ts } = await newCard(page, 'Queue backlog on worker-3');
    await card.locator('[data-action-id="tms_ack"]').click();
    // Acknowledging writes a line of the task's history in the card's thread.
    const reply = await eventually(async () =>
      (await messages('C0GENERAL')).find((m) => m.thread_ts === ts && m.ts !== ts),
    );
    await page.close();

    const link = (ofTs: string) => {
      const answer = stack.slack.call(
        'chat.getPermalink',
        { channel: 'C0GENERAL', message_ts: ofTs },
        `Bearer ${stack.secrets.SLACK_BOT_TOKEN}`,
      ).body as { permalink: string };
      return new URL(answer.permalink).pathname;
    };
    const cardPage = await open(link(ts));
    const highlighted = cardPage.locator('.messages article.highlight');
    await highlighted.waitFor({ timeout: 20_000 });
    expect(await highlighted.getAttribute('data-ts')).toBe(ts);
    expect(await cardPage.locator('.place.active').innerText()).toContain('general');
    await cardPage.close();

    const replyPage = await open(link(reply.ts));
    const inThread = replyPage.locator('.thread article.highlight');
    await inThread.waitFor({ timeout: 20_000 });
    expect(await inThread.getAttribute('data-ts')).toBe(reply.ts);
    expect(await replyPage.locator('.thread').isVisible()).toBe(true);
    expect(await replyPage.locator('.thread').innerText()).toContain('Queue backlog on worker-3');
    await replyPage.close();

    // A link to a message the offline Slack no longer has says so, where it would have been.
    const gone = await open('/_sandbox/slack/archives/C0GENERAL/p1000000000000001');
    await gone.locator('.messages article.note', { hasText: 'not here' }).waitFor({ timeout: 20_000 });
    await gone.close();
  }, 60_000);

  it("opens the Resolve button's modal as a dialog and resolves the task with the note submitted", async () => {
    const page = await open('/_sandbox/slack/?user=U01AAA&channel=C0GENERAL');
    const { card, ts } = await newCard(page, 'Cache stampede on api-2');
    await card.locator('[data-action-id="tms_resolve"]').click();
    const dialog = page.getByRole('dialog', { name: 'Resolve TMS-' });
    await dialog.waitFor({ timeout: 20_000 });
    await dialog.locator('textarea[data-action-id="note"]').fill('Warmed the cache before the deploy');
    await dialog.getByRole('button', { name: 'Resolve' }).click();
    await expect.poll(async () => page.locator('dialog.modal[open]').count(), { timeout: 20_000 }).toBe(0);
    const same = page.locator(`.messages article[data-ts="${ts}"]`);
    await expect.poll(async () => same.innerText(), { timeout: 20_000 }).toContain('Resolved');
    const { body } = await getJson(`${stack.url}/api/tasks?status=resolved`, {
      authorization: `Bearer ${stack.secrets.TMS_API_TOKEN}`,
    });
    const task = (body.tasks as { title: string; resolution?: unknown }[]).find(
      (t) => t.title === 'Cache stampede on api-2',
    );
    expect(JSON.stringify(task)).toContain('Warmed the cache before the deploy');
    await page.close();
  }, 60_000);

  it("opens /tms new's form, shows the bot's errors under the field, and opens the task once it has a title", async () => {
    const page = await open('/_sandbox/slack/?user=U01AAA&channel=C0GENERAL');
    await command(page, '/tms new');
    const dialog = page.locator('dialog.modal[open]');
    await dialog.waitFor({ timeout: 20_000 });
    // A required field left empty is refused by the page itself, as Slack's client refuses it.
    await dialog.getByRole('button', { name: 'Open task' }).click();
    await dialog.locator('[data-block-id="title"] .error').waitFor({ timeout: 5_000 });
    // Blank to TMS but not to Slack: the bot's response_action errors come back under the field.
    await dialog.locator('input[data-action-id="title"]').fill('   ');
    await dialog.getByRole('button', { name: 'Open task' }).click();
    await expect
      .poll(async () => dialog.locator('[data-block-id="title"] .error').innerText(), { timeout: 20_000 })
      .toContain('title');
    await dialog.locator('input[data-action-id="title"]').fill('Certificate expires on edge-1');
    await dialog.locator('select[data-action-id="priority"]').selectOption('P2');
    await dialog.getByRole('button', { name: 'Open task' }).click();
    await expect.poll(async () => page.locator('dialog.modal[open]').count(), { timeout: 20_000 }).toBe(0);
    await page
      .locator('.messages article[data-ts]', { hasText: 'Certificate expires on edge-1' })
      .filter({ has: page.locator('[data-action-id="tms_ack"]') })
      .waitFor({ timeout: 20_000 });
    await page.close();
  }, 60_000);

  it("opens /tms schedule's form, lists the channels it knows for the reminder, and makes the schedule", async () => {
    const page = await open('/_sandbox/slack/?user=U01AAA&channel=C0GENERAL');
    await command(page, '/tms schedule');
    const dialog = page.getByRole('dialog', { name: 'New schedule' });
    await dialog.waitFor({ timeout: 20_000 });
    const channel = dialog.locator('select[data-action-id="schedule_channel"]');
    // The form opens on the channel it was typed in; the config's channels are the others offered.
    expect(await channel.inputValue()).toBe('C0GENERAL');
    const offered = await channel
      .locator('option')
      .evaluateAll((options) => options.map((o) => o.getAttribute('value')));
    expect(offered).toEqual(expect.arrayContaining(['C0GENERAL', 'C0PAYMENTS', 'C0CHECKOUT']));
    await dialog.locator('input[data-action-id="schedule_title"]').fill('Check the payment queues');
    await dialog.locator('input[data-action-id="schedule_when"]').fill('tomorrow 09:00');
    await dialog.locator('select[data-action-id="schedule_repeat"]').selectOption('weekday');
    await dialog.locator('select[data-action-id="schedule_action"]').selectOption('message');
    await channel.selectOption('C0PAYMENTS');
    await dialog.getByRole('button', { name: 'Schedule' }).click();
    await expect.poll(async () => page.locator('dialog.modal[open]').count(), { timeout: 20_000 }).toBe(0);
    // The bot's answer, shown to the person who made it: the reminder goes to the channel chosen.
    const told = page.locator('.messages article', { hasText: 'Check the payment queues' });
    await told.waitFor({ timeout: 20_000 });
    expect(await told.innerText()).toContain('reminds #payments');

    await command(page, '/tms schedules');
    const listed = page.locator('.messages article', { hasText: 'Schedules ·' });
    await listed.waitFor({ timeout: 20_000 });
    expect(await listed.innerText()).toContain('Check the payment queues');
    await page.close();
  }, 60_000);

  it('draws App Home for the person chosen, and takes only /tms in the box', async () => {
    const page = await open('/_sandbox/slack/?user=U01BBB&channel=C0GENERAL');
    await command(page, 'hello everyone');
    await expect
      .poll(async () => page.locator('.composer-hint').innerText(), { timeout: 20_000 })
      .toContain('/tms');
    // Said by Slack to this person only, as Slackbot says what it could not send.
    expect(await page.locator('.messages article.note').innerText()).toContain('Only visible to you');
    await page.locator('[data-place="home"]').click();
    const home = page.locator('.home');
    await home.waitFor({ timeout: 20_000 });
    expect(await home.innerText()).toContain('Your open tasks');
    // Slack's Home tab has no message box.
    expect(await page.locator('.composer').isVisible()).toBe(false);
    const views = (await getJson(`${stack.url}/_sandbox/slack/views`)).body.views as {
      type: string;
      user: string;
    }[];
    expect(views.some((v) => v.type === 'home' && v.user === 'U01BBB')).toBe(true);
    await page.close();
  }, 60_000);

  /** A message the bot posts to a channel, as the emulator answers it. */
  function post(channel: string, text: string, blocks?: unknown[]): string {
    const answer = stack.slack.call(
      'chat.postMessage',
      { channel, text, ...(blocks ? { blocks } : {}) },
      `Bearer ${stack.secrets.SLACK_BOT_TOKEN}`,
    );
    expect(answer.body).toMatchObject({ ok: true });
    return (answer.body as { ts: string }).ts;
  }

  it('draws the newest 200 messages of a long channel, older ones on asking, and patches only what changed', async () => {
    const ts = Array.from({ length: 450 }, (_, i) => post('C0PAYMENTS', `Payment note ${i}`));
    const page = await open('/_sandbox/slack/?user=U01BBB&channel=C0PAYMENTS');
    const drawn = page.locator('.messages article[data-ts]');
    await page.locator(`article[data-ts="${ts[449]}"]`).waitFor({ timeout: 20_000 });
    expect(await drawn.count()).toBe(200);
    expect(await drawn.first().getAttribute('data-ts')).toBe(ts[250]);

    // A new message is added and an edited one drawn again; the others are the same elements as before.
    await page.locator(`article[data-ts="${ts[300]}"]`).evaluate((e) => e.setAttribute('data-kept', ''));
    const added = post('C0PAYMENTS', 'Payment note, the newest');
    stack.slack.call(
      'chat.update',
      { channel: 'C0PAYMENTS', ts: ts[449], text: 'Payment note 449, edited' },
      `Bearer ${stack.secrets.SLACK_BOT_TOKEN}`,
    );
    await page.locator(`article[data-ts="${added}"]`).waitFor({ timeout: 20_000 });
    await expect
      .poll(() => page.locator(`article[data-ts="${ts[449]}"]`).innerText(), { timeout: 20_000 })
      .toContain('edited');
    expect(await page.locator(`article[data-ts="${ts[300]}"][data-kept]`).count()).toBe(1);

    const older = page.getByRole('button', { name: /Show older messages/ });
    await older.click();
    await page.locator(`article[data-ts="${ts[51]}"]`).waitFor({ timeout: 20_000 });
    expect(await drawn.count()).toBe(400);
    await older.click();
    await page.locator(`article[data-ts="${ts[0]}"]`).waitFor({ timeout: 20_000 });
    expect(await drawn.count()).toBe(451);
    expect(await older.count()).toBe(0);
    expect(pageErrors.get(page)).toEqual([]);
    await page.close();

    // A permalink to a message far back still opens it, highlighted.
    const path = `/_sandbox/slack/archives/C0PAYMENTS/p${(ts[3] as string).replace('.', '')}`;
    const linked = await open(path);
    const highlighted = linked.locator('.messages article.highlight');
    await highlighted.waitFor({ timeout: 20_000 });
    expect(await highlighted.getAttribute('data-ts')).toBe(ts[3]);
    expect(pageErrors.get(linked)).toEqual([]);
    await linked.close();
  }, 60_000);

  it('shows a date beyond what a Date holds as its label, and a message it cannot draw as such', async () => {
    const dates = '<!date^-1e308^{date_pretty}|long ago> and <!date^99999999999999^{date}|far ahead>';
    const dated = post('C0CHECKOUT', dates, [{ type: 'section', text: { type: 'mrkdwn', text: dates } }]);
    const after = post('C0CHECKOUT', 'A message after them');
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    // A state the page cannot draw a message of (a journal of another version, a bug): the rest is drawn.
    await page.route('**/_sandbox/slack/state*', async (route) => {
      const response = await route.fetch();
      if (response.status() !== 200) return route.fulfill({ response });
      const state = await response.json();
      state.messages.push({
        ...state.messages.find((m: SandboxEntry) => m.ts === after),
        ts: '1.000001',
        blocks: [{ type: { toString: 1, valueOf: 1 } }],
      });
      return route.fulfill({ response, json: state });
    });
    await page.goto(`${stack.url}/_sandbox/slack/?user=U01BBB&channel=C0CHECKOUT`);
    await page.locator(`article[data-ts="${after}"]`).waitFor({ timeout: 20_000 });
    expect(await page.locator(`article[data-ts="${dated}"]`).innerText()).toContain('long ago and far ahead');
    expect(await page.locator('article[data-ts="1.000001"]').innerText()).toContain(
      '[this message could not be drawn]',
    );
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
