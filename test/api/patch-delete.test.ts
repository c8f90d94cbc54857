import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLE } from '../../src/adapters/dynamo/table.js';
import { LIMITS } from '../../src/core/bounds.js';
import { makeApiHandler } from '../../src/handlers/api.js';
import { projectCards } from '../../src/jobs/card-stream.js';
import { signDevToken } from '../../src/local/dev-token.js';
import { LOCAL_AWS } from '../../src/local/embedded-dynamo.js';
import { buildDeps } from '../../src/runtime/deps.js';
import { recordingApi } from '../helpers/dynamo-calls.js';
import { API, getJson, inProcessStack, postJson, type TestStack } from '../helpers/local-stack.js';
import { captureLogs } from '../helpers/logs.js';
import { ANA, BEN, CAL, settle, VIC } from '../helpers/slack.js';

let stack: TestStack;
let admin: Record<string, string>;
let developer: Record<string, string>;
let otherDeveloper: Record<string, string>;
let viewer: Record<string, string>;

const token = async (role: 'admin' | 'developer' | 'viewer', user: string) =>
  API(
    await signDevToken({
      role,
      user,
      ttlMs: 3_600_000,
      secret: stack.secrets.TMS_JWT_SECRET,
      now: new Date(),
    }),
  );

beforeAll(async () => {
  stack = await inProcessStack();
  admin = await token('admin', ANA);
  developer = await token('developer', BEN);
  otherDeveloper = await token('developer', CAL);
  viewer = await token('viewer', VIC);
});
afterAll(() => stack.close());

// biome-ignore lint/suspicious/noExplicitAny: response bodies are what the tests examine, field by field
type Body = any;
interface Answer {
  status: number;
  body: Body;
  headers: Headers;
}

