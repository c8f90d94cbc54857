/**
 * `npm run slack`: be the Slack client of a running `npm start`, from a terminal. It sends what Slack would
 * send (signed with the signing secret), so you can try TMS without a workspace. `npm run slack -- --help`
 * prints the forms (USAGE below).
 *
 * --url, else TMS_URL, else http://127.0.0.1:$PORT (PORT 3000) says where; SLACK_SIGNING_SECRET (default: the
 * development secret `npm start` prints) how to sign.
 */
import { parseArgs } from 'node:util';
import { ACTION_ID } from '../src/bot/ids.js';
import { reach, type SandboxCard, SandboxSlack, TmsUnreachable } from '../src/local/slack-client.js';
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

const USAGE = `Usage: npm run slack -- <what> [--user U…] [--channel C…] [--url http://127.0.0.1:<port>]

Be the Slack client of a running \`npm start\` (its offline Slack): each request is signed as Slack signs it.

  npm run slack -- "/tms new Disk full on db-1 p2"     a slash command, typed by --user in --channel
  npm run slack -- press TMS-1 ack --user U01BBB       press a card's button: ${Object.keys(BUTTONS).join(', ')}
  npm run slack -- card TMS-1                          the card as Slack shows it now

Options:
  --user U…       who types or presses (default U01AAA)
  --channel C…    where a command is typed (default C0GENERAL)
  --url URL       the TMS to talk to (default: TMS_URL, else http://127.0.0.1:$PORT, PORT 3000)
  -h, --help      this text

SLACK_SIGNING_SECRET signs the requests (default: the development secret npm start prints).`;

const parse = () =>
  parseArgs({
    allowPositionals: true,
    options: {
      user: { type: 'string', default: 'U01AAA' },
      channel: { type: 'string', default: 'C0GENERAL' },
      url: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
let parsed: ReturnType<typeof parse>;
try {
  parsed = parse();
} catch (error) {
  // An option this command does not have: said in one line, with the forms it does have.
  console.error(`${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
const { values, positionals } = parsed;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const base = (values.url ?? process.env.TMS_URL ?? `http://127.0.0.1:${process.env.PORT || 3000}`).replace(
  /\/+$/,
  '',
);
const slack = new SandboxSlack(base, process.env.SLACK_SIGNING_SECRET || DEV_SECRETS.SLACK_SIGNING_SECRET);
const user = values.user as string;

async function messages(): Promise<Entry[]> {
  const response = await reach(`${base}/_sandbox/slack/messages`);
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
    console.error(USAGE);
    process.exitCode = 2;
  }
} catch (error) {
  console.error(error instanceof TmsUnreachable ? unreachable(error) : (error as Error).message);
  process.exitCode = 1;
}

/** Where it looked, and how to point it at the TMS that runs elsewhere. */
function unreachable(error: TmsUnreachable): string {
  return [
    `${error.message}: is npm start running, and on which port? Its banner says "TMS is running at http://127.0.0.1:<port>".`,
    `Point npm run slack at it with --url http://127.0.0.1:<port>, or TMS_URL=http://127.0.0.1:<port> (or PORT=<port>) in the environment.`,
  ].join('\n');
}
