import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/browser.js';
import { API, getJson, npmStart, postJson, type StartedProcess } from '../helpers/local-stack.js';

/**
 * The "done when", as a newcomer does it: `npm start`, open the URLs it prints, watch an alert appear
 * on the dashboard, and work it in the offline Slack page, with no workspace. The dashboard follows the
 * click in Slack live, as both are views of the same task.
 */
const PAGERDUTY = JSON.parse(readFileSync('test/fixtures/generic/pagerduty-trigger.json', 'utf8')) as Record<
  string,
  unknown
> & { payload: Record<string, unknown> };

describe('a newcomer, from npm start to a task worked in Slack', () => {
  let tms: StartedProcess;
  let browser: Browser;

  beforeAll(async () => {
    [tms, browser] = await Promise.all([npmStart({ TMS_TICK: '1h' }), launchBrowser()]);
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await tms?.stop();
  }, 60_000);

  /** A URL `npm start` printed on the line that starts with `label`. */
  const printed = (label: string): string => {
    const line = tms
      .output()
      .split('\n')
      .find((l) => l.trimStart().startsWith(label));
    const url = line ? /https?:\/\/\S+/.exec(line)?.[0] : undefined;
    if (!url) throw new Error(`npm start printed no ${label} URL:\n${tms.output()}`);
    return url;
  };

  it('sees an alert on the dashboard, acknowledges it in the Slack page, and the dashboard follows', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    context.on('weberror', (error) => errors.push(error.error().message));

    const dashboard = await context.newPage();
    await dashboard.goto(printed('dashboard'));
    await expect.poll(() => dashboard.locator('.live-state').textContent(), { timeout: 20_000 }).toBe('live');

    const summary = 'Disk at 99% on prod-datapipe03 (newcomer)';
    const sent = await postJson(
      `${tms.url}/ingest/generic`,
      { ...PAGERDUTY, dedup_key: 'newcomer-1', payload: { ...PAGERDUTY.payload, summary } },
      { authorization: 'Bearer local-ingest-token' },
    );
    expect(sent.status).toBe(202);
    // On the wall screen without a reload, pushed over the WebSocket.
    const row = dashboard.locator('li.task', { hasText: summary });
    await row.waitFor({ timeout: 10_000 });
    const taskId = (await row.locator('[data-task]').getAttribute('data-task')) ?? '';
    expect(taskId).toMatch(/^TMS-\d+$/);

    // The card's permalink, as `/tms list`, DMs and SNS give it, opens the card in the Slack page.
    let card = null as { permalink: string | null; ts: string | null } | null;
    await expect
      .poll(
        async () => {
          card = (await getJson(`${tms.url}/api/tasks/${taskId}`, API())).body.card;
          return card?.permalink ?? null;
        },
        { timeout: 20_000 },
      )
      .not.toBeNull();
    if (!card?.permalink) throw new Error('the card has no permalink');
    expect(card.permalink).toMatch(/\/_sandbox\/slack\/archives\/C\w+\/p\d+$/);

    const slack = await context.newPage();
    await slack.goto(
      `${new URL(printed('start here')).origin}${new URL(card.permalink, tms.url).pathname}?user=U01BBB`,
    );
    const message = slack.locator(`article[data-ts="${card.ts}"]`);
    await message.locator('[data-action-id="tms_ack"]').click({ timeout: 20_000 });
    // Edited in place in Slack…
    await expect
      .poll(() => message.locator('[data-action-id="tms_ack"]').count(), { timeout: 20_000 })
      .toBe(0);
    // …and on the dashboard, live: the clock is now the resolve clock, and no Acknowledge is offered.
    await expect.poll(() => row.locator('.clock').textContent(), { timeout: 10_000 }).toMatch(/^resolve in/);
    expect(await row.getByRole('button', { name: `Acknowledge ${taskId}` }).count()).toBe(0);
    const task = (await getJson(`${tms.url}/api/tasks/${taskId}`, API())).body.task;
    expect(task).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'U01BBB' });
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);
});