async function send(
  method: 'PATCH' | 'DELETE' | 'GET',
  path: string,
  body?: unknown,
  headers: Record<string, string> = developer,
): Promise<Answer> {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

const patch = (id: string, body: unknown, headers = developer) =>
  send('PATCH', `/api/tasks/${id}`, body, headers);
const remove = (id: string, headers: Record<string, string> = API()) =>
  send('DELETE', `/api/tasks/${id}`, undefined, headers);
const read = async (id: string) => (await getJson(`${stack.url}/api/tasks/${id}`, API())).body;
const act = (id: string, body: unknown, headers = developer) =>
  postJson(`${stack.url}/api/tasks/${id}/actions`, body, headers);

async function opened(body: Record<string, unknown> = {}, headers = developer): Promise<string> {
  const answer = await postJson(
    `${stack.url}/api/tasks`,
    { title: 'Rotate the TLS certificate', priority: 'P3', ...body },
    headers,
  );
  expect(answer.status).toBe(201);
  return answer.body.task.id;
}

/** The card's message as the offline Slack holds it now (found by where it was posted, whatever its text). */
async function cardMessage(id: string) {
  await settle(stack);
  const { card } = await read(id);
  expect(card?.ts, `${id} has a card`).toBeTruthy();
  return { ts: card.ts as string, channel: card.channel as string, ...message(card.ts) };
}
function message(ts: string) {
  const found = stack.slack.messages().find((m) => m.ts === ts && m.thread_ts === null);
  if (!found) throw new Error(`no message ${ts}`);
  return { text: found.text, blocks: JSON.stringify(found.blocks ?? []) };
}

describe('PATCH /api/tasks/{id}', () => {
  it('changes several fields as one version, through the lifecycle, with the caller on every entry', async () => {
    const id = await opened({ labels: { env: 'staging', team: 'payments' } });
    const answer = await patch(id, {
      title: '  Rotate the checkout TLS certificate ',
      description: 'Expires on Friday',
      priority: 'P1',
      assignee: CAL,
      labels: { env: 'prod', region: 'eu-west-1' },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.task).toMatchObject({
      id,
      title: 'Rotate the checkout TLS certificate',
      description: 'Expires on Friday',
      priority: 'P1',
      assignee: CAL,
      labels: { env: 'prod', region: 'eu-west-1' },
      version: 2,
    });
    expect(answer.headers.get('etag')).toBe('"2"');
    const stored = await getJson(`${stack.url}/api/tasks/${id}`, API());
    expect(stored.body.task).toEqual(answer.body.task);
    // One change: one version, its entries numbered in order under it, each the caller's, through the API.
    const changed = stored.body.timeline.filter((e: Body) => e.version === 2);
    expect(changed.map((e: Body) => [e.type, e.seq])).toEqual([
      ['edited', 0],
      ['priority_changed', 1],
      ['assigned', 2],
    ]);
    for (const entry of changed)
      expect(entry).toMatchObject({ actor: { type: 'user', id: BEN }, via: 'api' });
    expect(changed[0]).toMatchObject({
      title: { from: 'Rotate the TLS certificate', to: 'Rotate the checkout TLS certificate' },
      description: { from: '', to: 'Expires on Friday' },
      labels: { set: { env: 'prod', region: 'eu-west-1' }, removed: ['team'], more: 0 },
    });
    expect(changed[1]).toMatchObject({ from: 'P3', to: 'P1' });
    expect(changed[2]).toMatchObject({ from: null, to: CAL });
    expect(stored.body.timeline.map((e: Body) => e.version)).toEqual([1, 2, 2, 2]);
  });

  it('answers GET with the ETag that If-Match takes, and refuses a patch on a version that moved', async () => {
    const id = await opened();
    const got = await send('GET', `/api/tasks/${id}`, undefined, API());
    expect(got.headers.get('etag')).toBe('"1"');
    expect((await patch(id, { priority: 'P2' }, { ...developer, 'if-match': '"1"' })).status).toBe(200);
    // The weak form and a bare number name the same version; * is any.
    expect((await patch(id, { title: 'Second' }, { ...developer, 'if-match': 'W/"2"' })).status).toBe(200);
    expect((await patch(id, { title: 'Third' }, { ...developer, 'if-match': '3' })).status).toBe(200);
    const any = await patch(id, { title: 'Fourth' }, { ...developer, 'if-match': '*' });
    expect(any.status).toBe(200);
    expect(any.headers.get('etag')).toBe('"5"');
    const stale = await patch(id, { title: 'Lost update' }, { ...developer, 'if-match': '"2"' });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({
      code: 'VERSION_CONFLICT',
      context: { taskId: id, version: 5 },
      message: expect.stringContaining('version 5'),
    });
    expect(stale.headers.get('etag')).toBe('"5"');
    expect((await read(id)).task).toMatchObject({ title: 'Fourth', version: 5 });
  });

  it.each(['abc', '"0"', '"x"', '"1", "2"', 'W/1', '""', `"${'9'.repeat(40)}"`])(
    'refuses an If-Match that is not one version (%s) with 400, changing nothing',
    async (value) => {
      const id = await opened();
      const answer = await patch(id, { priority: 'P1' }, { ...developer, 'if-match': value });
      expect(answer.status).toBe(400);
      expect(answer.body.error).toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringMatching(/^If-Match: /),
      });
      expect((await read(id)).task.version).toBe(1);
    },
  );

  it.each([
    ['body: send at least one of title, description, priority, assignee, labels', {}],
    ['priorty: not a field of this request', { priorty: 'P1' }],
    ['status: not a field of this request', { title: 't', status: 'resolved' }],
    ['title: ', { title: 42 }],
    ['title: ', { title: '   ' }],
    ['title: ', { title: 'x'.repeat(LIMITS.titleLength + 1) }],
    ['description: ', { description: 'x'.repeat(LIMITS.descriptionLength + 1) }],
    ['description: ', { description: null }],
    ['priority: ', { priority: 'P9' }],
    ['priority: ', { priority: 1 }],
    ['assignee: not a Slack user id', { assignee: '@ben' }],
    ['labels.env: ', { labels: { env: 1 } }],
    ['labels: ', { labels: ['env'] }],
    ['labels: ', { labels: null }],
    ['body: a key named __proto__ is refused', '{"labels":{"__proto__":"x"}}'],
    ['body: not valid JSON', '{"title":'],
    ['body: ', '["t"]'],
    ['body: ', 'null'],
    ['body: send a JSON object', ''],
  ])('refuses with 400 naming the field (case %#): %s', async (message, body) => {
    const id = await opened();
    const answer = await patch(id, body);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('INVALID_INPUT');
    expect(answer.body.error.message.startsWith(message), answer.body.error.message).toBe(true);
    expect((await read(id)).task.version).toBe(1);
  });

  it('refuses labels over what a task keeps, as the core bounds them, and a body that is not JSON', async () => {
    const id = await opened();
    const labels = Object.fromEntries(
      Array.from({ length: 300 }, (_, n) => [`k${String(n).padStart(3, '0')}`, 'v'.repeat(250)]),
    );
    const answer = await patch(id, { labels });
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toMatch(/^labels: at most 64 KB of labels/);
    const text = await send('PATCH', `/api/tasks/${id}`, undefined, {
      ...developer,
      'content-type': 'text/plain',
    });
    expect(text.status).toBe(415);
    expect((await read(id)).task.version).toBe(1);
  });

  it('answers 404 for no such task, 400 for what is not an id, 401 without a token', async () => {
    expect(await patch('TMS-99999', { priority: 'P1' })).toMatchObject({
      status: 404,
      body: { error: { code: 'TASK_NOT_FOUND' } },
    });
    expect((await patch('drop%20table', { priority: 'P1' })).status).toBe(400);
    expect((await patch('TMS-0', { priority: 'P1' })).status).toBe(400);
    const id = await opened();
    expect((await patch(id, { priority: 'P1' }, {})).status).toBe(401);
  });

  it('changes nothing, and answers the task as it is, when every field already has its value', async () => {
    const id = await opened({ labels: { env: 'prod' } });
    const answer = await patch(id, {
      title: 'Rotate the TLS certificate',
      priority: 'P3',
      assignee: null,
      labels: { env: 'prod' },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.task.version).toBe(1);
    expect(answer.headers.get('etag')).toBe('"1"');
    expect((await read(id)).timeline).toHaveLength(1);
  });

  it('refuses a viewer with the reason, before reading the body', async () => {
    const id = await opened();
    const answer = await patch(id, '{"not json', viewer);
    expect(answer.status).toBe(403);
    expect(answer.body.error).toMatchObject({
      code: 'NOT_ALLOWED',
      message: expect.stringContaining('read-only'),
    });
  });

  it('holds a developer to the roles Slack does: another holder’s task is theirs to lower, reassign or edit', async () => {
    const id = await opened({ priority: 'P2', assignee: CAL });
    for (const [body, action] of [
      [{ priority: 'P4' }, 'lower_priority'],
      [{ assignee: BEN }, 'reassign'],
      [{ assignee: null }, 'reassign'],
      [{ title: 'Not mine to rename' }, 'edit'],
      // One refused field refuses the whole patch: the title is not changed either.
      [{ title: 'Renamed', priority: 'P4' }, 'edit'],
    ] as const) {
      const refused = await patch(id, body);
      expect(refused.status, JSON.stringify(body)).toBe(403);
      expect(refused.body.error, JSON.stringify(body)).toMatchObject({
        code: 'NOT_ALLOWED',
        context: { action, holder: CAL, taskId: id },
        message: expect.stringContaining('or an admin'),
      });
    }
    expect((await read(id)).task).toMatchObject({ version: 1, priority: 'P2', assignee: CAL });
    // Raising it is anyone's, as in Slack; the holder may lower it; an admin may do all of it.
    expect((await patch(id, { priority: 'P1' })).status).toBe(200);
    expect((await patch(id, { priority: 'P3' }, otherDeveloper)).status).toBe(200);
    const byAdmin = await patch(id, { title: 'Renamed by an admin', priority: 'P4', assignee: BEN }, admin);
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body.task).toMatchObject({ title: 'Renamed by an admin', priority: 'P4', assignee: BEN });
    expect((await read(id)).timeline.at(-1)).toMatchObject({ actor: { type: 'user', id: ANA }, via: 'api' });
  });

  it('judges each field on the task as the ones before it left it: the assignment goes last', async () => {
    // Unheld, so a developer may lower it, then hand it over; in the other order it would be someone else's.
    const id = await opened({ priority: 'P2' });
    const answer = await patch(id, { assignee: CAL, priority: 'P4' });
    expect(answer.status).toBe(200);
    expect(answer.body.task).toMatchObject({ assignee: CAL, priority: 'P4', version: 2 });
  });

  it('answers a lifecycle refusal with 409 and the core’s code; a resolved task’s words can still be put right', async () => {
    const id = await opened();
    expect((await act(id, { action: 'resolve', note: 'Rotated' })).status).toBe(200);
    for (const body of [{ priority: 'P1' }, { assignee: BEN }, { title: 'Renamed', priority: 'P1' }]) {
      const refused = await patch(id, body);
      expect(refused.status, JSON.stringify(body)).toBe(409);
      expect(refused.body.error, JSON.stringify(body)).toMatchObject({
        code: 'TASK_ALREADY_RESOLVED',
        context: { taskId: id },
      });
    }
    const renamed = await patch(id, { title: 'Rotate the TLS certificate (postmortem)' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.task).toMatchObject({
      status: 'resolved',
      title: 'Rotate the TLS certificate (postmortem)',
    });
  });

  it('updates the card by itself: the new title on it, and the change in its thread', async () => {
    const id = await opened();
    const before = await cardMessage(id);
    expect(before.text).toContain('Rotate the TLS certificate');
    expect((await patch(id, { title: 'Rotate the wildcard certificate', priority: 'P2' })).status).toBe(200);
    await settle(stack);
    const after = message(before.ts);
    expect(after.text).toContain('Rotate the wildcard certificate');
    expect((await read(id)).card).toMatchObject({ upToDate: true, version: 2 });
    const thread = stack.slack
      .messages()
      .filter((m) => m.thread_ts === before.ts)
      .map((m) => m.text)
      .join('\n');
    expect(thread).toContain(
      'renamed it from “Rotate the TLS certificate” to “Rotate the wildcard certificate”',
    );
    expect(thread).toContain('changed the priority from P3 to P2');
  });
});

describe('DELETE /api/tasks/{id}', () => {
  it('is for admins only: a developer and a viewer are told why, and the task stays', async () => {
    const id = await opened();
    const byDeveloper = await remove(id, developer);
    expect(byDeveloper.status).toBe(403);
    expect(byDeveloper.body.error).toMatchObject({
      code: 'NOT_ALLOWED',
      message: 'Only admins can delete tasks.',
    });
    const byViewer = await remove(id, viewer);
    expect(byViewer.status).toBe(403);
    expect(byViewer.body.error.message).toContain('read-only access');
    expect((await read(id)).task.version).toBe(1);
    expect((await remove(id, {})).status).toBe(401);
  });

  it('deletes the task and its timeline (204), answers 404 after, and its card says who deleted it, with no buttons', async () => {
    const id = await opened();
    const card = await cardMessage(id);
    expect(card.blocks).toContain('"type":"actions"');
    const logs = captureLogs();
    let answer: Answer;
    try {
      answer = await remove(id, admin);
    } finally {
      logs.restore();
    }
    expect(answer.status).toBe(204);
    // The timeline goes with the task: the log keeps the deletion on record, with who did it.
    expect(logs.lines.filter((l) => l.message === 'task deleted')).toEqual([
      expect.objectContaining({
        level: 'INFO',
        taskId: id,
        actor: { type: 'user', id: ANA },
        title: 'Rotate the TLS certificate',
      }),
    ]);
    expect(answer.body).toBeUndefined();
    expect(await getJson(`${stack.url}/api/tasks/${id}`, API())).toMatchObject({
      status: 404,
      body: { error: { code: 'TASK_NOT_FOUND' } },
    });
    expect((await remove(id, admin)).status).toBe(404);
    expect((await patch(id, { title: 'Too late' })).status).toBe(404);
    expect(await stack.deps.store.timeline(id)).toEqual([]);
    await settle(stack);
    const retired = message(card.ts);
    expect(retired.text).toMatch(new RegExp(`^${id} was deleted by <@${ANA}> <!date\\^`));
    expect(retired.blocks).not.toContain('"type":"actions"');
    expect(retired.blocks).toContain('Rotate the TLS certificate');
    // The card is not posted again by the sweeper's reconcile: there is no task to show.
    const res = await fetch(`${stack.url}/_sandbox/tick`, { method: 'POST' });
    expect(res.status).toBeLessThan(300);
    await settle(stack);
    expect(message(card.ts).text).toBe(retired.text);
    expect(stack.slack.messages().filter((m) => m.thread_ts === null && m.text.includes(` ${id}: `))).toEqual(
      [],
    );
  });

  it('retires the card once Slack takes the edit: a refusal retries its stream record', async () => {
    const id = await opened({ title: 'Slack refuses the first edit' });
    const card = await cardMessage(id);
    const fault = await postJson(`${stack.url}/_sandbox/slack/faults`, {
      method: 'chat.update',
      error: 'internal_error',
      count: 1,
    });
    expect(fault.status).toBeLessThan(300);
    expect((await remove(id)).status).toBe(204);
    await settle(stack);
    // Deleted with the API token: TMS itself, named as such.
    expect(message(card.ts).text).toMatch(new RegExp(`^${id} was deleted by api-token`));
    expect(message(card.ts).blocks).not.toContain('"type":"actions"');
  });

  it('deletes a task whose card someone already deleted in Slack, and posts nothing in its place', async () => {
    const id = await opened({ title: 'Card deleted by hand' });
    const card = await cardMessage(id);
    const gone = await postJson(
      `${stack.url}/slack/api/chat.delete`,
      { channel: card.channel, ts: card.ts },
      { authorization: 'Bearer xoxb-tms-local-bot-token' },
    );
    expect(gone.status).toBe(200);
    const before = stack.slack.messages().length;
    expect((await remove(id)).status).toBe(204);
    await settle(stack);
    expect(stack.slack.messages().length).toBe(before);
    // Nothing left to retry, and past the task's last version, so no replayed record renders it again.
    const record = await stack.deps.cards.card(id);
    expect(record).not.toHaveProperty('retryAt');
    expect(record).not.toHaveProperty('lastError');
    expect(record?.shownVersion).toBe(2);
  });

  it('does not render a deleted task again when its change and its removal come in one batch', async () => {
    const id = await opened({ title: 'Changed, then deleted' });
    const card = await cardMessage(id);
    const before = (await read(id)).task;
    const after = { ...before, title: 'Renamed just before', version: before.version + 1 };
    // The images as the table's stream carries them: the change, then the item as it was when deleted.
    const keys = { pk: { S: `TASK#${id.slice(4)}` }, sk: { S: 'TASK' } };
    const image = (item: object) =>
      marshall(item, { removeUndefinedValues: true }) as NonNullable<DynamoDBRecord['dynamodb']>['NewImage'];
    const records: DynamoDBRecord[] = [
      {
        eventName: 'MODIFY',
        dynamodb: { Keys: keys, OldImage: image(before), NewImage: image(after), SequenceNumber: '1' },
      },
      {
        eventName: 'REMOVE',
        dynamodb: {
          Keys: keys,
          OldImage: image({ ...after, deletedBy: BEN, deletedAt: new Date().toISOString() }),
          SequenceNumber: '2',
        },
      },
    ];
    const edits = stack.slack.messages().find((m) => m.ts === card.ts)?.edits ?? 0;
    // Act
    expect(await projectCards(stack.deps, { Records: records })).toEqual({ batchItemFailures: [] });
    // Assess: one edit, the last words; the rename never shown.
    const now = stack.slack.messages().find((m) => m.ts === card.ts);
    expect(now?.edits).toBe(edits + 1);
    expect(now?.text).toMatch(new RegExp(`^${id} was deleted by <@${BEN}>`));
    expect(JSON.stringify(now?.blocks)).toContain('It was: Renamed just before');
  });

  it('deletes a task with many more timeline entries than one batch takes', async () => {
    const id = await opened();
    for (let n = 0; n < 40; n++)
      expect((await act(id, { action: 'comment', note: `Note ${n}` })).status).toBe(200);
    expect((await read(id)).timeline).toHaveLength(41);
    expect((await remove(id)).status).toBe(204);
    expect(await stack.deps.store.timeline(id)).toEqual([]);
    expect(await stack.deps.store.get(id)).toBeUndefined();
  });

  it('releases the alert’s fingerprint: the alert firing again opens a new task', async () => {
    const fire = () =>
      postJson(`${stack.url}/ingest/generic`, {
        routing_key: stack.secrets.INGEST_TOKEN,
        event_action: 'trigger',
        dedup_key: 'api-delete-disk',
        payload: {
          summary: 'Disk 95% full on db-9',
          source: 'db-9',
          severity: 'critical',
          component: 'checkout',
        },
      });
    const alertTask = async () => {
      const { tasks } = (await getJson(`${stack.url}/api/tasks?status=all&service=checkout`, API())).body;
      return tasks.find((t: Body) => t.fingerprint === 'generic:api-delete-disk')?.id as string | undefined;
    };
    expect((await fire()).status).toBe(202);
    await settle(stack);
    const first = await alertTask();
    expect(first).toBeDefined();
    expect((await remove(first as string)).status).toBe(204);
    expect((await stack.deps.store.fingerprint('generic:api-delete-disk'))?.openTaskId).toBeUndefined();
    expect((await fire()).status).toBe(202);
    await settle(stack);
    const second = await alertTask();
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    expect((await read(second as string)).task).toMatchObject({ status: 'open', occurrences: 1 });
  });

  it('releases a resolved alert task too: a firing soon after opens a new task, not a reopen of the deleted one', async () => {
    const fire = () =>
      postJson(`${stack.url}/ingest/generic`, {
        routing_key: stack.secrets.INGEST_TOKEN,
        event_action: 'trigger',
        dedup_key: 'api-delete-flap',
        payload: { summary: 'Queue depth high', source: 'mq-1', severity: 'warning', component: 'checkout' },
      });
    expect((await fire()).status).toBe(202);
    await settle(stack);
    const { tasks } = (await getJson(`${stack.url}/api/tasks?status=all&service=checkout`, API())).body;
    const first = tasks.find((t: Body) => t.fingerprint === 'generic:api-delete-flap').id;
    expect((await act(first, { action: 'resolve' })).status).toBe(200);
    expect((await stack.deps.store.fingerprint('generic:api-delete-flap'))?.lastTaskId).toBe(first);
    expect((await remove(first)).status).toBe(204);
    expect(await stack.deps.store.fingerprint('generic:api-delete-flap')).not.toHaveProperty('lastTaskId');
    expect((await fire()).status).toBe(202);
    await settle(stack);
    const again = (
      await getJson(`${stack.url}/api/tasks?status=all&service=checkout`, API())
    ).body.tasks.filter((t: Body) => t.fingerprint === 'generic:api-delete-flap');
    expect(again).toHaveLength(1);
    expect(again[0].id).not.toBe(first);
  });

  it('answers 400 for what is not an id and 404 for a task that never was', async () => {
    expect((await remove('drop%20table')).status).toBe(400);
    expect(await remove('TMS-99998')).toMatchObject({
      status: 404,
      body: { error: { code: 'TASK_NOT_FOUND' } },
    });
  });
});

describe('what a client sends, however wrong', () => {
  it('is never answered with a 5xx', async () => {
    const id = await opened();
    const attempts: [string, 'PATCH' | 'DELETE' | 'GET', string, unknown, Record<string, string>][] = [
      ['an id too long', 'PATCH', '/api/tasks/TMS-123456789012', { priority: 'P1' }, developer],
      ['an id not percent-encoded right', 'PATCH', '/api/tasks/%ZZ', { priority: 'P1' }, developer],
      [
        'a huge If-Match',
        'PATCH',
        `/api/tasks/${id}`,
        { priority: 'P1' },
        { ...developer, 'if-match': `"${'1'.repeat(6000)}"` },
      ],
      ['a body over the bound', 'PATCH', `/api/tasks/${id}`, { description: 'x'.repeat(200_000) }, developer],
      ['nested junk', 'PATCH', `/api/tasks/${id}`, { labels: { a: { b: [1, { c: null }] } } }, developer],
      [
        'many labels',
        'PATCH',
        `/api/tasks/${id}`,
        { labels: Object.fromEntries(Array.from({ length: 5000 }, (_, n) => [`k${n}`, 'v'])) },
        developer,
      ],
      ['a number for a body', 'PATCH', `/api/tasks/${id}`, '42', developer],
      ['a body on a delete', 'DELETE', `/api/tasks/${id}`, { force: true }, developer],
      ['an id too long', 'DELETE', '/api/tasks/TMS-123456789012', undefined, API()],
      ['a query on me', 'GET', '/api/me?role=admin', undefined, viewer],
    ];
    for (const [what, method, path, body, headers] of attempts) {
      const answer = await send(method, path, body, headers);
      expect(answer.status, what).toBeGreaterThanOrEqual(200);
      expect(answer.status, what).toBeLessThan(500);
    }
    // The viewer's query string changed nothing of who they are.
    expect((await send('GET', '/api/me?role=admin', undefined, viewer)).body.role).toBe('viewer');
    expect((await read(id)).task.version).toBe(1); // every one of them refused
  });
});

describe('a deletion whose stream record never reaches the cards', () => {
  it('still retires the card: the sweeper finds it due and its task gone', async () => {
    const id = await opened({ title: 'Deleted while the stream was down' });
    const card = await cardMessage(id);
    // The same table, written without a stream: as if the stack died before delivering the REMOVE record.
    const deps = buildDeps(
      { TMS_TABLE: TABLE.defaultName },
      {
        config: stack.deps.config,
        secrets: stack.deps.secrets,
        dynamo: { ...LOCAL_AWS, endpoint: stack.unstreamedStoreUrl },
      },
    );
    const answer = await makeApiHandler(deps)({
      version: '2.0',
      routeKey: 'DELETE /api/tasks/{id}',
      rawPath: `/api/tasks/${id}`,
      rawQueryString: '',
      headers: { authorization: 'Bearer local-api-token' },
      pathParameters: { id },
      requestContext: {},
      isBase64Encoded: false,
    } as never);
    expect(answer.statusCode).toBe(204);
    await settle(stack);
    expect(message(card.ts).blocks).toContain('"type":"actions"'); // nothing told the card yet
    // Act: the sweeper's tick (reconcile-cards).
    expect((await fetch(`${stack.url}/_sandbox/tick`, { method: 'POST' })).status).toBe(200);
    await settle(stack);
    // Assess
    expect(message(card.ts).text).toMatch(new RegExp(`^${id} was deleted by api-token`));
    expect(message(card.ts).blocks).not.toContain('"type":"actions"');
    expect(stack.slack.messages().filter((m) => m.thread_ts === null && m.text.includes(` ${id}: `))).toEqual(
      [],
    );
  });
});

describe('GET /api/me', () => {
  it('says who the caller is and their role, for each way of calling', async () => {
    expect((await send('GET', '/api/me', undefined, API())).body).toEqual({
      actor: { type: 'system', id: 'api-token' },
      role: 'admin',
    });
    for (const [headers, id, role] of [
      [admin, ANA, 'admin'],
      [developer, BEN, 'developer'],
      [viewer, VIC, 'viewer'],
    ] as const) {
      const answer = await send('GET', '/api/me', undefined, headers);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ actor: { type: 'user', id }, role });
    }
    expect((await send('GET', '/api/me', undefined, {})).status).toBe(401);
  });
});

