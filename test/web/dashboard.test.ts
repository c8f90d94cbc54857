import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Browser, Page, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentSecurityPolicy } from '../../src/handlers/api-web.js';
import { signDevToken } from '../../src/local/dev-token.js';
import { launchBrowser } from '../helpers/browser.js';
import { API, getJson, inProcessStack, postJson, type TestStack } from '../helpers/local-stack.js';

/**
 * The dashboard in a real Chromium against a whole local stack: what a team sees on the wall screen and
 * what a click does. Each test has a browser context of its own (its own sessionStorage: its own sign-in).
 */

const PAGERDUTY = JSON.parse(readFileSync('test/fixtures/generic/pagerduty-trigger.json', 'utf8')) as Record<
  string,
  unknown
> & { payload: Record<string, unknown> };

let stack: TestStack;
let browser: Browser;
let admin: Record<string, string>;

beforeAll(async () => {
  [stack, browser] = await Promise.all([inProcessStack(), launchBrowser()]);
  admin = API(stack.secrets.TMS_API_TOKEN);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await stack?.close();
}, 60_000);

const jwt = (role: 'developer' | 'viewer', user: string) =>
  signDevToken({ role, user, ttlMs: 3_600_000, secret: stack.secrets.TMS_JWT_SECRET, now: new Date() });

/** An alert as PagerDuty Events v2 sends it (the fixture), with a dedup key of the test's own. */
async function ingest(dedupKey: string, summary: string): Promise<string> {
  const sent = await postJson(
    `${stack.url}/ingest/generic`,
    { ...PAGERDUTY, dedup_key: dedupKey, payload: { ...PAGERDUTY.payload, summary } },
    { authorization: `Bearer ${stack.secrets.INGEST_TOKEN}` },
  );
  expect(sent.status).toBe(202);
  await stack.idle();
  const { body } = await getJson(`${stack.url}/api/tasks?status=unresolved&limit=100`, admin);
  const task = (body.tasks as { id: string; title: string }[]).find((t) => t.title === summary);
  if (!task) throw new Error(`no task for ${summary}`);
  return task.id;
}

