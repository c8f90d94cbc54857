import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SlackEmulator } from '../../src/local/slack-emulator.js';
import { JOURNAL_FILE, SlackJournal, SNAPSHOT_FILE } from '../../src/local/slack-journal.js';
import { config } from '../helpers/factories.js';

const NOW = Date.parse('2026-03-02T09:00:00.000Z');

/** The offline Slack alone, kept in `dir` as the local stack keeps it in TMS_DATA_DIR. */
function emulatorOn(dir: string, journal = new SlackJournal(dir)) {
  const emulator = new SlackEmulator({
    token: 'xoxb-t',
    sandbox: config.sandbox,
    baseUrl: () => 'http://127.0.0.1:1',
    now: () => NOW,
    journal,
  });
  const call = (method: string, params: Record<string, unknown>) =>
    emulator.call(method, params, 'Bearer xoxb-t').body as Record<string, unknown>;
  return { emulator, call };
}

describe('the offline Slack kept in TMS_DATA_DIR', () => {
  const dirs: string[] = [];
  const folder = () => {
    const dir = mkdtempSync(join(tmpdir(), 'tms-slack-journal-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('comes back after a kill that cut its last write short, and never hands out a ts again', () => {
    // Prepare: a card posted and edited, a thread reply, a home tab; then a write the kill cut in half.
    const dir = folder();
    const first = emulatorOn(dir);
    const card = first.call('chat.postMessage', { channel: 'C0CARDS', text: 'TMS-1 open' });
    first.call('chat.update', { channel: 'C0CARDS', ts: card.ts, text: 'TMS-1 acknowledged' });
    const reply = first.call('chat.postMessage', { channel: 'C0CARDS', thread_ts: card.ts, text: 'ack' });
    first.call('views.publish', { user_id: 'U01AAA', view: { type: 'home', blocks: [] } });
    appendFileSync(join(dir, JOURNAL_FILE), '{"message":{"channel":"C0CARDS","ts":"17');

    // Act: no close, no flush, as after a kill -9.
    const second = emulatorOn(dir);
    const next = second.call('chat.postMessage', { channel: 'C0CARDS', text: 'TMS-2 open' });

    // Assess
    expect(second.emulator.unreadableOnStart).toBe(1);
    expect(second.emulator.messages('C0CARDS').slice(0, 2)).toEqual([
      { channel: 'C0CARDS', ts: card.ts, thread_ts: null, text: 'TMS-1 acknowledged', blocks: [], edits: 1 },
      { channel: 'C0CARDS', ts: reply.ts, thread_ts: card.ts, text: 'ack', blocks: [], edits: 0 },
    ]);
    expect(second.emulator.has('C0CARDS', String(card.ts))).toBe(true);
    expect([card.ts, reply.ts]).not.toContain(next.ts);
    // The home tab is the same view, published again in place.
    const home = second.call('views.publish', { user_id: 'U01AAA', view: { type: 'home', blocks: [] } });
    expect(second.emulator.views()).toHaveLength(1);
    expect(home.view).toMatchObject({ id: second.emulator.views()[0]?.id });
  });

  it('stays bounded: a long journal is folded into a snapshot of the newest, ephemeral messages dropped first', () => {
    // Prepare: room for 3 messages, and a journal folded after a few hundred bytes.
    const dir = folder();
    const limits = { messages: 3, views: 2, journalBytes: 400 };
    const { call } = emulatorOn(dir, new SlackJournal(dir, limits));
    const ephemeral = call('chat.postEphemeral', { channel: 'C0CARDS', user: 'U01AAA', text: 'only you' });
    const posted = ['one', 'two', 'three', 'four'].map(
      (text) => call('chat.postMessage', { channel: 'C0CARDS', text }).ts,
    );

    // Act
    const kept = new SlackJournal(dir, limits).load().state;

    // Assess
    expect(statSync(join(dir, SNAPSHOT_FILE)).size).toBeGreaterThan(0);
    expect(readFileSync(join(dir, JOURNAL_FILE), 'utf8').length).toBeLessThan(400);
    expect(kept.messages.map((m) => m.ts)).not.toContain(ephemeral.message_ts);
    expect(kept.messages.map((m) => m.ts)).toEqual(posted.slice(1));
    expect(kept.messages.map((m) => m.text)).toEqual(['two', 'three', 'four']);
  });
});