describe('what PATCH and DELETE call on the table', () => {
  it('is within what the api function is granted on AWS (dynalite grants everything)', async () => {
    const api = recordingApi(stack);
    const call = async (routeKey: string, body: unknown, path: Record<string, string> = {}) =>
      (await api.call(routeKey, body, path)).status;
    expect(await call('GET /api/me', undefined)).toBe(200);
    // An alert task (a fingerprint to release) with more changes than its item holds (a timeline to page).
    const alert = await postJson(`${stack.url}/ingest/generic`, {
      routing_key: stack.secrets.INGEST_TOKEN,
      event_action: 'trigger',
      dedup_key: 'api-patch-grants',
      payload: { summary: 'Grants alert', source: 'db-3', severity: 'warning' },
    });
    expect(alert.status).toBe(202);
    await settle(stack);
    const id = (await getJson(`${stack.url}/api/tasks?status=open`, API())).body.tasks.find(
      (t: Body) => t.fingerprint === 'generic:api-patch-grants',
    ).id;
    for (const [n, body] of [
      { title: 'Grants, renamed' },
      { priority: 'P1' },
      { assignee: BEN },
      { labels: { env: 'prod' } },
      { description: 'more' },
      { title: 'Grants, again', priority: 'P2', assignee: null },
      { priority: 'P3' },
      { priority: 'P4' },
    ].entries())
      expect(await call('PATCH /api/tasks/{id}', body, { id }), String(n)).toBe(200);
    expect(await call('DELETE /api/tasks/{id}', undefined, { id })).toBe(204);
    expect(await call('DELETE /api/tasks/{id}', undefined, { id })).toBe(404);
    expect(api.outsideGrants()).toEqual([]);
    // The deletes: the mark and fingerprint updates, the item's delete, its partition paged and batch-deleted.
    expect([...api.called].sort()).toEqual([
      'BatchWriteItem',
      'DeleteItem',
      'GetItem',
      'PutItem',
      'Query',
      'UpdateItem',
    ]);
  });
});
