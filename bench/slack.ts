/**
 * The Slack bot's figures for `npm run bench`: how long Slack waits for an answer to a command, a click
 * and an event on the local stack, how long until the card shows a click, and what the bot Lambda costs
 * to load beside a bare Bolt app bundled the same way.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { BOT_LAMBDA_BUNDLING } from '../src/bot/lambda-bundling.js';
import { type SandboxCard, SandboxSlack } from '../src/local/slack-client.js';
import type { LocalStack } from '../src/local/stack.js';

export interface Timing {
  name: string;
  count: number;
  perSecond: number;
  p50ms: number;
  p95ms: number;
  p99ms: number;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

export function timing(name: string, latencies: number[], seconds: number): Timing {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    name,
    count: sorted.length,
    perSecond: sorted.length / seconds,
    p50ms: percentile(sorted, 50),
    p95ms: percentile(sorted, 95),
    p99ms: percentile(sorted, 99),
  };
}

/** One request after another, as one person types: the latency Slack sees, not a throughput figure. */
async function sequential(name: string, count: number, work: (i: number) => Promise<number | undefined>) {
  const latencies: number[] = [];
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    const measured = await work(i);
    latencies.push(typeof measured === 'number' ? measured : performance.now() - t);
  }
  return timing(name, latencies, (performance.now() - started) / 1000);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function slackTimings(stack: LocalStack, commands: number, clicks: number): Promise<Timing[]> {
  const slack = new SandboxSlack(stack.url, stack.secrets.SLACK_SIGNING_SECRET);
  const ok = (answer: { status: number; text: string }) => {
    if (answer.status !== 200) throw new Error(`/slack/events answered ${answer.status}: ${answer.text}`);
  };
  const who = { user: 'U01AAA', channel: 'C0GENERAL' };
  ok(await slack.command('help', who)); // loads the bot, as a cold start would

  const opened = await sequential('slack: /tms new (answer)', commands, async (i) => {
    ok(await slack.command(`new Bench task ${i} p3`, who));
  });
  const listed = await sequential('slack: /tms list (answer)', commands, async () => {
    ok(await slack.command('list', who));
  });
  await stack.dispatcher.idle();
  await sleep(1_100); // past the cards' one-edit-per-second pacing, so a click is not held for it

  const cards = benchCards(stack, 'Bench task', clicks);
  const edited: number[] = [];
  const clicked = await sequential('slack: Acknowledge click (answer)', cards.length, async (i) => {
    const { answered, shown } = await clickAndWait(stack, slack, cards[i] as ClickedCard);
    edited.push(shown);
    return answered;
  });
  const shown = timing('slack: Acknowledge click → card edited', edited, 1);

  // App Home: answered at once, published after the answer (the lazy-listener hand-off).
  const published: number[] = [];
  const home = await sequential('slack: app_home_opened (answer)', Math.min(commands, 50), async (i) => {
    const user = `U0BENCH${String(i).padStart(3, '0')}`;
    const t = performance.now();
    ok(await slack.event({ type: 'app_home_opened', user, channel: `D0BENCH${i}`, tab: 'home' }));
    const answered = performance.now() - t;
    while (!stack.slack.views().some((v) => v.type === 'home' && v.user === user)) await sleep(2);
    published.push(performance.now() - t);
    return answered;
  });
  const homeShown = timing('slack: app_home_opened → home published', published, 1);
  return [opened, listed, clicked, shown, home, homeShown].map((t) =>
    t.name.includes('→') ? { ...t, perSecond: Number.NaN } : t,
  );
}

type ClickedCard = SandboxCard & { edits: number };

/** The first `count` cards TMS posted in the general channel whose text has `marker`. */
function benchCards(stack: LocalStack, marker: string, count: number): ClickedCard[] {
  return stack.slack
    .messages('C0GENERAL')
    .filter((m) => m.thread_ts === null && !m.ephemeral_user && !m.response_url && m.text.includes(marker))
    .slice(0, count) as unknown as ClickedCard[];
}

/** Acknowledge on a card: when Slack had its answer, and when the card showed the click (edited in place). */
async function clickAndWait(stack: LocalStack, slack: SandboxSlack, card: ClickedCard) {
  const t = performance.now();
  const answer = await slack.click(card, 'tms_ack', 'U01BBB');
  if (answer.status !== 200) throw new Error(`/slack/events answered ${answer.status}: ${answer.text}`);
  const answered = performance.now() - t;
  for (;;) {
    const now = stack.slack.messages('C0GENERAL').find((m) => m.ts === card.ts) as ClickedCard | undefined;
    if ((now?.edits ?? 0) > card.edits) break;
    await sleep(2);
  }
  return { answered, shown: performance.now() - t };
}

