/**
 * `npm run slack`: be the Slack client of a running `npm start`, from a terminal. It sends what Slack would
 * send (signed with the signing secret), so you can try TMS without a workspace:
 *
 *   npm run slack -- "/tms new Disk full on db-1 p2"          # typed by ana (U01AAA) in C0GENERAL
 *   npm run slack -- --user U01BBB "/tms claim 1"              # typed by ben
 *   npm run slack -- press TMS-1 ack --user U01BBB             # press a card's button: ack claim start resolve reopen
 *   npm run slack -- card TMS-1                                 # the card as Slack shows it now
 *
 * TMS_URL (default http://127.0.0.1:$PORT, PORT 3000) and SLACK_SIGNING_SECRET (default: the development
 * secret `npm start` prints) say where and how.
 */
import { parseArgs } from 'node:util';
import { ACTION_ID } from '../src/bot/ids.js';
import { type SandboxCard, SandboxSlack } from '../src/local/slack-client.js';
import { DEV_SECRETS } from '../src/local/stack.js';

const BUTTONS: Record<string, string> = {
  ack: ACTION_ID.acknowledge,
  acknowledge: ACTION_ID.acknowledge,
  claim: ACTION_ID.claim,
  start: ACTION_ID.start,
  resolve: ACTION_ID.resolve,
  reopen: ACTION_ID.reopen,
};

interface Entry extends SandboxCard {
  text: string;
  edits: number;
  thread_ts: string | null;
  ephemeral_user?: string;
  response_url?: string;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { user: { type: 'string', default: 'U01AAA' }, channel: { type: 'string', default: 'C0GENERAL' } },
});
const base = process.env.TMS_URL ?? `http://127.0.0.1:${process.env.PORT || 3000}`;
const slack = new SandboxSlack(base, process.env.SLACK_SIGNING_SECRET || DEV_SECRETS.SLACK_SIGNING_SECRET);
const user = values.user as string;

async function messages(): Promise<Entry[]> {
  const response = await fetch(`${base}/_sandbox/slack/messages`);
  return ((await response.json()) as { messages: Entry[] }).messages;
}

async function cardOf(id: string): Promise<Entry> {
  const taskId = /^\d+$/.test(id) ? `TMS-${id}` : id.toUpperCase();
  const card = (await messages()).find(
    (m) => !m.ephemeral_user && !m.response_url && m.thread_ts === null && m.text.includes(` ${taskId}: `),
  );
  if (!card)
    throw new Error(`No card for ${taskId} in ${base}/_sandbox/slack/messages (is npm start running?)`);
  return card;
}

function show(card: Entry): void {
  console.log(`${card.channel} ${card.ts} (edited ${card.edits}×): ${card.text}`);
  const buttons = card.blocks
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements ?? [])
    .filter((e) => e.type === 'button')
    .map((e) => Object.entries(BUTTONS).find(([, id]) => id === e.action_id)?.[0] ?? e.action_id);
  console.log(`buttons: ${[...new Set(buttons)].join(', ') || 'none'}`);
}

const [first, ...rest] = positionals;
try {
  if (first === 'press') {
    const [id, button] = rest;
    const actionId = BUTTONS[button ?? ''];
    if (!id || !actionId)
      throw new Error(`Usage: npm run slack -- press <task id> <${Object.keys(BUTTONS).join('|')}>`);
    const before = await cardOf(id);
    const answer = await slack.click(before, actionId, user);
    console.log(`POST /slack/events → ${answer.status}${answer.text ? ` ${answer.text}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    show(await cardOf(id));
  } else if (first === 'card') {
    show(await cardOf(rest[0] ?? ''));
  } else if (first?.startsWith('/tms')) {
    const text = [first.slice('/tms'.length), ...rest].join(' ').trim();
    const answer = await slack.command(text, { user, channel: values.channel as string });
    console.log(`POST /slack/events → ${answer.status}`);
    console.log(
      typeof answer.body === 'object' ? (answer.body.text ?? JSON.stringify(answer.body)) : answer.text,
    );
  } else {
    throw new Error(
      'Usage: npm run slack -- "/tms <command>" [--user U…] [--channel C…] | press <id> <button> | card <id>',
    );
  }
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
}
