import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoryOf } from '../../src/ingest/sources/jenkins.js';
import { API, getJson, inProcessStack, postJson, type TestStack } from '../helpers/local-stack.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await inProcessStack();
});
afterAll(() => stack.close());

type Notification = { name: string; build: Record<string, unknown> };
const example = () =>
  JSON.parse(readFileSync('test/fixtures/jenkins/completed-success.json', 'utf8')) as Notification;
/** The plugin's notification for a phase and status of a build of the example job. */
function notification(phase: string, status: string | null, number: number, name = 'asgard'): Notification {
  const body = example();
  return { ...body, name, build: { ...body.build, phase, status, number } };
}
const send = (body: unknown, query = '?token=local-ingest-token', headers: Record<string, string> = {}) =>
  postJson(`${stack.url}/ingest/jenkins${query}`, body, headers);
const task = async (id: string) => (await getJson(`${stack.url}/api/tasks/${id}`, API())).body.task;

describe('POST /ingest/jenkins', () => {
  it('opens the job’s task on a failure, once for COMPLETED and FINALIZED, and resolves on the next success', async () => {
    // Act
    const queued = await send(notification('QUEUED', null, 19));
    const started = await send(notification('STARTED', null, 19));
    const completed = await send(notification('COMPLETED', 'FAILURE', 19));
    const finalized = await send(notification('FINALIZED', 'FAILURE', 19));
    // Assert
    expect([queued.body, started.body]).toEqual([{ taskIds: [] }, { taskIds: [] }]);
    const [id] = completed.body.taskIds;
    expect(finalized.body.taskIds).toEqual([id]);
    expect(await task(id)).toMatchObject({
      title: 'asgard is failing',
      fingerprint: 'jenkins:asgard',
      source: 'jenkins',
      occurrences: 1,
      labels: { job: 'asgard', branch: 'master', repository: 'evgeny-goldin/asgard' },
      links: [{ label: 'Build #19', url: 'http://localhost:8080/job/asgard/18/' }],
    });
    // The next failed build counts; an aborted one changes nothing; the next success resolves.
    await send(notification('FINALIZED', 'UNSTABLE', 20));
    await send(notification('COMPLETED', 'FAILURE', 20));
    expect((await task(id)).occurrences).toBe(2);
    expect((await send(notification('COMPLETED', 'ABORTED', 21))).body).toEqual({ taskIds: [] });
    expect((await send(example())).body.taskIds).toEqual([id]);
    expect(await task(id)).toMatchObject({ status: 'resolved', resolvedBy: 'jenkins' });
    expect((await send({ ...example(), build: { ...example().build, phase: 'FINALIZED' } })).status).toBe(
      202,
    );
    expect((await task(id)).status).toBe('resolved');
  });

  it('takes the ingest token as ?token=, Bearer, or the password of the URL the plugin posts to', async () => {
    const body = notification('STARTED', null, 1, 'auth-check');
    expect((await send(body, '')).status).toBe(401);
    expect((await send(body, '?token=wrong')).status).toBe(401);
    expect((await send(body, '', { authorization: 'Bearer local-ingest-token' })).status).toBe(202);
    const basic = Buffer.from('jenkins:local-ingest-token').toString('base64');
    expect(
      (await send({ ...body, build: { ...body.build, number: 2 } }, '', { authorization: `Basic ${basic}` }))
        .status,
    ).toBe(202);
  });

  it('refuses what is not a notification, with a JSON reason', async () => {
    expect((await send('{"name":')).status).toBe(400);
    expect((await send({ name: 'x', build: { number: 1, phase: 'EXPLODED' } })).body.error.code).toBe(
      'INVALID_EVENT',
    );
    expect((await send({ build: {} })).status).toBe(400);
    expect((await send(`{"name":"x","log":"${'x'.repeat(1024 * 1024)}"}`)).status).toBe(413);
  });

  it('reads owner/repo from the common remote forms', () => {
    expect(repositoryOf('https://github.com/acme/checkout.git')).toBe('acme/checkout');
    expect(repositoryOf('git@github.com:acme/checkout.git')).toBe('acme/checkout');
    expect(repositoryOf('https://gitlab.example/acme/checkout')).toBe('acme/checkout');
    expect(repositoryOf(undefined)).toBeUndefined();
  });
});
