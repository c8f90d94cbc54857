import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

  async function open(path: string): Promise<Page> {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.goto(`${stack.url}${path}`);
    Object.assign(page, { errors });
    return page;
  }

  async function messages(channel: string) {
    const { body } = await getJson(`${stack.url}/_sandbox/slack/messages?channel=${channel}`);
    return body.messages as {
      ts: string;
      text: string;
      blocks: unknown[];
      edits: number;
      ephemeral_user?: string;
    }[];
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
    expect((page as unknown as { errors: string[] }).errors).toEqual([]);
    await page.close();
  }, 60_000);
});
