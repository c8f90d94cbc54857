import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { BOT_LAMBDA_BUNDLING } from '../../src/bot/lambda-bundling.js';
import { LOCAL_AWS, startEmbeddedDynamo } from '../../src/local/embedded-dynamo.js';
import { SandboxSlack, slackSignature } from '../../src/local/slack-client.js';

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

  it('answers Slack from the bundle itself: the stubs stand only for what the Lambda never runs', async () => {
    // Prepare: the bundle as infra should build it, a table, and the environment a deployed bot has.
    const dir = mkdtempSync(join(tmpdir(), 'tms-bot-bundle-'));
    const dynamo = await startEmbeddedDynamo();
    try {
      await botBundle(dir);
      const config = join(dir, 'tms.config.yaml');
      // No user groups in the roles: nothing here asks Slack who is in one.
      writeFileSync(config, 'rbac: { admins: [U01AAA], default: developer }\n');
      const secret = 'cold-start-signing-secret';
      const slack = new SandboxSlack('http://127.0.0.1:9', secret);
      const who = { user: 'U01AAA', channel: 'C0GENERAL' };
      const event = (body: string, contentType: string) => {
        const ts = Math.floor(Date.now() / 1000);
        return {
          version: '2.0',
          routeKey: 'POST /slack/events',
          rawPath: '/slack/events',
          headers: {
            'content-type': contentType,
            'x-slack-request-timestamp': String(ts),
            'x-slack-signature': slackSignature(secret, ts, body),
          },
          body,
          isBase64Encoded: false,
          requestContext: {},
        };
      };
      const events = [
        event(JSON.stringify({ type: 'url_verification', challenge: 'c-1', token: 't' }), 'application/json'),
        event(slack.commandBody('help', who), 'application/x-www-form-urlencoded'),
        event(slack.commandBody('list', who), 'application/x-www-form-urlencoded'), // a lazy chunk
      ];
      const driver = join(dir, 'invoke.mjs');
      writeFileSync(
        driver,
        [
          'const { handler } = await import(process.argv[2]);',
          'const answers = [];',
          "for (const e of JSON.parse(process.argv[3])) answers.push(await handler(e, { awsRequestId: 'cold-start' }));",
          'console.log(JSON.stringify(answers));',
        ].join('\n'),
      );
      // Act: a fresh Node, as a cold start.
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [driver, pathToFileURL(join(dir, 'tms-bot.mjs')).href, JSON.stringify(events)],
        {
          env: {
            PATH: process.env.PATH,
            TMS_CONFIG: resolve(config),
            TMS_TABLE: 'tms',
            AWS_REGION: LOCAL_AWS.region,
            AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
            AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
            AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
            POWERTOOLS_LOG_LEVEL: 'SILENT',
            POWERTOOLS_METRICS_DISABLED: 'true',
            SLACK_SIGNING_SECRET: secret,
            SLACK_BOT_TOKEN: 'xoxb-cold-start',
            SLACK_BOT_ID: 'B0TMS',
            SLACK_BOT_USER_ID: 'U0TMS',
          },
        },
      );
      // Assess
      const [verified, help, list] = JSON.parse(stdout) as { statusCode: number; body: string }[];
      expect(verified).toMatchObject({ statusCode: 200 });
      expect(JSON.parse(String(verified?.body))).toEqual({ challenge: 'c-1' });
      expect(help?.statusCode).toBe(200);
      expect(JSON.parse(String(help?.body)).text).toContain('/tms new');
      expect(list?.statusCode).toBe(200);
      expect(JSON.parse(String(list?.body)).text).toMatch(/^Open tasks/);
    } finally {
      await dynamo.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