async function open(token: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${stack.url}/?token=${encodeURIComponent(token)}`);
  return page;
}

// Strings run in the page: this file is typed for Node, without the DOM's names.
const stored = (page: Page) => page.evaluate<string | null>("sessionStorage.getItem('tms.token')");
const focusedTask = (page: Page) => page.evaluate<string | undefined>('document.activeElement?.dataset.task');

/**
 * Cognito stood in for at its two endpoints (the hosted UI's authorize, which answers with where it would
 * send the browser back, and the token endpoint, which checks the PKCE proof); the page, its CSP as the
 * api function writes it with a Cognito domain, and the API are the real ones.
 */
async function standInForCognito(page: Page, tokens: { code: string; refreshed?: string }) {
  const cognito = { domain: 'https://tms-test.auth.eu-west-1.amazoncognito.com', clientId: 'client-1' };
  await page.route(
    (url) => url.origin === stack.url && url.pathname === '/',
    async (route) => {
      const real = await route.fetch();
      const csp = contentSecurityPolicy({ liveUrl: null, cognito });
      await route.fulfill({ response: real, headers: { ...real.headers(), 'content-security-policy': csp } });
    },
  );
  await page.route(`${stack.url}/app/config.json`, (route) =>
    route.fulfill({
      json: {
        liveUrl: null,
        auth: { cognitoDomain: cognito.domain, clientId: cognito.clientId, redirectUri: `${stack.url}/` },
      },
    }),
  );
  let challenge = '';
  let back = '';
  await page.route(
    (url) => url.href.startsWith(`${cognito.domain}/oauth2/authorize?`),
    (route) => {
      const asked = new URL(route.request().url()).searchParams;
      if (
        asked.get('response_type') === 'code' &&
        asked.get('client_id') === cognito.clientId &&
        asked.get('redirect_uri') === `${stack.url}/` &&
        asked.get('code_challenge_method') === 'S256'
      ) {
        challenge = asked.get('code_challenge') ?? '';
        back = `${stack.url}/?code=the-code&state=${encodeURIComponent(asked.get('state') ?? '')}`;
      } else back = `${stack.url}/?error=invalid_request`;
      return route.fulfill({ contentType: 'text/html', body: '<p>Cognito: signed in</p>' });
    },
  );
  const seen: URLSearchParams[] = [];
  const cors = { 'access-control-allow-origin': '*' };
  await page.route(`${cognito.domain}/oauth2/token`, (route) => {
    const form = new URLSearchParams(route.request().postData() ?? '');
    seen.push(form);
    const proven =
      form.get('grant_type') === 'authorization_code' &&
      form.get('code') === 'the-code' &&
      createHash('sha256')
        .update(form.get('code_verifier') ?? '')
        .digest('base64url') === challenge;
    const renewed =
      form.get('grant_type') === 'refresh_token' && form.get('refresh_token') === 'the-refresh-token';
    const idToken = proven ? tokens.code : renewed ? tokens.refreshed : undefined;
    return idToken
      ? route.fulfill({
          json: {
            id_token: idToken,
            access_token: 'a',
            refresh_token: 'the-refresh-token',
            token_type: 'Bearer',
          },
          headers: cors,
        })
      : route.fulfill({ status: 400, json: { error: 'invalid_grant' }, headers: cors });
  });
  const revoked: URLSearchParams[] = [];
  await page.route(`${cognito.domain}/oauth2/revoke`, (route) => {
    revoked.push(new URLSearchParams(route.request().postData() ?? ''));
    return route.fulfill({ status: 200, body: '', headers: cors });
  });
  const loggedOut: URL[] = [];
  await page.route(
    (url) => url.href.startsWith(`${cognito.domain}/logout?`),
    (route) => {
      loggedOut.push(new URL(route.request().url()));
      return route.fulfill({ contentType: 'text/html', body: '<p>Cognito: signed out</p>' });
    },
  );
  return {
    seen,
    revoked,
    loggedOut,
    /** Where Cognito sends the browser back: navigated to by the test (a fulfilled redirect skips the routes). */
    callback: async () => {
      await expect.poll(() => back, { timeout: 10_000 }).not.toBe('');
      return back;
    },
  };
}

const row = (page: Page, id: string) => page.locator(`li.task[data-id="${id}"]`);

describe('the dashboard', () => {
  it('signs in with ?token=, takes the token out of the address, and shows the open tasks by priority', async () => {
    const id = await ingest('web-load-1', 'Disk 97% full on db-load');
    const page = await open(stack.secrets.TMS_API_TOKEN);
    await expect.poll(() => row(page, id).isVisible(), { timeout: 10_000 }).toBe(true);
    expect(new URL(page.url()).search).toBe('');
    expect(await stored(page)).toBe(stack.secrets.TMS_API_TOKEN);
    // PagerDuty's "critical" is a P1 (tms.config.yaml): under the P1 heading, with its ack clock running.
    expect(await page.locator('section.p1 li.task', { hasText: 'Disk 97% full on db-load' }).count()).toBe(1);
    const clock = row(page, id).locator('.clock');
    expect(await clock.textContent()).toMatch(/^ack in \d+m \d{2}s$/);
    const before = await clock.textContent();
    await expect.poll(() => clock.textContent(), { timeout: 3_000 }).not.toBe(before); // counting down
    // Reloading keeps the session's sign-in; the address never shows the token again.
    await page.reload();
    await expect.poll(() => row(page, id).isVisible(), { timeout: 10_000 }).toBe(true);
    await page.context().close();
  }, 60_000);

  it('charts the figures over time: 14 days by day, 24 hours by hour on the toggle, the same numbers in its table', async () => {
    const id = await ingest('web-charts-1', 'Queue depth above 5k on billing');
    const acked = await postJson(
      `${stack.url}/api/tasks/${id}/actions`,
      { action: 'acknowledge' },
      { authorization: `Bearer ${await jwt('developer', 'U01CHART')}` },
    );
    expect(acked.status).toBe(200);
    await stack.idle();
    const page = await open(stack.secrets.TMS_API_TOKEN);
    const asked: string[] = [];
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (url.pathname === '/api/metrics') asked.push(url.search);
    });
    const rows = page.locator('.charts table.sr-only tr');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBeGreaterThan(14);
    expect(await page.locator('.charts canvas').count()).toBe(2);
    // The table's last row is today (UTC), with what the API answers for it.
    const { body } = await getJson(`${stack.url}/api/metrics?window=14d&step=1d`, admin);
    const today = body.series.at(-1);
    const cells = async (at: number) =>
      (await rows.nth(at).locator('th, td').allTextContents()).map((t) => t.trim());
    const dayOf = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short' });
    expect(await rows.count()).toBe(body.series.length + 1); // and the header
    const [day, opened, mtta] = await cells(body.series.length);
    expect(day).toBe(dayOf.format(new Date(today.from)));
    expect(Number(opened)).toBe(today.opened);
    expect(today.opened).toBeGreaterThan(0);
    expect(mtta).toMatch(/^\d+(\.\d)? (s|min)$/); // acknowledged today: a figure, not a dash
    // The toggle: the last 24 hours, by hour.
    const hourly = page.getByRole('button', { name: '24 hours by hour' });
    await hourly.click();
    expect(await hourly.getAttribute('aria-pressed')).toBe('true');
    expect(await page.getByRole('button', { name: '14 days by day' }).getAttribute('aria-pressed')).toBe(
      'false',
    );
    await expect
      .poll(async () => page.locator('.charts table.sr-only caption').textContent(), { timeout: 5_000 })
      .toContain('24 hours by hour');
    const hours = (await getJson(`${stack.url}/api/metrics?window=1d&step=1h`, admin)).body.series;
    expect(await rows.count()).toBe(hours.length + 1);
    expect((await cells(hours.length))[0]).toBe(hours.at(-1).from.slice(11, 16));
    expect(asked.some((q) => q.includes('window=1d') && q.includes('step=1h'))).toBe(true);
    // The service picker asks for that service's series, over the span shown.
    const { service } = (await getJson(`${stack.url}/api/tasks/${id}`, admin)).body.task;
    await page.locator('#metrics-service').selectOption(service);
    await expect
      .poll(() => asked.some((q) => q.includes(`service=${service}`) && q.includes('step=1h')), {
        timeout: 5_000,
      })
      .toBe(true);
    await page.context().close();
  }, 60_000);

  it('reads the figures again after live changes, at most once a minute, and every 5 minutes besides', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    await page.clock.install(); // the page's timers, run forward by the test; the stack's time is real
    let reads = 0;
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/api/metrics') reads++;
    });
    await page.goto(`${stack.url}/?token=${encodeURIComponent(stack.secrets.TMS_API_TOKEN)}`);
    await expect.poll(() => page.locator('.live-state').textContent(), { timeout: 10_000 }).toBe('live');
    await expect.poll(() => reads).toBe(1);
    // Three changes pushed within the minute of that read: none read at once, one read when the minute is up.
    for (let n = 1; n <= 3; n++)
      await row(page, await ingest(`web-throttle-${n}`, `Cache hit rate below 40% on shard ${n}`)).waitFor();
    expect(reads).toBe(1);
    await page.clock.runFor(61_000);
    await expect.poll(() => reads).toBe(2);
    // Quiet: nothing more until the next change, or the 5 minutes since the first read.
    await page.clock.runFor(30_000);
    expect(reads).toBe(2);
    await page.clock.runFor(5 * 60_000 - 91_000 + 1_000);
    await expect.poll(() => reads).toBe(3);
    await context.close();
  }, 60_000);

  it('shows a new alert within 2 s of its ingest, without a reload (live over the WebSocket)', async () => {
    const page = await open(stack.secrets.TMS_API_TOKEN);
    await page.locator('section.p1').waitFor();
    await expect.poll(() => page.locator('.live-state').textContent(), { timeout: 10_000 }).toBe('live');
    const summary = 'Checkout latency p99 over 2 s';
    const sent = Date.now();
    await postJson(
      `${stack.url}/ingest/generic`,
      { ...PAGERDUTY, dedup_key: 'web-live-1', payload: { ...PAGERDUTY.payload, summary } },
      { authorization: `Bearer ${stack.secrets.INGEST_TOKEN}` },
    );
    await page.locator('li.task', { hasText: summary }).waitFor({ timeout: 2_000 });
    expect(Date.now() - sent).toBeLessThan(2_000);
    // Announced to screen readers, politely.
    expect(await page.locator('[aria-live="polite"]').textContent()).toContain(summary);
    await page.context().close();
  }, 60_000);

  it('acknowledges a task with a click, as the developer the JWT names', async () => {
    const id = await ingest('web-ack-1', 'Queue depth over 10k on orders');
    const page = await open(await jwt('developer', 'U01BBB'));
    const button = row(page, id).getByRole('button', { name: `Acknowledge ${id}` });
    await button.click({ timeout: 10_000 });
    await expect
      .poll(async () => (await getJson(`${stack.url}/api/tasks/${id}`, admin)).body.task, { timeout: 5_000 })
      .toMatchObject({ status: 'acknowledged', acknowledgedBy: 'U01BBB' });
    // The row follows: no Acknowledge any more, the resolve clock instead.
    await expect
      .poll(() => row(page, id).locator('.clock').textContent(), { timeout: 5_000 })
      .toMatch(/^resolve in/);
    expect(
      await row(page, id)
        .getByRole('button', { name: `Acknowledge ${id}` })
        .count(),
    ).toBe(0);
    await page.context().close();
  }, 60_000);

  it('resolves a task with a note typed into its dialog', async () => {
    const id = await ingest('web-resolve-1', 'Certificate expires in 3 days on api');
    const page = await open(await jwt('developer', 'U01BBB'));
    await row(page, id)
      .getByRole('button', { name: `Resolve… ${id}` })
      .click({ timeout: 10_000 });
    await page.getByLabel('What fixed it (the resolution note)').fill('Renewed the certificate');
    await page.getByRole('dialog').getByRole('button', { name: 'Resolve', exact: true }).click();
    await expect
      .poll(async () => (await getJson(`${stack.url}/api/tasks/${id}`, admin)).body.task, { timeout: 5_000 })
      .toMatchObject({ status: 'resolved', resolution: 'Renewed the certificate' });
    await expect.poll(() => row(page, id).count(), { timeout: 5_000 }).toBe(0);
    await page.context().close();
  }, 60_000);

  it('shows a viewer the tasks and no action buttons', async () => {
    const id = await ingest('web-viewer-1', 'Replica lag 40 s on db-read');
    const page = await open(await jwt('viewer', 'U09VIEW'));
    await expect.poll(() => row(page, id).isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await page.locator('button.act').count()).toBe(0);
    await row(page, id).locator('.task-open').click();
    await page.getByRole('dialog').getByRole('heading', { name: 'Timeline' }).waitFor();
    expect(await page.getByRole('dialog').locator('button.act').count()).toBe(0);
    await page.context().close();
  }, 60_000);

  it('is keyboard operable: Tab reaches the task list, Enter opens the timeline, Escape gives focus back', async () => {
    const id = await ingest('web-keys-1', 'Error rate 12% on search');
    const page = await open(await jwt('viewer', 'U09VIEW'));
    await expect.poll(() => row(page, id).isVisible(), { timeout: 10_000 }).toBe(true);
    let reached = false;
    for (let presses = 0; presses < 30 && !reached; presses++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate<boolean>(
        "document.activeElement?.classList.contains('task-open') ?? false",
      );
    }
    expect(reached).toBe(true);
    const focusedId = await focusedTask(page);
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Timeline' }).waitFor({ timeout: 5_000 });
    expect(await dialog.locator('.timeline li').first().textContent()).toContain('opened');
    await dialog.getByRole('heading', { name: /^Playbook of / }).waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.isVisible()).toBe(false);
    // The dialog's close event, which gives focus back, comes a moment after the dialog is hidden.
    await expect.poll(() => focusedTask(page), { timeout: 5_000 }).toBe(focusedId);
    await page.context().close();
  }, 60_000);

  it("shows the API's error: a refused action says the core's code and sentence", async () => {
    const id = await ingest('web-conflict-1', 'Disk 91% full on db-conflict');
    // The page hears nothing live (its socket answered by a silent stand-in): a push lost, as when it is
    // clicked in the instant before the change arrives.
    const page = await (await browser.newContext()).newPage();
    await page.routeWebSocket(/\/api\/live/, () => {});
    await page.goto(`${stack.url}/?token=${await jwt('developer', 'U01BBB')}`);
    const button = row(page, id).getByRole('button', { name: `Acknowledge ${id}` });
    await button.waitFor({ timeout: 10_000 });
    // Someone else acknowledges it first (in Slack, say).
    const first = await postJson(
      `${stack.url}/api/tasks/${id}/actions`,
      { action: 'acknowledge' },
      API(await jwt('developer', 'U01CCC')),
    );
    expect(first.status).toBe(200);
    await button.click();
    const errors = page.locator('.errors');
    await expect.poll(() => errors.textContent(), { timeout: 5_000 }).toContain('TASK_ALREADY_ACKNOWLEDGED');
    expect(await errors.getAttribute('role')).toBe('alert');
    // And the row shows the task as it now is.
    await expect
      .poll(() => row(page, id).locator('.state').textContent(), { timeout: 5_000 })
      .toBe('acknowledged');
    await page.context().close();
  }, 60_000);

  it('asks for what changed since the newest change it saw on every (re)connect, and applies what is pushed', async () => {
    // The client's side of the live protocol (the contract's messages), against a stand-in for the server.
    const id = await ingest('web-protocol-1', 'Pod crash-looping in payments');
    const page = await (await browser.newContext()).newPage();
    const asked: string[] = [];
    let server: WebSocketRoute | undefined;
    await page.routeWebSocket(/\/api\/live\?token=/, (socket) => {
      server = socket;
      socket.onMessage((text) => {
        const message = JSON.parse(String(text)) as { type: string; at?: string };
        if (message.type === 'since') asked.push(message.at ?? '');
      });
    });
    await page.goto(`${stack.url}/?token=${stack.secrets.TMS_API_TOKEN}`);
    await expect.poll(() => asked.length, { timeout: 10_000 }).toBe(1);
    const listed = (await getJson(`${stack.url}/api/tasks?status=unresolved&limit=100`, admin)).body
      .tasks as {
      updatedAt: string;
    }[];
    expect(asked[0]).toBe(
      listed
        .map((t) => t.updatedAt)
        .sort()
        .at(-1),
    );
    expect(await page.locator('.live-state').textContent()).toBe('live');

    // A change pushed is shown at once (no poll is due for 15 s).
    const created = await postJson(
      `${stack.url}/api/tasks`,
      { title: 'Pushed, not polled', priority: 'P2' },
      admin,
    );
    server?.send(JSON.stringify({ type: 'task.changed', task: created.body.task }));
    await page.locator('section.p2 li.task', { hasText: 'Pushed, not polled' }).waitFor({ timeout: 1_000 });
    expect(await page.locator('[aria-live="polite"]').textContent()).toBe(
      `New P2 task ${created.body.task.id}: Pushed, not polled`,
    );
    server?.send(JSON.stringify({ type: 'task.deleted', taskId: id, at: new Date().toISOString() }));
    await expect.poll(() => row(page, id).count(), { timeout: 1_000 }).toBe(0);

    // Dropped: it says so, comes back by itself, and asks from the newest change it has seen.
    await server?.close();
    await expect
      .poll(() => page.locator('.live-state').textContent(), { timeout: 2_000 })
      .toBe('reconnecting…');
    await expect.poll(() => asked.length, { timeout: 10_000 }).toBe(2);
    expect(asked[1]).toBe(created.body.task.updatedAt);
    // A catch-up cut short: the page reads the whole list again.
    const reloaded = page.waitForRequest((r) => r.url().includes('/api/tasks?status=unresolved'), {
      timeout: 2_000,
    });
    server?.send(JSON.stringify({ type: 'caught_up', at: new Date().toISOString(), complete: false }));
    await reloaded;
    await page.context().close();
  }, 60_000);

  it("signs in through Cognito's hosted UI with the authorization code and PKCE, and keeps the ID token", async () => {
    const idToken = await jwt('developer', 'U01BBB');
    const page = await (await browser.newContext()).newPage();
    const exchanges = await standInForCognito(page, { code: idToken });
    await page.goto(stack.url);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const read = page.waitForRequest(
      (r) => r.url().includes('/api/tasks?') && r.headers().authorization === `Bearer ${idToken}`,
      { timeout: 10_000 },
    );
    await page.goto(await exchanges.callback());
    await read; // the API is read with the ID token Cognito gave
    await page.locator('section.p1').waitFor();
    expect(exchanges.seen.map((form) => form.get('grant_type'))).toEqual(['authorization_code']);
    expect(exchanges.seen[0]?.get('redirect_uri')).toBe(`${stack.url}/`);
    expect(new URL(page.url()).search).toBe(''); // the code is not left in the address
    expect(await stored(page)).toBe(idToken);
    await page.context().close();
  }, 60_000);

  it("signs a person out of Cognito too: the refresh token revoked, the hosted UI's session ended", async () => {
    const idToken = await jwt('developer', 'U01BBB');
    const page = await (await browser.newContext()).newPage();
    const cognito = await standInForCognito(page, { code: idToken });
    await page.goto(stack.url);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.goto(await cognito.callback());
    await page.locator('section.p1').waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => cognito.loggedOut.length, { timeout: 10_000 }).toBe(1);
    expect(cognito.revoked.map((form) => [form.get('token'), form.get('client_id')])).toEqual([
      ['the-refresh-token', 'client-1'],
    ]);
    const logout = cognito.loggedOut[0] as URL;
    expect(logout.searchParams.get('client_id')).toBe('client-1');
    expect(logout.searchParams.get('logout_uri')).toBe(`${stack.url}/`);
    await page.context().close();
  }, 60_000);

  it("renews Cognito's ID token with the refresh token when the API says it expired, and goes on", async () => {
    // Issued an hour and a minute ago for an hour: past expiry and past the API's 30 s of clock skew.
    const expired = await signDevToken({
      role: 'developer',
      user: 'U01BBB',
      ttlMs: 3_600_000,
      secret: stack.secrets.TMS_JWT_SECRET,
      now: new Date(Date.now() - 3_660_000),
    });
    const fresh = await jwt('developer', 'U01BBB');
    const page = await (await browser.newContext()).newPage();
    const exchanges = await standInForCognito(page, { code: expired, refreshed: fresh });
    await page.goto(stack.url);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.goto(await exchanges.callback());
    await page.locator('section.p1').waitFor();
    await expect.poll(() => stored(page), { timeout: 10_000 }).toBe(fresh);
    // One renewal, however many calls failed together with the old token; and no sign-in screen.
    expect(exchanges.seen.map((form) => form.get('grant_type'))).toEqual([
      'authorization_code',
      'refresh_token',
    ]);
    expect(exchanges.seen[1]?.get('refresh_token')).toBe('the-refresh-token');
    expect(await page.getByRole('button', { name: 'Sign in' }).count()).toBe(0);
    await page.context().close();
  }, 60_000);

  it('signs out with the reason when the API refuses the token, and asks for one', async () => {
    const page = await open('not-a-token');
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.first().textContent(), { timeout: 10_000 }).toMatch(/^Signed out: /);
    expect(await page.getByLabel('API token or JWT').isVisible()).toBe(true);
    expect(await stored(page)).toBeNull();
    await page.context().close();
  }, 60_000);
});
