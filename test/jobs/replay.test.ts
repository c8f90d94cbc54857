import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayCommand } from '../../scripts/replay-command.js';
import { API, getJson, inProcessStack, type TestStack } from '../helpers/local-stack.js';

const exec = promisify(execFile);

let stack: TestStack;
beforeAll(async () => {
  stack = await inProcessStack();
});
afterAll(() => stack.close());

/** What a crash between the archive and the processing leaves: deliveries archived, not processed. */
async function archivedButNotProcessed(
  source: string,
  deliveryId: string,
  body: unknown,
  minutesAgo: number,
) {
  const receivedAt = new Date(Date.now() - minutesAgo * 60_000).toISOString();
  await stack.deps.store.archiveRaw({
    source,
    deliveryId,
    receivedAt,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
  });
}

const storeOf = () => ({ AWS_ENDPOINT_URL_DYNAMODB: stack.storeUrl, TMS_TABLE: 'tms' });
/** The command as `npm run replay` runs it, in this process: its output. */
const replay = async (...args: string[]) => {
  const { lines, error } = await replayCommand(args, storeOf());
  return [...lines, ...(error ? [error] : [])].join('\n');
};

describe('npm run replay', () => {
  // Its first run goes through npm and tsx in a child process: on a loaded machine more than 30 s.
  it('processes archived deliveries since a time, of one source, once however often it runs', {
    timeout: 120_000,
  }, async () => {
    // Arrange
    const failed = JSON.parse(readFileSync('test/fixtures/jenkins/completed-success.json', 'utf8'));
    failed.build.status = 'FAILURE';
    await archivedButNotProcessed('jenkins', 'lost-1', failed, 5);
    await archivedButNotProcessed('jenkins', 'too-old', { ...failed, name: 'old-job' }, 180);
    await archivedButNotProcessed('alertmanager', 'other-source', { version: '4', alerts: [] }, 5);
    // Act
    // The first through npm, as a person runs it; the rest in-process, as the same command.
    const dry = (
      await exec(
        'npm',
        ['run', 'replay', '--silent', '--', '--since', '1h', '--source', 'jenkins', '--dry-run'],
        {
          env: { ...process.env, ...storeOf() },
        },
      )
    ).stdout;
    const first = await replay('--since', '1h', '--source', 'jenkins');
    const again = await replay('--since', '1h', '--source', 'jenkins');
    // Assert
    expect(dry).toContain('would process 1 archived delivery');
    expect(first).toMatch(/jenkins\s+lost-1\s+TMS-\d+/);
    expect(first).toContain('processed 1 archived delivery');
    expect(again).toContain('processed 0 archived deliveries');
    // The lost delivery's task, counted once; the one received before the window opened none.
    const { tasks } = (await getJson(`${stack.url}/api/tasks?limit=50`, API())).body;
    const byFingerprint = (fp: string) => tasks.filter((t: { fingerprint: string }) => t.fingerprint === fp);
    expect(byFingerprint('jenkins:asgard').map((t: { occurrences: number }) => t.occurrences)).toEqual([1]);
    expect(byFingerprint('jenkins:old-job')).toEqual([]);
    // What the filters left out is still pending for the sweeper.
    expect((await stack.deps.store.unprocessedRaw('9999', 10)).map((e) => e.deliveryId).sort()).toEqual([
      'other-source',
      'too-old',
    ]);
  });

  it('replays, on demand, the deliveries given up on, and takes a window inside the grace time calmly', async () => {
    // Arrange: a delivery that failed its last attempt and was moved aside (dead).
    const body = JSON.parse(readFileSync('test/fixtures/jenkins/completed-success.json', 'utf8'));
    body.build.status = 'FAILURE';
    body.name = 'dead-job';
    await archivedButNotProcessed('jenkins', 'dead-1', body, 30);
    const store = stack.deps.store;
    const now = new Date().toISOString();
    await store.claimRaw('jenkins', 'dead-1', 'lease', now, new Date(Date.now() + 60_000).toISOString());
    await store.failRaw('jenkins', 'dead-1', 'lease', 'TypeError: boom', now);
    // Act
    const recent = await replay('--since', '30s');
    const pendingOnly = await replay('--since', '1h', '--source', 'jenkins');
    const dead = await replay('--dead', '--source', 'jenkins');
    // Assert
    expect(recent).toContain('processed 0 archived deliveries');
    expect(pendingOnly).not.toContain('dead-1');
    expect(dead).toMatch(/jenkins\s+dead-1\s+TMS-\d+/);
    expect(dead).toMatch(/processed \d+ archived deliver(y|ies) from jenkins/);
    expect(await store.deadRaw(10)).toEqual([]);
    expect((await store.getRaw('jenkins', 'dead-1'))?.processedAt).toBeDefined();
  });
});