/**
 * Click → card edited while an ingest storm runs: `clicks` cards opened with `/tms new`, then clicked one
 * after another while generic alerts with new dedup keys (each a new task, its card and its counting) are
 * sent in the background, a few in flight at a time, until `stormAlerts` are sent or the clicks are done.
 * The timing is of the clicks until the card showed them (`answer`: until Slack had the bot's answer);
 * `stormAlerts` and `stormPerSecond` say how much ingest ran beside them.
 */
export async function clickLatencyUnderStorm(
  stack: LocalStack,
  clicks: number,
  stormAlerts: number,
): Promise<Timing & { stormAlerts: number; stormPerSecond: number; answer: Timing }> {
  const slack = new SandboxSlack(stack.url, stack.secrets.SLACK_SIGNING_SECRET);
  const who = { user: 'U01AAA', channel: 'C0GENERAL' };
  const marker = `Storm click ${Date.now().toString(36)}`;
  for (let i = 0; i < clicks; i++) {
    const answer = await slack.command(`new ${marker} ${i} p3`, who);
    if (answer.status !== 200) throw new Error(`/tms new answered ${answer.status}: ${answer.text}`);
  }
  await stack.dispatcher.idle();
  await sleep(1_100); // past the cards' one-edit-per-second pacing, so a click is not held for it
  const cards = benchCards(stack, marker, clicks);
  if (cards.length < clicks) throw new Error(`${clicks} tasks were opened but ${cards.length} cards posted`);

  const prefix = `storm-${Date.now().toString(36)}`;
  let sent = 0;
  let clicking = true;
  const send = async (dedupKey: string) => {
    const response = await fetch(`${stack.url}/ingest/generic`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        routing_key: stack.secrets.INGEST_TOKEN,
        event_action: 'trigger',
        dedup_key: dedupKey,
        payload: {
          summary: `Storm alert ${dedupKey}`,
          source: 'bench',
          severity: 'error',
          component: 'checkout',
        },
      }),
    });
    if (response.status >= 300)
      throw new Error(`ingest answered ${response.status}: ${await response.text()}`);
  };
  const stormStarted = performance.now();
  const senders = Array.from({ length: STORM_IN_FLIGHT }, async () => {
    while (clicking && sent < stormAlerts) await send(`${prefix}-${sent++}`);
  });
  await sleep(200); // the storm under way before the first click
  const edited: number[] = [];
  const answered: number[] = [];
  const started = performance.now();
  try {
    for (const card of cards) {
      const click = await clickAndWait(stack, slack, card);
      answered.push(click.answered);
      edited.push(click.shown);
    }
  } finally {
    clicking = false;
    await Promise.all(senders);
  }
  const stormSeconds = (performance.now() - stormStarted) / 1000;
  await stack.dispatcher.idle();
  return {
    ...timing(
      'slack: Acknowledge click → card edited, ingest storm running',
      edited,
      (performance.now() - started) / 1000,
    ),
    perSecond: Number.NaN,
    stormAlerts: sent,
    stormPerSecond: sent / stormSeconds,
    /** When Slack had the bot's answer: the rest of the wait is the stream and the card's edit. */
    answer: {
      ...timing('slack: Acknowledge click (answer), ingest storm running', answered, 1),
      perSecond: Number.NaN,
    },
  };
}

/** Fresh Nodes per bundle; the median is the figure. */
const IMPORT_ROUNDS = 7;

/** How many storm alerts are in flight at once: a steady stream, not a burst that starves everything. */
const STORM_IN_FLIGHT = 4;

export interface BundleFigure {
  /** What a cold start loads: the entry chunk and the chunks it imports statically. */
  bytes: number;
  /** Everything bundled, with the chunks only a dynamic `import()` loads (a later request's). */
  totalBytes: number;
  importMs: number;
}

/**
 * The bot Lambda bundled as infra should bundle it (the house options and BOT_LAMBDA_BUNDLING), beside a
 * bare Bolt app with the same receiver bundled with the same options but without TMS's stubs (`bareBolt`,
 * the yardstick: what a Bolt app costs as Bolt ships it) and with them (`bareBoltWithStubs`); each imported
 * by a fresh Node seven times, the bundles taking turns. With splitting, what a dynamic `import()` names is
 * a chunk a cold start does not read; without it (one file, as infra bundled up to issue 16: `{ splitting:
 * false, mainFields: ['main', 'module'], stubs: false }`) a lazy module is still read and parsed at the cold
 * start, though never run.
 */
