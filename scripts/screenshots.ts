/**
 * `npx tsx scripts/screenshots.ts`: the dashboard's screenshot for the README (docs/screenshots/dashboard.png).
 * A stack of its own in memory, a few real fixture alerts ingested as their senders post them (PagerDuty
 * Events v2, Alertmanager, a Kubernetes event), one task opened and claimed by a developer, one alert
 * acknowledged, then the page as a wall screen shows it, signed in as that developer.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { signDevToken } from '../src/local/dev-token.js';
import { startLocalStack } from '../src/local/stack.js';
import { launchBrowser } from '../test/helpers/browser.js';

const OUT = 'docs/screenshots/dashboard.png';
const fixture = (path: string) => readFileSync(`test/fixtures/${path}`, 'utf8');

const stack = await startLocalStack({ env: { PORT: '0', TMS_TICK: '1h', TMS_CONFIG: 'tms.config.yaml' } });
const browser = await launchBrowser();
try {
  const ingest = async (source: string, body: string) => {
    const response = await fetch(`${stack.url}/ingest/${source}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.secrets.INGEST_TOKEN}` },
      body,
    });
    if (!response.ok) throw new Error(`ingest ${source}: ${response.status} ${await response.text()}`);
  };
  await ingest('generic', fixture('generic/pagerduty-trigger.json'));
  await ingest('alertmanager', fixture('alertmanager/alertmanager-v4-firing.json'));
  await ingest('kubernetes', fixture('kubernetes/backoff-warning.json'));
  const developer = await signDevToken({
    role: 'developer',
    user: 'U01BBB',
    ttlMs: 3_600_000,
    secret: stack.secrets.TMS_JWT_SECRET,
    now: new Date(),
  });
  const api = { 'content-type': 'application/json', authorization: `Bearer ${developer}` };
  const created = await fetch(`${stack.url}/api/tasks`, {
    method: 'POST',
    headers: api,
    body: JSON.stringify({
      title: 'Rotate the payment gateway certificate',
      priority: 'P3',
      service: 'checkout',
    }),
  });
  const { task } = (await created.json()) as { task: { id: string } };
  const act = (id: string, action: string) =>
    fetch(`${stack.url}/api/tasks/${id}/actions`, {
      method: 'POST',
      headers: api,
      body: JSON.stringify({ action }),
    });
  await act(task.id, 'claim');
  await stack.idle();
  await act('TMS-2', 'acknowledge');
  await stack.idle();

  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 }, colorScheme: 'dark' });
  await page.goto(`${stack.url}/?token=${developer}`);
  await page.locator('li.task').first().waitFor();
  await page.waitForTimeout(1500); // the charts over time
  mkdirSync('docs/screenshots', { recursive: true });
  await page.screenshot({ path: OUT, fullPage: true });
  console.log(`wrote ${OUT}`);
} finally {
  await browser.close();
  await stack.close();
}
