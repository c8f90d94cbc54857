import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSchedule } from '../../src/core/use-cases/schedules.js';
import { getJson, inProcessStack, postJson, type TestStack } from '../helpers/local-stack.js';

/** How a script ended and what it printed, run as a person runs it: `npm run <script> -- <args>`. */
function npmRun(
  script: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const command = script === 'start' ? ['start', '--silent'] : ['run', script, '--silent'];
  return new Promise((resolve) => {
    execFile('npm', [...command, '--', ...args], { env, timeout: 90_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const STACK_TRACE = /^\s+at .+:\d+:\d+\)?$/m;
/** Each test runs a script through npm and tsx, in a child process. */
const SPAWNED = { timeout: 120_000 };

/** A port nothing listens on: taken from the system, then let go. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('every script answers --help with its usage, exit 0, no stack trace', () => {
  it.each([
    ['slack', 'Usage: npm run slack -- <what>', '--url'],
    ['replay', 'Usage: npm run replay --', 'AWS_ENDPOINT_URL_DYNAMODB'],
    ['redrive', 'Usage: npm run redrive --', 'aws sqs start-message-move-task'],
    ['token', 'Usage: npm run token -- --role admin|developer|viewer', 'custom:slack_user_id'],
    ['bench', 'Usage: [BENCH_…=n …] npm run bench', 'BENCH_EVENTS'],
    ['start', 'Usage: [VARIABLE=value …] npm start', 'TMS_DATA_DIR'],
    ['tick', 'Usage: npm run tick', '/_sandbox/tick'],
  ])('npm run %s -- --help', SPAWNED, async (script, usage, mentions) => {
    const run = await npmRun(script, ['--help']);

    expect(run).toMatchObject({ code: 0, stderr: expect.not.stringMatching(STACK_TRACE) });
    expect(run.stdout).toContain(usage);
    expect(run.stdout).toContain(mentions);
    expect(run.stdout).not.toContain('TMS is running'); // npm start's --help starts nothing
  });
});

describe('npm run replay without a store', () => {
  it(
    'says what it needs (the env variable or flag, and what npm start prints), not "Region is missing"',
    SPAWNED,
    async () => {
      const env = { ...process.env };
      for (const name of ['AWS_ENDPOINT_URL_DYNAMODB', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE'])
        delete env[name];

      const run = await npmRun('replay', ['--since', '1h'], env);

      expect(run.code).toBe(1);
      expect(run.stderr).not.toContain('Region is missing');
      expect(run.stderr).toContain('AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:<port> npm run replay');
      expect(run.stderr).toContain('--endpoint');
      expect(run.stderr).toContain('AWS_REGION');
      expect(run.stderr).not.toMatch(STACK_TRACE);
    },
  );
});

describe('npm run slack against a TMS on another port', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await inProcessStack();
  });
  afterAll(() => stack.close());

  it('names the URL it tried and how to point it elsewhere; --url reaches the TMS', SPAWNED, async () => {
    // Prepare: PORT names a port where no TMS runs, as when npm start was given another.
    const port = await closedPort();
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) };
    delete env.TMS_URL;

    // Act
    const missed = await npmRun('slack', ['card', '1'], env);
    const reached = await npmRun('slack', ['--url', stack.url, '/tms help'], env);

    // Assess
    expect(missed.code).toBe(1);
    expect(missed.stderr).toContain(`No TMS answered at http://127.0.0.1:${port}/_sandbox/slack/messages`);
    expect(missed.stderr).toContain('--url http://127.0.0.1:<port>');
    expect(missed.stderr).toContain('TMS_URL=http://127.0.0.1:<port>');
    expect(missed.stderr).not.toContain('fetch failed');
    expect(missed.stderr).not.toMatch(STACK_TRACE);
    expect(reached).toMatchObject({ code: 0, stdout: expect.stringContaining('POST /slack/events → 200') });
  });
});

describe('npm run token against the local stack', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await inProcessStack();
    await postJson(`${stack.url}/ingest/generic`, {
      routing_key: stack.secrets.INGEST_TOKEN,
      event_action: 'trigger',
      dedup_key: 'token-e2e',
      payload: {
        summary: 'Disk 95% full on db1',
        source: 'db1',
        severity: 'critical',
        component: 'checkout',
      },
    });
  });
  afterAll(() => stack.close());

  it(
    'prints a JWT GET /api/tasks takes as that viewer; one with a forged role is refused 401',
    SPAWNED,
    async () => {
      // Prepare: signed with the development secret, as the stack verifies with it.
      const env: NodeJS.ProcessEnv = { ...process.env };
      delete env.TMS_JWT_SECRET;

      // Act
      const run = await npmRun('token', ['--role', 'viewer', '--user', 'U09VIEW', '--ttl', '15m'], env);
      const token = run.stdout.trim();
      const [header, payload, signature] = token.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      const promoted = Buffer.from(JSON.stringify({ ...claims, 'cognito:groups': ['admin'] })).toString(
        'base64url',
      );
      const accepted = await getJson(`${stack.url}/api/tasks`, { authorization: `Bearer ${token}` });
      const forged = await getJson(`${stack.url}/api/tasks`, {
        authorization: `Bearer ${header}.${promoted}.${signature}`,
      });
      const otherSecret = await npmRun(
        'token',
        ['--role', 'admin', '--secret', 'not-this-stacks-secret'],
        env,
      );
      const foreign = await getJson(`${stack.url}/api/tasks`, {
        authorization: `Bearer ${otherSecret.stdout.trim()}`,
      });

      // Assess
      expect(run).toMatchObject({ code: 0, stderr: expect.not.stringMatching(STACK_TRACE) });
      expect(claims).toMatchObject({
        'cognito:groups': ['viewer'],
        'custom:slack_user_id': 'U09VIEW',
        token_use: 'id',
        sub: expect.any(String),
        exp: claims.iat + 15 * 60,
      });
      expect(accepted.status).toBe(200);
      expect(accepted.body.tasks.map((t: { title: string }) => t.title)).toEqual(['Disk 95% full on db1']);
      for (const refused of [forged, foreign])
        expect(refused).toEqual({
          status: 401,
          body: {
            error: { code: 'UNAUTHENTICATED', message: expect.stringContaining('signature does not verify') },
          },
        });
    },
  );

  it('refuses a role TMS does not have, saying which it has', SPAWNED, async () => {
    const run = await npmRun('token', ['--role', 'owner']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('--role is "owner": say admin, developer, viewer');
    expect(run.stderr).not.toMatch(STACK_TRACE);
  });
});

describe('npm run tick against the local stack', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await inProcessStack();
  });
  afterAll(() => stack.close());

  it(
    'runs the due work now: a chore due a moment ago opens its task, and every job is listed',
    SPAWNED,
    async () => {
      // Prepare: a one-off chore due as soon as it is made (the stack's own tick is an hour away)
      const now = stack.deps.clock.now();
      const made = await createSchedule(
        { ...stack.deps, webhooksEnabled: true },
        {
          title: 'Renew the staging certificate',
          at: new Date(now.getTime() + 1_500),
          timezone: 'UTC',
          action: 'task',
        },
        { user: 'U01AAA', role: 'admin', origin: 'api' },
      );
      if (!made.ok) throw new Error(made.error.message);
      await new Promise((resolve) => setTimeout(resolve, 1_600));
      const missed = await npmRun('tick', ['--url', `http://127.0.0.1:${await closedPort()}`]);

      // Act
      const run = await npmRun('tick', ['--url', stack.url]);

      // Assess
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(run.stdout).toMatch(/^✓ schedules: \{"ran":1,"failed":0,"busy":0/m);
      expect(run.stdout).toContain('✓ redrive-unprocessed-deliveries');
      const { body } = await getJson(`${stack.url}/api/tasks`, {
        authorization: `Bearer ${stack.secrets.TMS_API_TOKEN}`,
      });
      expect(body.tasks.map((t: { title: string }) => t.title)).toContain('Renew the staging certificate');
      expect(missed.code).toBe(1);
      expect(missed.stderr).toContain('is npm start running?');
      expect(missed.stderr).not.toMatch(STACK_TRACE);
    },
  );
});
