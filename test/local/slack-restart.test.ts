import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ACTION_ID } from '../../src/bot/ids.js';
import { SandboxSlack } from '../../src/local/slack-client.js';
import { JOURNAL_FILE, SNAPSHOT_FILE } from '../../src/local/slack-journal.js';
import { API, getJson, inProcessStack, postJson, type TestStack } from '../helpers/local-stack.js';
import { captureLogs } from '../helpers/logs.js';

const exec = promisify(execFile);
const BEN = 'U01BBB';

// A PagerDuty Events v2 trigger (test/fixtures/generic/README.md), routed to the local stack.
const PAGERDUTY = JSON.parse(
  readFileSync(new URL('../fixtures/generic/pagerduty-trigger.json', import.meta.url), 'utf8'),
);
const trigger = (dedupKey: string) => ({
  ...PAGERDUTY,
  routing_key: 'local-ingest-token',
  dedup_key: dedupKey,
});

interface Entry {
  channel: string;
  ts: string;
  text: string;
  edits: number;
  thread_ts: string | null;
  ephemeral_user?: string;
  // biome-ignore lint/suspicious/noExplicitAny: the card's blocks are handed back to the Slack client as they are
  blocks: any[];
}

async function cardOf(stack: TestStack, id: string): Promise<Entry | undefined> {
  const { body } = await getJson(`${stack.url}/_sandbox/slack/messages`);
  return (body.messages as Entry[]).find(
    (m) => m.text.includes(` ${id}: `) && !m.thread_ts && !m.ephemeral_user,
  );
}

const cardState = async (stack: TestStack, id: string) =>
  (await getJson(`${stack.url}/api/tasks/${id}`, API())).body.card;

/** A task with a card that was edited once (acknowledged), in a stack on `dir`, which is then stopped. */
async function firstRun(dir: string): Promise<Entry> {
  const stack = await inProcessStack({ TMS_DATA_DIR: dir });
  try {
    expect((await postJson(`${stack.url}/ingest/generic`, trigger('kept-card'))).status).toBe(202);
    await stack.idle();
    const posted = (await cardOf(stack, 'TMS-1')) as Entry;
    const slack = new SandboxSlack(stack.url, stack.secrets.SLACK_SIGNING_SECRET);
    expect((await slack.click(posted, ACTION_ID.acknowledge, BEN)).status).toBe(200);
    await stack.idle();
    const card = (await cardOf(stack, 'TMS-1')) as Entry;
    expect(card).toMatchObject({ ts: posted.ts, edits: 1, text: expect.stringContaining('(acknowledged)') });
    expect(await cardState(stack, 'TMS-1')).toMatchObject({ ts: card.ts, upToDate: true });
    return card;
  } finally {
    await stack.close();
  }
}

describe('the offline Slack across a restart on TMS_DATA_DIR', () => {
  const dirs: string[] = [];
  const folder = () => {
    const dir = mkdtempSync(join(tmpdir(), 'tms-slack-restart-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the cards with their ts and edits, the API says so truthfully, and nothing is posted again', {
    timeout: 120_000,
  }, async () => {
    // Prepare
    const dir = folder();
    const before = await firstRun(dir);
    const logs = captureLogs();
    const stack = await inProcessStack({ TMS_DATA_DIR: dir });
    try {
      // Act
      const after = await cardOf(stack, 'TMS-1');
      const state = await cardState(stack, 'TMS-1');
      const shown = await exec('npx', ['tsx', 'scripts/slack.ts', 'card', '1'], {
        env: { ...process.env, TMS_URL: stack.url },
        timeout: 60_000,
      });
      await stack.tick();
      const slack = new SandboxSlack(stack.url, stack.secrets.SLACK_SIGNING_SECRET);
      expect((await slack.click(after as Entry, ACTION_ID.claim, BEN)).status).toBe(200);
      await stack.idle();
      await stack.tick();

      // Assess
      expect(after).toEqual(before);
      expect(state).toMatchObject({ channel: before.channel, ts: before.ts, upToDate: true });
      expect(shown.stdout).toContain(`${before.channel} ${before.ts} (edited 1×)`);
      // Claiming it after the restart edits the same message in place.
      expect(await cardOf(stack, 'TMS-1')).toMatchObject({ ts: before.ts, edits: 2 });
      expect(logs.lines.filter((l) => l.message.includes('posting it again'))).toEqual([]);
      expect(stack.lines.join('\n')).not.toContain('missing from the offline Slack');
    } finally {
      logs.restore();
      await stack.close();
    }
  });

  it('never says a card is up to date when the offline Slack lost it, and posts it again', {
    timeout: 60_000,
  }, async () => {
    // Prepare: the offline Slack's record deleted between two runs (bounded away, or removed by hand).
    const dir = folder();
    const before = await firstRun(dir);
    rmSync(join(dir, SNAPSHOT_FILE), { force: true });
    rmSync(join(dir, JOURNAL_FILE), { force: true });

    // Act
    const stack = await inProcessStack({ TMS_DATA_DIR: dir });
    try {
      const state = await cardState(stack, 'TMS-1');
      await stack.tick();

      // Assess
      expect(state).toMatchObject({ ts: null, upToDate: false });
      expect(stack.lines).toContain(
        'restart: 1 card(s) missing from the offline Slack are posted again at the next tick',
      );
      const posted = await cardOf(stack, 'TMS-1');
      expect(posted).toMatchObject({ edits: 0, text: expect.stringContaining('(acknowledged)') });
      expect(posted?.ts).not.toBe(before.ts);
      expect(await cardState(stack, 'TMS-1')).toMatchObject({ ts: posted?.ts, upToDate: true });
    } finally {
      await stack.close();
    }
  });
});
