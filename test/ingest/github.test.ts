import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validGithubSignature } from '../../src/ingest/sources/github.js';
import { API, getJson, inProcessStack, type TestStack } from '../helpers/local-stack.js';

/** GitHub's own webhook examples, as @octokit/webhooks-examples ships them. */
type Example = Record<string, unknown> & { action?: string };
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples/api.github.com/index.json') as {
  name: string;
  examples: Example[];
}[];
const examplesOf = (name: string) => examples.find((e) => e.name === name)?.examples ?? [];
const SECRET = 'local-github-webhook-secret';

let stack: TestStack;
beforeAll(async () => {
  stack = await inProcessStack();
});
afterAll(() => stack.close());

async function deliver(
  event: string,
  payload: unknown,
  options: { secret?: string; delivery?: string; body?: string } = {},
) {
  const body = options.body ?? JSON.stringify(payload);
  const response = await fetch(`${stack.url}/ingest/github`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': options.delivery ?? randomUUID(),
      'x-github-hook-id': '4242',
      'x-hub-signature-256': `sha256=${createHmac('sha256', options.secret ?? SECRET)
        .update(body)
        .digest('hex')}`,
    },
    body,
  });
  return { status: response.status, body: (await response.json()) as { taskIds: string[]; error?: unknown } };
}
const task = async (id: string | undefined) =>
  (await getJson(`${stack.url}/api/tasks/${id}`, API())).body.task;

describe('X-Hub-Signature-256', () => {
  it("matches GitHub's documented test vector, and nothing else", () => {
    const vector = JSON.parse(
      readFileSync(new URL('../fixtures/github/signature_vector_official.json', import.meta.url), 'utf8'),
    );
    expect(validGithubSignature(vector.secret, vector.raw_body, vector.header['X-Hub-Signature-256'])).toBe(
      true,
    );
    expect(
      validGithubSignature(vector.secret, `${vector.raw_body} `, vector.header['X-Hub-Signature-256']),
    ).toBe(false);
    expect(
      validGithubSignature('another secret', vector.raw_body, vector.header['X-Hub-Signature-256']),
    ).toBe(false);
    expect(validGithubSignature(vector.secret, vector.raw_body, undefined)).toBe(false);
  });
});

describe('POST /ingest/github', () => {
  it.each(
    ['ping', 'workflow_run', 'workflow_job', 'check_suite'].flatMap((name) =>
      examplesOf(name).map((example, i) => [name, i, example] as const),
    ),
  )("answers GitHub's %s example #%i with 202", async (name, _i, example) => {
    const answer = await deliver(name, example);
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({ taskIds: expect.any(Array) });
  });

  it('opens one task per repository, workflow and branch, counts one failed run once, and resolves on the next success', async () => {
    // Arrange: the example failed job, and the same run as workflow_run and a second failed job.
    const failedJob = examplesOf('workflow_job').find(
      (e) => (e.workflow_job as { conclusion?: string }).conclusion === 'failure',
    ) as Example & { workflow_job: Record<string, unknown>; repository: Record<string, unknown> };
    const job = failedJob.workflow_job as { run_id: number; workflow_name: string; head_branch: string };
    const success = examplesOf('workflow_run').find(
      (e) => (e.workflow_run as { conclusion?: string }).conclusion === 'success',
    ) as Example & { workflow_run: Record<string, unknown> };
    const run = (conclusion: string, id: number) => ({
      ...success,
      repository: failedJob.repository,
      workflow_run: {
        ...success.workflow_run,
        id,
        name: job.workflow_name,
        head_branch: job.head_branch,
        conclusion,
      },
    });
    // Act
    const opened = await deliver('workflow_job', failedJob);
    const sameRun = await deliver('workflow_run', run('failure', job.run_id));
    const otherJob = await deliver('workflow_job', {
      ...failedJob,
      workflow_job: { ...failedJob.workflow_job, id: 1, name: 'tests' },
    });
    // Assert
    const [id] = opened.body.taskIds;
    expect(sameRun.body.taskIds).toEqual([id]);
    expect(otherJob.body.taskIds).toEqual([id]);
    expect(await task(id)).toMatchObject({
      fingerprint: `github:Codertocat/Hello-World:${job.workflow_name}:${job.head_branch}`,
      title: `${job.workflow_name} failing on ${job.head_branch} (Codertocat/Hello-World)`,
      occurrences: 1,
      status: 'open',
      source: 'github',
    });
    // The next failed run counts; the next successful run resolves.
    await deliver('workflow_run', run('failure', job.run_id + 1));
    expect((await task(id)).occurrences).toBe(2);
    const passed = await deliver('workflow_run', run('success', job.run_id + 2));
    expect(passed.body.taskIds).toEqual([id]);
    expect(await task(id)).toMatchObject({ status: 'resolved', resolvedBy: 'github' });
  });

  it('counts a redelivery once: the same hook and delivery id', async () => {
    const failedJob = examplesOf('workflow_job').find(
      (e) => (e.workflow_job as { conclusion?: string }).conclusion === 'failure',
    ) as Example & { workflow_job: Record<string, unknown> };
    const payload = {
      ...failedJob,
      workflow_job: { ...failedJob.workflow_job, workflow_name: 'Redelivered' },
    };
    const first = await deliver('workflow_job', payload, { delivery: 'd-redelivered' });
    const again = await deliver('workflow_job', payload, { delivery: 'd-redelivered' });
    expect(again.body).toEqual(first.body);
    expect((await task(first.body.taskIds[0])).occurrences).toBe(1);
  });

  it('refuses a forged, unsigned, malformed or oversized delivery with a JSON reason, before anything else', async () => {
    const ping = examplesOf('ping')[0];
    const forged = await deliver('ping', ping, { secret: 'guess' });
    expect(forged).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHENTICATED' } } });
    const unsigned = await fetch(`${stack.url}/ingest/github`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'ping', 'x-github-delivery': 'x' },
      body: JSON.stringify(ping),
    });
    expect(unsigned.status).toBe(401);
    expect((await deliver('workflow_run', undefined, { body: '{"action":' })).status).toBe(400);
    expect((await deliver('workflow_run', { action: 'completed' })).status).toBe(400);
    const huge = await deliver('ping', undefined, { body: `{"zen":"${'x'.repeat(5 * 1024 * 1024)}"}` });
    expect(huge.status).toBe(413);
  });
});
