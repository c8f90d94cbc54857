import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ESM_REQUIRE_BANNER, REPO_ROOT } from '../../infra/constructs/function.js';
import { LOCAL_AWS, startEmbeddedDynamo } from '../../src/local/embedded-dynamo.js';
import { toApiGatewayEvent } from '../../src/local/gateway.js';
import { SandboxSlack, slackSignature } from '../../src/local/slack-client.js';
import { ROUTES } from '../../src/routes.js';

/**
 * `npx cdk synth` as a team runs it, with no AWS credentials and no network: the one place in `npm test`
 * where the Lambda bundles are built (every other infra test synthesizes without bundling). Where this
 * machine allows it, the CLI runs in a network namespace of its own (`unshare -n`): no interface at all.
 */
const run = promisify(execFile);
const OUT = mkdtempSync(join(tmpdir(), 'tms-cdk-out-'));
const isolated = (() => {
  try {
    execFileSync('unshare', ['-n', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const offlineEnv = {
  PATH: process.env.PATH ?? '',
  HOME: mkdtempSync(join(tmpdir(), 'tms-cdk-home-')),
  CDK_DISABLE_CLI_TELEMETRY: 'true',
  CDK_DISABLE_VERSION_CHECK: 'true',
  AWS_EC2_METADATA_DISABLED: 'true',
  npm_config_offline: 'true',
};

let synth: { stdout: string; stderr: string };
let template: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
beforeAll(async () => {
  const cdk = ['npx', 'cdk', 'synth', '--no-notices', '--output', OUT, '--quiet'];
  const [command, ...args] = isolated ? ['unshare', '-n', ...cdk] : cdk;
  synth = await run(command as string, args, { cwd: REPO_ROOT, env: offlineEnv, timeout: 120_000 });
  template = JSON.parse(readFileSync(join(OUT, 'Tms.template.json'), 'utf8'));
}, 150_000);

/** Each function's bundle folder in the cloud assembly, by the handler it runs. */
function bundles(): Record<string, string> {
  return Object.fromEntries(
    Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => {
        const handler = (r.Properties.Tags as { Key: string; Value: string }[]).find(
          (t) => t.Key === 'tms:handler',
        );
        const key = (r.Properties.Code as { S3Key: string }).S3Key.replace(/\.zip$/, '');
        return [handler?.Value ?? '', join(OUT, `asset.${key}`)];
      }),
  );
}

describe('npx cdk synth, offline and without credentials', () => {
  it(`exits 0 and writes the stack${isolated ? ' (in a network namespace with no interface)' : ''}`, () => {
    expect(synth.stderr).not.toMatch(/Error|credentials/i);
    // CDK's own CloudFormation validation ran on the template (the assertion tests skip it for speed).
    expect(`${synth.stdout}${synth.stderr}`).not.toMatch(/CloudFormation Validate|WARNING/);
    expect(Object.keys(template.Resources).length).toBeGreaterThan(50);
    expect(offlineEnv).not.toHaveProperty('AWS_ACCESS_KEY_ID');
  });
});

/** A bundle's code files: the entry, index.mjs, and the chunks code splitting made beside it. */
const chunksOf = (dir: string): string[] => readdirSync(dir).filter((file) => file.endsWith('.mjs'));

/**
 * What a cold start reads: index.mjs and every chunk it imports statically, which esbuild hoists to the top of
 * each chunk (after the banner); a chunk reached only by a dynamic `import()` loads with the first call needing it.
 */
function eagerChunksOf(dir: string): Set<string> {
  const eager = new Set<string>();
  const visit = (file: string) => {
    if (eager.has(file)) return;
    eager.add(file);
    const code = readFileSync(join(dir, file), 'utf8').slice(ESM_REQUIRE_BANNER.length);
    const hoisted = /\s*import\s*(?:(?:\{[^}]*\}|\*\s*as\s*[\w$]+|[\w$]+)\s*from\s*)?"\.\/([^"]+\.mjs)";?/y;
    for (let m = hoisted.exec(code); m; m = hoisted.exec(code)) visit(m[1] as string);
  };
  visit('index.mjs');
  return eager;
}

/**
 * The modules these chunks were built from, by their source maps (which follow a package's own maps to its
 * `src/`), from the repository root: `src/handlers/bot.ts`, `node_modules/@slack/bolt/src/App.ts`.
 */
const modulesOf = (dir: string, chunks: Iterable<string>): string[] => [
  ...new Set(
    [...chunks].flatMap((chunk) =>
      (JSON.parse(readFileSync(join(dir, `${chunk}.map`), 'utf8')) as { sources: string[] }).sources.map(
        (source) => relative(REPO_ROOT, resolve(dir, source)),
      ),
    ),
  ),
];
/** Which of these packages the modules come from (a nested copy too). */
const packagesIn = (modules: string[], packages: readonly string[]): string[] =>
  packages.filter((name) => modules.some((module) => module.includes(`node_modules/${name}/`)));

/** A line of each handler's own code, so each bundle is known to hold its handler. */
const OWN_LINE: Record<string, string> = {
  'src/handlers/api.ts': 'Send Authorization: Bearer <TMS_API_TOKEN>',
  'src/handlers/ingest.ts': 'No ingest source',
  'src/handlers/bot.ts': 'X-Slack-Signature and X-Slack-Request-Timestamp are required',
  'src/handlers/aws-ingest.ts': 'an invocation that is no alert source TMS knows',
  'src/handlers/cards-stream.ts': 'card sync failed; its records will be retried',
  'src/handlers/sweeper.ts': 'sweep job failed',
  'src/handlers/aggregator.ts': 'malformed stream record',
  'src/handlers/ingest-processor.ts': 'not an ingest message',
  'src/handlers/dead-letters.ts': 'a short lower-case name such as ingest or cards-stream',
};

describe('each bundle: esbuild here, ESM in chunks with the require banner, minified, source-mapped, with the config', () => {
  it('holds a bundle for every handler', () => {
    expect(Object.keys(bundles())).toEqual(expect.arrayContaining(Object.keys(OWN_LINE)));
  });

  it('builds every bundle the same way, each chunk with the banner and a source map of its own', () => {
    for (const [handler, dir] of Object.entries(bundles())) {
      // Split: the AWS SDK's lazily built parts (its credential providers at least) are chunks of their own.
      expect(chunksOf(dir).length, handler).toBeGreaterThan(1);
      for (const chunk of chunksOf(dir)) {
        const code = readFileSync(join(dir, chunk), 'utf8');
        expect(code.startsWith(ESM_REQUIRE_BANNER), `${handler} ${chunk}`).toBe(true);
        expect(code, `${handler} ${chunk}`).toMatch(new RegExp(`//# sourceMappingURL=${chunk}\\.map\\s*$`));
        const map = JSON.parse(readFileSync(join(dir, `${chunk}.map`), 'utf8')) as {
          sourcesContent?: unknown;
        };
        expect(map.sourcesContent, `${handler} ${chunk}`).toBeUndefined();
      }
      expect(existsSync(join(dir, 'tms.config.yaml')), handler).toBe(true);
    }
  });

  it.each(Object.keys(OWN_LINE))('%s', (handler) => {
    const dir = bundles()[handler] as string;
    const entry = readFileSync(join(dir, 'index.mjs'), 'utf8');
    expect(entry).toMatch(/export\s*\{[^}]*as handler/);
    // The handler's own line may sit in a chunk that index.mjs imports.
    const code = chunksOf(dir).map((chunk) => readFileSync(join(dir, chunk), 'utf8'));
    expect(code.some((chunk) => chunk.includes(OWN_LINE[handler] as string))).toBe(true);
    const characters = code.reduce((sum, chunk) => sum + chunk.length, 0);
    const lines = code.reduce((sum, chunk) => sum + chunk.split('\n').length, 0);
    expect(characters / lines).toBeGreaterThan(1_000); // minified: a few long lines
    expect(modulesOf(dir, eagerChunksOf(dir))).toContain(handler);
    expect(readFileSync(join(dir, 'tms.config.yaml'), 'utf8')).toBe(
      readFileSync(join(REPO_ROOT, 'tms.config.yaml'), 'utf8'),
    );
  });
});

/** The functions that never talk to Slack. */
const NOT_SLACK = [
  'src/handlers/api.ts',
  'src/handlers/ingest.ts',
  'src/handlers/ingest-processor.ts',
  'src/handlers/aws-ingest.ts',
  'src/handlers/dead-letters.ts',
];

describe('each bundle holds what its function uses, and its cold start reads what every call needs', () => {
  const modules = (handler: string) =>
    modulesOf(bundles()[handler] as string, chunksOf(bundles()[handler] as string));
  const eagerModules = (handler: string) => {
    const dir = bundles()[handler] as string;
    return modulesOf(dir, eagerChunksOf(dir));
  };

  it("the bot's: Bolt's App and its Lambda receiver read at once, none of the receivers' packages it never makes", () => {
    const eager = eagerModules('src/handlers/bot.ts');
    for (const module of ['App', 'receivers/AwsLambdaReceiver'])
      expect(
        eager.some((m) => new RegExp(`node_modules/@slack/bolt/(src|dist)/${module}\\.[jt]s$`).test(m)),
        module,
      ).toBe(true);
    expect(
      packagesIn(modules('src/handlers/bot.ts'), [
        '@slack/socket-mode',
        'undici',
        'iconv-lite',
        'raw-body',
        'express',
        '@slack/oauth',
      ]),
    ).toEqual([]);
    // Bundled, but behind a dynamic import: the cards drawn in full and the lazy listeners' hand-off.
    expect(
      packagesIn(modules('src/handlers/bot.ts'), ['slack-block-builder', '@aws-sdk/client-lambda']),
    ).toHaveLength(2);
    expect(
      packagesIn(eager, ['slack-block-builder', '@aws-sdk/client-lambda', '@aws-sdk/client-sns']),
    ).toEqual([]);
  });

  it("no other function's bundle holds Bolt", () => {
    const others = Object.keys(bundles()).filter((handler) => handler !== 'src/handlers/bot.ts');
    expect(others.length).toBeGreaterThan(5);
    expect(others.filter((handler) => packagesIn(modules(handler), ['@slack/bolt']).length > 0)).toEqual([]);
  });

  it.each(NOT_SLACK)('%s holds no Slack client', (handler) => {
    expect(packagesIn(modules(handler), ['@slack/web-api', '@slack/bolt', 'slack-block-builder'])).toEqual(
      [],
    );
  });

  it("the api's holds the web dashboard it serves, built (web/), and none holds esbuild or the dashboard's source", () => {
    const web = join(bundles()['src/handlers/api.ts'] as string, 'web');
    expect(readdirSync(web).sort()).toEqual(['dashboard.css', 'dashboard.js']);
    expect(readFileSync(join(web, 'dashboard.css'), 'utf8')).toContain('.uplot');
    for (const [handler, dir] of Object.entries(bundles())) {
      if (handler !== 'src/handlers/api.ts') expect(existsSync(join(dir, 'web')), handler).toBe(false);
      expect(packagesIn(modules(handler), ['esbuild', 'uplot']), handler).toEqual([]);
    }
  });

  it('none holds zod’s messages in other languages than English', () => {
    for (const handler of Object.keys(bundles()))
      expect(
        modules(handler).filter(
          (m) => m.includes('node_modules/zod/') && /\/locales\/(?!en\.|index\.)/.test(m),
        ),
        handler,
      ).toEqual([]);
  });
});

describe('a function’s cold start, run from its bundle against a stand-in for Secrets Manager', () => {
  const ARN = (name: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:Tms/${name}-AbCdEf`;
  const values = new Map<string, string>();
  const asked: string[] = [];
  let server: Server;
  let endpoint = '';

  beforeAll(async () => {
    // Secrets Manager speaks JSON 1.1: POST / with X-Amz-Target secretsmanager.GetSecretValue.
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        const { SecretId } = JSON.parse(body) as { SecretId: string };
        asked.push(`${request.headers['x-amz-target']} ${SecretId}`);
        const value = values.get(SecretId);
        response.writeHead(value ? 200 : 400, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(
          JSON.stringify(
            value
              ? { ARN: SecretId, Name: SecretId.split(':').at(-1), SecretString: value, VersionId: 'v1' }
              : {
                  __type: 'ResourceNotFoundException',
                  message: "Secrets Manager can't find the specified secret value",
                },
          ),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Imports the ingest bundle in a fresh Node as Lambda would, then hands it two deliveries. */
  async function coldStart(): Promise<{ ok: boolean; output: string }> {
    const dir = bundles()['src/handlers/ingest.ts'] as string;
    const route = ROUTES.find((r) => r.fn === 'ingest');
    const delivery = (token: string) =>
      toApiGatewayEvent(
        {
          method: 'POST',
          url: new URL('http://tms.example/ingest/generic'),
          headers: { 'content-type': 'application/json' },
          body: Buffer.from(
            JSON.stringify({
              routing_key: token,
              event_action: 'trigger',
              dedup_key: 'k',
              payload: { summary: 's', source: 's', severity: 'error' },
            }),
          ),
          sourceIp: '192.0.2.1',
        },
        route as NonNullable<typeof route>,
        { source: 'generic' },
      );
    const driver = join(mkdtempSync(join(tmpdir(), 'tms-cold-')), 'invoke.mjs');
    writeFileSync(
      driver,
      [
        // As Lambda's runtime does: an error during init is reported by its name and message, and the
        // function does not start.
        `const { handler } = await import(${JSON.stringify(join(dir, 'index.mjs'))}).catch((error) => {`,
        "  console.error(error.name + ': ' + error.message);",
        '  process.exit(1);',
        '});',
        `const forged = await handler(${JSON.stringify(delivery('not-the-token'))}, {});`,
        `const signed = await handler(${JSON.stringify(delivery('ingest-token-from-secrets-manager'))}, {});`,
        "const code = (answer) => answer.statusCode + ' ' + JSON.parse(answer.body).error?.code;",
        'console.log(JSON.stringify({ forged: code(forged), signed: code(signed) }));',
      ].join('\n'),
    );
    try {
      const { stdout } = await run(process.execPath, [driver], {
        cwd: dir,
        timeout: 30_000,
        env: {
          PATH: process.env.PATH ?? '',
          AWS_REGION: 'eu-west-1',
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          AWS_MAX_ATTEMPTS: '1',
          AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
          AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:1', // nothing listens: the store is "down"
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          POWERTOOLS_LOG_LEVEL: 'SILENT',
          TMS_CONFIG: join(dir, 'tms.config.yaml'),
          TMS_TABLE: 'tms',
          INGEST_TOKEN_SECRET_ARN: ARN('ingest-token'),
          GITHUB_WEBHOOK_SECRET_SECRET_ARN: ARN('github-webhook-secret'),
        },
      });
      return { ok: true, output: stdout };
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      return { ok: false, output: `${stdout}${stderr}` };
    }
  }

  it('refuses to start while a secret it was given has no value, naming it but no value', async () => {
    values.set(ARN('github-webhook-secret'), 'gh-secret');
    const started = await coldStart();
    expect(started.ok).toBe(false);
    expect(started.output).toContain(
      `MissingSecretError: INGEST_TOKEN has no value yet in Secrets Manager (${ARN('ingest-token')})`,
    );
    expect(started.output).not.toContain('gh-secret');
  });

  it('starts once the value is put, and the handler checks senders against it', async () => {
    values.set(ARN('ingest-token'), 'ingest-token-from-secrets-manager');
    asked.length = 0;
    const started = await coldStart();
    expect(started.ok, started.output).toBe(true);
    const { forged, signed } = JSON.parse(started.output.trim().split('\n').at(-1) ?? '{}') as Record<
      string,
      string
    >;
    expect(forged).toBe('401 UNAUTHENTICATED');
    // Past authentication, on to the store, which is not there (nothing listens where it points).
    expect(signed).toBe('500 INTERNAL');
    expect(asked.sort()).toEqual(
      [ARN('github-webhook-secret'), ARN('ingest-token')].map(
        (arn) => `secretsmanager.GetSecretValue ${arn}`,
      ),
    );
    expect(existsSync(join(bundles()['src/handlers/ingest.ts'] as string, 'tms.config.yaml'))).toBe(true);
  });
});

describe("the bot's cold start, run from its bundle", () => {
  it('answers Slack: its stubs stand only for what the Lambda never runs, its lazy chunks load', async () => {
    // Prepare: a table, and the environment a deployed bot has once its secrets are read.
    const dir = bundles()['src/handlers/bot.ts'] as string;
    const work = mkdtempSync(join(tmpdir(), 'tms-bot-cold-'));
    // No user groups in the roles (the bundle's config has one): nothing here asks Slack who is in one.
    const config = join(work, 'tms.config.yaml');
    writeFileSync(config, 'rbac: { admins: [U01AAA], default: developer }\n');
    const dynamo = await startEmbeddedDynamo();
    try {
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
      const driver = join(work, 'invoke.mjs');
      writeFileSync(
        driver,
        [
          `const { handler } = await import(${JSON.stringify(join(dir, 'index.mjs'))});`,
          'const answers = [];',
          "for (const e of JSON.parse(process.argv[2])) answers.push(await handler(e, { awsRequestId: 'cold-start' }));",
          'console.log(JSON.stringify(answers));',
        ].join('\n'),
      );
      // Act: a fresh Node, as a cold start.
      const { stdout } = await run(process.execPath, [driver, JSON.stringify(events)], {
        cwd: dir,
        timeout: 30_000,
        env: {
          PATH: process.env.PATH ?? '',
          TMS_CONFIG: config,
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
      });
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
      rmSync(work, { recursive: true, force: true });
    }
  });
});
