import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { BOT_LAMBDA_BUNDLING } from '../../src/bot/lambda-bundling.js';

/**
 * The bot Lambda's bundle as a cold start reads it: the Lambda entry aliased to the bot handler, ESM with
 * code splitting (what bench/slack.ts measures), so each dynamic `import()` is a chunk of its own. The eager
 * part is the entry chunk and every chunk it imports statically; the rest loads with the first request
 * that needs it.
 */
async function botBundle(outdir?: string): Promise<{ eager: Set<string>; lazy: Set<string> }> {
  const { metafile } = await build({
    entryPoints: { 'tms-bot': 'src/runtime/lambda-entry.ts' },
    alias: { 'tms-lambda-handler': './src/handlers/bot.ts', ...BOT_LAMBDA_BUNDLING.alias },
    outdir: outdir ?? 'bench/.cold-start-test',
    outExtension: { '.js': '.mjs' },
    write: outdir !== undefined,
    splitting: BOT_LAMBDA_BUNDLING.splitting,
    mainFields: [...BOT_LAMBDA_BUNDLING.mainFields],
    metafile: true,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
    logLevel: 'error',
  });
  const outputs: Metafile['outputs'] = metafile.outputs;
  const entry = Object.keys(outputs).find((file) => file.endsWith('/tms-bot.mjs')) as string;
  const eagerChunks = new Set<string>();
  const visit = (file: string) => {
    if (eagerChunks.has(file)) return;
    eagerChunks.add(file);
    for (const i of outputs[file]?.imports ?? [])
      if (i.kind === 'import-statement' && !i.external) visit(i.path);
  };
  visit(entry);
  const eager = new Set<string>();
  const lazy = new Set<string>();
  for (const [file, output] of Object.entries(outputs))
    for (const input of Object.keys(output.inputs)) (eagerChunks.has(file) ? eager : lazy).add(input);
  for (const input of eager) lazy.delete(input);
  return { eager, lazy };
}

/** What no first request needs, by the path of a module it brings (a package's files, or one of src). */
const LAZY = [
  'node_modules/@aws-sdk/client-lambda/', // the lazy-listener hand-off, on its first job
  'node_modules/@aws-sdk/client-sns/', // the notifier, on its first publish
  'node_modules/@aws-sdk/client-secrets-manager/', // read only where a function is given secret ARNs
  'node_modules/slack-block-builder/', // cards drawn in full, modals, App Home, reports
  'src/bot/card.ts',
  'src/bot/views.ts',
  'src/bot/home.ts',
  'src/bot/reports.ts',
  'src/bot/report-views.ts',
  'src/jobs/digests.ts',
  'src/bot/listeners/commands/reports.ts',
  'src/bot/listeners/commands/list.ts',
  'src/bot/listeners/commands/show.ts',
  'src/bot/listeners/commands/new.ts',
  'src/bot/listeners/commands/silences.ts',
  'src/bot/listeners/commands/schedules.ts',
  'src/bot/schedule-modal.ts',
];

/** Never in the bot's bundle at all: Bolt's index brings the receivers TMS does not use (Express's). */
const ABSENT = [
  'node_modules/@slack/bolt/dist/index.js',
  'node_modules/express/',
  'node_modules/mime-db/',
  // Bolt's App loads its Socket Mode and HTTP receivers; the Lambda makes neither (src/bot/lambda-stubs).
  'node_modules/@slack/socket-mode/',
  'node_modules/undici/',
  'node_modules/raw-body/',
  'node_modules/iconv-lite/',
  'node_modules/@slack/oauth/',
  'node_modules/jsonwebtoken/',
];

describe("the bot Lambda's cold start", () => {
  it('loads none of what only some requests use, which stays in the bundle for them', async () => {
    const { eager, lazy } = await botBundle();
    const within = (inputs: Set<string>, path: string) => [...inputs].some((input) => input.startsWith(path));
    expect(LAZY.filter((path) => within(eager, path))).toEqual([]);
    // Still bundled, behind a dynamic import: the requests that need them get them.
    expect(LAZY.filter((path) => !within(lazy, path))).toEqual([]);
    expect(ABSENT.filter((path) => within(eager, path) || within(lazy, path))).toEqual([]);
    // zod's messages in every language (a quarter of a megabyte) come with its `z` object imported by name;
    // `import * as z from 'zod'` leaves them to tree shaking, and English alone is used.
    const locales = [...eager, ...lazy].filter((input) => input.startsWith('node_modules/zod/v4/locales/'));
    expect(locales.filter((input) => !/\/(en|index)\.js$/.test(input))).toEqual([]);
    // What every request needs is eager: the handler, Bolt's App and its Lambda receiver, the table.
    for (const path of [
      'src/handlers/bot.ts',
      'node_modules/@slack/bolt/dist/App.js',
      'node_modules/@slack/bolt/dist/receivers/AwsLambdaReceiver.js',
      'node_modules/@aws-sdk/client-dynamodb/',
      'src/bot/listeners/actions/card-action.ts',
    ])
      expect(within(eager, path), path).toBe(true);
  });
});
