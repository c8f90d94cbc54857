import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleepAtLeast } from '../../src/core/use-cases/deps.js';
import { API, getJson, npmStart, postJson, type StartedProcess } from '../helpers/local-stack.js';

const exec = promisify(execFile);

const trigger = (dedupKey: string, extra: Record<string, unknown> = {}) => ({
  routing_key: 'local-ingest-token',
  event_action: 'trigger',
  dedup_key: dedupKey,
  payload: { summary: 'Disk 95% full on db1', source: 'db1', severity: 'critical', component: 'checkout' },
  ...extra,
});

describe('npm start, driven from outside as a user would', () => {
  let tms: StartedProcess;
  beforeAll(async () => {
    tms = await npmStart();
  });
  afterAll(async () => {
    await tms.stop();
  });

  it('says where it runs and which development secrets it uses', () => {
    expect(tms.output()).toContain(`${tms.url}/healthz`);
    expect(tms.output()).toMatch(/INGEST_TOKEN\s+local-ingest-token/);
    expect(tms.output()).toMatch(/TMS_API_TOKEN\s+local-api-token/);
  });

  it('points a newcomer to the offline Slack page first, which answers', async () => {
    const output = tms.output();
    const page = `${tms.url}/_sandbox/slack/`;
    expect(output.indexOf(page)).toBeGreaterThan(-1);
    expect(output.indexOf(page)).toBeLessThan(output.indexOf(`${tms.url}/healthz`));
    const answer = await fetch(page);
    expect(answer.status).toBe(200);
    expect(await answer.text()).toContain('/_sandbox/slack/app/slack.js');
  });

  it('prints the dashboard signed in with the development token, and serves it there', async () => {
    expect(tms.output()).toContain(`${tms.url}/?token=local-api-token`);
    const page = await fetch(`${tms.url}/?token=local-api-token`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<script type="module" src="\/app\/dashboard\.js\?v=/);
  });

  it('is healthy', async () => {
    expect(await getJson(`${tms.url}/healthz`)).toEqual({ status: 200, body: { ok: true } });
  });

  it('turns a generic trigger sent twice into one task with two occurrences, and a resolve resolves it', async () => {
    const first = await postJson(`${tms.url}/ingest/generic`, trigger('disk-full-db1'));
    expect(first).toMatchObject({
      status: 202,
      body: { status: 'success', message: 'Event processed', dedup_key: 'disk-full-db1' },
    });
    await postJson(`${tms.url}/ingest/generic`, trigger('disk-full-db1'));

    const { body } = await getJson(`${tms.url}/api/tasks`, API());
    const task = body.tasks.find((t: { fingerprint: string }) => t.fingerprint === 'generic:disk-full-db1');
    expect(task).toMatchObject({ status: 'open', occurrences: 2, priority: 'P1', service: 'checkout' });
    expect(
      body.tasks.filter((t: { fingerprint: string }) => t.fingerprint === 'generic:disk-full-db1'),
    ).toHaveLength(1);

    const resolved = await postJson(`${tms.url}/ingest/generic`, {
      routing_key: 'local-ingest-token',
      event_action: 'resolve',
      dedup_key: 'disk-full-db1',
    });
    expect(resolved.status).toBe(202);
    expect((await getJson(`${tms.url}/api/tasks/${task.id}`, API())).body.task.status).toBe('resolved');
  });

  it('counts an event sent again with its Idempotency-Key once, and identical events without one each', async () => {
    const event = trigger('retried-with-key', {
      payload: {
        summary: 'Queue depth 10k on q1',
        source: 'q1',
        severity: 'warning',
        component: 'checkout',
        timestamp: '2026-12-02T10:00:00.000Z',
      },
    });
    const retry = { 'idempotency-key': 'q1-depth-2026-12-02T10:00' };
    expect((await postJson(`${tms.url}/ingest/generic`, event, retry)).status).toBe(202);
    expect((await postJson(`${tms.url}/ingest/generic`, event, retry)).status).toBe(202);
    const again = { ...event, dedup_key: 'repeated-without-key' };
    expect((await postJson(`${tms.url}/ingest/generic`, again)).status).toBe(202);
    expect((await postJson(`${tms.url}/ingest/generic`, again)).status).toBe(202);
    const { body } = await getJson(`${tms.url}/api/tasks?limit=100`, API());
    const occurrences = (key: string) =>
      body.tasks.find((t: { fingerprint: string }) => t.fingerprint === `generic:${key}`).occurrences;
    expect(occurrences('retried-with-key')).toBe(1);
    expect(occurrences('repeated-without-key')).toBe(2);
  });

  it('creates nothing for an acknowledge of an unknown key', async () => {
    const before = (await getJson(`${tms.url}/api/tasks?limit=100`, API())).body.tasks.length;
    const ack = await postJson(`${tms.url}/ingest/generic`, {
      routing_key: 'local-ingest-token',
      event_action: 'acknowledge',
      dedup_key: 'never-seen',
    });
    expect(ack.status).toBe(202);
    expect((await getJson(`${tms.url}/api/tasks?limit=100`, API())).body.tasks.length).toBe(before);
  });

  it('shows a message posted through chat.postMessage in the sandbox, and prints it', async () => {
    const posted = await postJson(
      `${tms.url}/slack/api/chat.postMessage`,
      { channel: 'C0OPS', text: 'Deploy of *checkout* finished' },
      { authorization: 'Bearer xoxb-tms-local-bot-token' },
    );
    expect(posted.body).toMatchObject({
      ok: true,
      channel: 'C0OPS',
      ts: expect.stringMatching(/^\d+\.\d{6}$/),
    });
    const { body } = await getJson(`${tms.url}/_sandbox/slack/messages?channel=C0OPS`);
    expect(body.messages).toEqual([
      {
        channel: 'C0OPS',
        ts: posted.body.ts,
        thread_ts: null,
        text: 'Deploy of *checkout* finished',
        blocks: [],
        edits: 0,
      },
    ]);
    await expect.poll(() => tms.output()).toContain('Deploy of *checkout* finished');
  });

  it('answers the next chat.update with 429 and Retry-After after a rate-limit fault is injected, and every one until it has passed', async () => {
    const fault = await postJson(`${tms.url}/_sandbox/slack/faults`, {
      method: 'chat.update',
      error: 'ratelimited',
      retryAfter: 1,
      count: 1,
    });
    expect(fault.status).toBe(200);
    const update = () =>
      postJson(
        `${tms.url}/slack/api/chat.update`,
        { channel: 'C0OPS', ts: '1.000001', text: 'x' },
        { authorization: 'Bearer xoxb-tms-local-bot-token' },
      );
    const first = await update();
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('1');
    expect(first.body).toEqual({ ok: false, error: 'ratelimited' });
    expect((await update()).status).toBe(429); // too early: Slack refuses it again
    await sleepAtLeast(1_000); // and the next test finds chat.update answered
    expect((await update()).body).toEqual({ ok: false, error: 'message_not_found' });
  });

  it("walks the README's first steps: /tms new as a signed request, the card, Acknowledge, the card changed in place", async () => {
    // As the README shows: `npm run slack` sends what Slack would send, signed with the development secret.
    const run = async (...args: string[]) =>
      (
        await exec('npm', ['run', 'slack', '--silent', '--', ...args], {
          env: { ...process.env, TMS_URL: tms.url },
        })
      ).stdout;
    const opened = await run('/tms new Disk full on db-1 p2');
    expect(opened).toContain('POST /slack/events → 200');
    const id = /\*(TMS-\d+)\*/.exec(opened)?.[1] as string;
    const card = async () =>
      (await getJson(`${tms.url}/_sandbox/slack/messages?channel=C0GENERAL`)).body.messages.find(
        (m: { text: string; thread_ts: string | null; ephemeral_user?: string }) =>
          m.text.includes(` ${id}: `) && !m.thread_ts && !m.ephemeral_user,
      );
    await expect
      .poll(card, { timeout: 2_000 })
      .toMatchObject({ text: `P2 ${id}: Disk full on db-1 (open)`, edits: 0 });
    const { ts } = await card();

    const pressed = await run('press', id, 'ack', '--user', 'U01BBB');

    expect(pressed).toContain('POST /slack/events → 200');
    expect(await card()).toMatchObject({ ts, text: `P2 ${id}: Disk full on db-1 (acknowledged)`, edits: 1 });
    expect(tms.output()).toContain('Status: Acknowledged by @U01BBB');
  });

  it('stops cleanly on Ctrl-C', async () => {
    // npm itself ends by the signal, as it does in a terminal; TMS under it shuts down in order first.
    const ended = await tms.stop('SIGINT');
    expect(ended.code === 0 || ended.signal === 'SIGINT').toBe(true);
    expect(tms.output()).toContain('SIGINT: stopping TMS');
    expect(tms.output()).toContain('stopped.');
    expect(tms.output()).not.toMatch(/Error|at .*\.ts:\d+/);
  });
});

describe('npm start with TMS_DATA_DIR', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tms-data-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Two `npm start`s one after the other (each compiles with tsx first): on a loaded machine more than 30 s.
  it('keeps tasks across a restart, and never prints a secret set in the environment', {
    timeout: 120_000,
  }, async () => {
    const first = await npmStart({ TMS_DATA_DIR: dir, TMS_API_TOKEN: 'a-real-api-token-0123' });
    try {
      expect(first.output()).toMatch(/TMS_API_TOKEN\s+\(set in the environment, 21 characters\)/);
      expect(first.output()).not.toContain('a-real-api-token-0123');
      await postJson(`${first.url}/ingest/generic`, trigger('kept-across-restarts'));
    } finally {
      await first.stop(); // never leave a server behind, even when an assertion failed
    }
    expect(first.output()).toContain('stopped.');

    const second = await npmStart({ TMS_DATA_DIR: dir });
    try {
      const { body } = await getJson(`${second.url}/api/tasks`, API());
      expect(body.tasks).toEqual([
        expect.objectContaining({ id: 'TMS-1', fingerprint: 'generic:kept-across-restarts' }),
      ]);
      // The id sequence carries on too.
      await postJson(`${second.url}/ingest/generic`, trigger('after-restart'));
      expect((await getJson(`${second.url}/api/tasks`, API())).body.tasks[0].id).toBe('TMS-2');
    } finally {
      await second.stop();
    }
  });
});