export async function bundleFigures(
  options: { splitting?: boolean; mainFields?: readonly string[]; stubs?: boolean } = {},
): Promise<{ tmsBot: BundleFigure; bareBolt: BundleFigure; bareBoltWithStubs?: BundleFigure }> {
  const splitting = options.splitting ?? BOT_LAMBDA_BUNDLING.splitting;
  const mainFields = options.mainFields ?? BOT_LAMBDA_BUNDLING.mainFields;
  const stubs = options.stubs ?? true;
  const dir = mkdtempSync(join(process.cwd(), 'bench/.bundle-'));
  try {
    const bareEntry = join(dir, 'bare-bolt.ts');
    writeFileSync(
      bareEntry,
      [
        "import { App, AwsLambdaReceiver } from '@slack/bolt';",
        "const receiver = new AwsLambdaReceiver({ signingSecret: 'x' });",
        "new App({ token: 'xoxb-x', receiver, botId: 'B1', botUserId: 'U1', tokenVerificationEnabled: false });",
        'export const handler = receiver.toHandler();',
      ].join('\n'),
    );
    const bundle = async (entry: string, name: string, alias: Record<string, string> = {}) => {
      const outdir = join(dir, name);
      const { metafile } = await build({
        entryPoints: { [name]: entry },
        alias,
        outdir,
        outExtension: { '.js': '.mjs' },
        splitting,
        mainFields: [...mainFields],
        metafile: true,
        bundle: true,
        minify: true,
        platform: 'node',
        target: 'node22',
        format: 'esm',
        banner: {
          js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
        },
        logLevel: 'error',
      });
      const outputs = metafile.outputs;
      // A dynamic import's chunk is an entry point too: the entry is the one named after this bundle.
      const entryFile = Object.keys(outputs).find((file) => file.endsWith(`/${name}.mjs`)) as string;
      const eager = new Set<string>();
      const visit = (file: string) => {
        if (eager.has(file)) return;
        eager.add(file);
        for (const i of outputs[file]?.imports ?? [])
          if (i.kind === 'import-statement' && !i.external) visit(i.path);
      };
      visit(entryFile);
      const size = (files: Iterable<string>) =>
        [...files].reduce((sum, file) => sum + statSync(file).size, 0);
      return {
        file: join(process.cwd(), entryFile),
        bytes: size(eager),
        totalBytes: size(Object.keys(outputs)),
      };
    };
    // As infra bundles it: the one Lambda entry (secrets, then the deps and handler built once), aliased to the bot.
    const tms = await bundle('src/runtime/lambda-entry.ts', 'tms-bot', {
      'tms-lambda-handler': './src/handlers/bot.ts',
      ...(stubs ? BOT_LAMBDA_BUNDLING.alias : {}),
    });
    const bare = await bundle(bareEntry, 'bare-bolt');
    const bareStubbed = stubs
      ? await bundle(bareEntry, 'bare-bolt-stubbed', BOT_LAMBDA_BUNDLING.alias)
      : undefined;
    const driver = join(dir, 'import.mjs');
    writeFileSync(
      driver,
      'const t = performance.now(); await import(process.argv[2]); console.log(performance.now() - t);\n',
    );
    const importOnce = (file: string) =>
      Number(
        execFileSync(process.execPath, [driver, pathToFileURL(file).href], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        }).trim(),
      );
    // Round by round, each bundle once a round: on a shared machine a burst of load then falls on all of
    // them alike, and their ratio holds where each one's median alone would not.
    const bundles = [tms, bare, ...(bareStubbed ? [bareStubbed] : [])];
    const runs = bundles.map((): number[] => []);
    for (let round = 0; round < IMPORT_ROUNDS; round++)
      for (const [i, b] of bundles.entries()) runs[i]?.push(importOnce(b.file));
    const figure = (i: number): BundleFigure => {
      const sorted = [...(runs[i] ?? [])].sort((a, b) => a - b);
      const { bytes, totalBytes } = bundles[i] as (typeof bundles)[number];
      return { bytes, totalBytes, importMs: Number((sorted[Math.floor(sorted.length / 2)] ?? 0).toFixed(1)) };
    };
    return {
      tmsBot: figure(0),
      bareBolt: figure(1),
      ...(bareStubbed ? { bareBoltWithStubs: figure(2) } : {}),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
