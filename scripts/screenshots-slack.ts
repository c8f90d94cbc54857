/**
 * `npx tsx scripts/screenshots-slack.ts`: docs/screenshots/slack.png, the offline Slack page as the README
 * shows it. A stack of its own (in memory, a free port), a few things done on it as a person would (a card
 * opened, acknowledged, its thread open, the reply only ben sees), then one screenshot in Chromium.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { startLocalStack } from '../src/local/stack.js';
import { launchBrowser } from '../test/helpers/browser.js';

const OUT = 'docs/screenshots/slack.png';

async function main(): Promise<void> {
  const stack = await startLocalStack({ env: { PORT: '0', TMS_TICK: '1h', TMS_CONFIG: 'tms.config.yaml' } });
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1360, height: 820 }, deviceScaleFactor: 1 });
    await page.goto(`${stack.url}/_sandbox/slack/?user=U01BBB&channel=C0GENERAL`);
    const box = page.locator('.composer-input');
    await box.fill('/tms new Checkout latency over 2s on api-3 p1');
    await box.press('Enter');
    const card = page
      .locator('.messages article[data-ts]', { hasText: 'Checkout latency' })
      .filter({ has: page.locator('[data-action-id="tms_ack"]') });
    await card.waitFor({ timeout: 20_000 });
    const same = page.locator(`.messages article[data-ts="${await card.getAttribute('data-ts')}"]`);
    await box.fill('/tms new Disk full on db-1 p2');
    await box.press('Enter');
    await page.locator('.messages article[data-ts]', { hasText: 'Disk full on db-1' }).first().waitFor();
    await same.locator('[data-action-id="tms_ack"]').click();
    await same.locator('[data-action-id="tms_ack"]').waitFor({ state: 'detached', timeout: 20_000 });
    await stack.idle();
    const replies = same.locator('.replies');
    await replies.waitFor({ timeout: 20_000 });
    await replies.click();
    await page.locator('.thread article').nth(1).waitFor({ timeout: 20_000 });
    await page.waitForTimeout(1200); // one more poll: everything the bot did is drawn
    mkdirSync(dirname(OUT), { recursive: true });
    await page.screenshot({ path: OUT });
    process.stdout.write(`${OUT}\n`);
  } finally {
    await browser.close();
    await stack.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
