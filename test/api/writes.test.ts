import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/core/bounds.js';
import { MAX_API_BODY } from '../../src/http/request-body.js';
import { signDevToken } from '../../src/local/dev-token.js';
import { recordingApi } from '../helpers/dynamo-calls.js';
import { API, getJson, inProcessStack, postJson, type TestStack } from '../helpers/local-stack.js';
import { BEN, CAL, CHECKOUT, GENERAL, settle, VIC } from '../helpers/slack.js';

let stack: TestStack;
let developer: Record<string, string>;
let otherDeveloper: Record<string, string>;
let viewer: Record<string, string>;

const token = async (role: 'developer' | 'viewer', user: string) =>
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
  developer = await token('developer', BEN);
  otherDeveloper = await token('developer', CAL);
  viewer = await token('viewer', VIC);
});
afterAll(() => stack.close());

const create = (body: unknown, headers = developer) => postJson(`${stack.url}/api/tasks`, body, headers);
const act = (id: string, body: unknown, headers = developer) =>
  postJson(`${stack.url}/api/tasks/${id}/actions`, body, headers);
const timeline = async (id: string) => (await getJson(`${stack.url}/api/tasks/${id}`, API())).body.timeline;
async function opened(title = 'Rotate the TLS certificate'): Promise<string> {
  const answer = await create({ title });
  expect(answer.status).toBe(201);
  return answer.body.task.id;
}

describe('POST /api/tasks', () => {
  it('opens the task as the caller, posts its card and names the caller on the timeline', async () => {
    const answer = await create({
      title: '  Rotate the checkout TLS certificate ',
      description: 'Expires on Friday',
      priority: 'P2',
      service: 'checkout',
      labels: { env: 'prod', constructor: 'kept' },
    });
    expect(answer.status).toBe(201);
    const { task } = answer.body;
    expect(task).toMatchObject({
      id: expect.stringMatching(/^TMS-\d+$/),
      title: 'Rotate the checkout TLS certificate',
      description: 'Expires on Friday',
      status: 'open',
      priority: 'P2',
      service: 'checkout',
      team: 'payments',
      channel: CHECKOUT,
      source: 'api',
      kind: 'manual',
      assignee: null,
      labels: { env: 'prod', constructor: 'kept' },
      version: 1,
    });
    expect(answer.headers.get('location')).toBe(`/api/tasks/${task.id}`);
    await settle(stack);
    // The card, as Slack shows it, in the service's channel: what the offline Slack serves to anyone.
    const { body } = await getJson(`${stack.url}/_sandbox/slack/messages?channel=${CHECKOUT}`);
    const card = body.messages.find((m: { text: string }) => m.text.includes(` ${task.id}: `));
    expect(card?.text).toContain('Rotate the checkout TLS certificate');
    expect(await timeline(task.id)).toEqual([
      expect.objectContaining({ type: 'opened', actor: { type: 'user', id: BEN }, via: 'api' }),
    ]);
    // Read back as stored: the labels and who opened it.
    const stored = (await getJson(`${stack.url}/api/tasks/${task.id}`, API())).body.task;
    expect(stored.labels).toEqual({ env: 'prod', constructor: 'kept' });
  });

  it('takes the defaults, an assignee, and the API token as TMS itself', async () => {
    const answer = await create({ title: 'Renew the domain', assignee: CAL }, API());
    expect(answer.status).toBe(201);
    expect(answer.body.task).toMatchObject({
      priority: stack.deps.config.defaults.priority,
      service: stack.deps.config.defaults.service,
      channel: GENERAL,
      assignee: CAL,
    });
    expect((await timeline(answer.body.task.id))[0]).toMatchObject({
      actor: { type: 'system', id: 'api-token' },
      via: 'api',
    });
  });

  it('refuses a viewer with the reason, and opens nothing', async () => {
    const before = (await getJson(`${stack.url}/api/tasks?limit=1`, API())).body.tasks[0]?.id;
    const answer = await create({ title: 'Not mine to open' }, viewer);
    expect(answer.status).toBe(403);
    expect(answer.body.error).toMatchObject({
      code: 'NOT_ALLOWED',
      message: expect.stringContaining('read-only access'),
    });
    expect((await getJson(`${stack.url}/api/tasks?limit=1`, API())).body.tasks[0]?.id).toBe(before);
  });

  it('answers 401 without a token', async () => {
    const answer = await create({ title: 'Anyone?' }, {});
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('UNAUTHENTICATED');
  });

  it.each([
    ['title: ', {}],
    ['title: ', { title: '   ' }],
    ['title: ', { title: 42 }],
    ['title: ', { title: 'x'.repeat(LIMITS.titleLength + 1) }],
    ['description: ', { title: 't', description: 'x'.repeat(LIMITS.descriptionLength + 1) }],
    ['priority: ', { title: 't', priority: 'P9' }],
    ['priority: ', { title: 't', priority: 'p1' }],
    ['service: "nosuch" is not a configured service', { title: 't', service: 'nosuch' }],
    ['service: ', { title: 't', service: 'constructor' }],
    ['assignee: not a Slack user id', { title: 't', assignee: '@ben' }],
    ['labels.env: ', { title: 't', labels: { env: 1 } }],
    ['labels: ', { title: 't', labels: ['env'] }],
    ['labels.', { title: 't', labels: { ['k'.repeat(LIMITS.labelKeyLength + 1)]: 'v' } }],
    ['labels.env: ', { title: 't', labels: { env: 'v'.repeat(LIMITS.labelValueLength + 1) } }],
    ['priorty: not a field of this request', { title: 't', priorty: 'P1' }],
    ['body: a key named __proto__ is refused', '{"title":"t","labels":{"__proto__":"x"}}'],
    ['body: not valid JSON', '{"title":'],
    ['body: send a JSON object', ''],
    ['body: ', '["t"]'],
    ['body: ', 'null'],
  ])('refuses with 400 naming the field (case %#): %s', async (message, body) => {
    const answer = await create(body);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('INVALID_INPUT');
    expect(answer.body.error.message.startsWith(message)).toBe(true);
  });

  it('refuses labels over what a task keeps, as the core bounds them', async () => {
    const labels = Object.fromEntries(
      Array.from({ length: 300 }, (_, n) => [`k${String(n).padStart(3, '0')}`, 'v'.repeat(250)]),
    );
    const answer = await create({ title: 'Many labels', labels });
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toMatch(/^labels: at most 64 KB of labels/);
  });

  it('refuses a body over the bound with 413, and one that is not JSON with 415', async () => {
    const big = await create({ title: 't', description: 'x'.repeat(MAX_API_BODY) });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('TOO_LARGE');
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', undefined]) {
      const response = await fetch(`${stack.url}/api/tasks`, {
        method: 'POST',
        headers: { ...developer, ...(type ? { 'content-type': type } : {}) },
        body: type ? JSON.stringify({ title: 't' }) : new Uint8Array(Buffer.from('{"title":"t"}')),
      });
      expect(response.status, type).toBe(415);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
        'UNSUPPORTED_MEDIA_TYPE',
      );
    }
    // With a charset it is JSON still.
    const charset = await create(
      { title: 'With a charset' },
      { ...developer, 'content-type': 'application/json; charset=utf-8' },
    );
    expect(charset.status).toBe(201);
  });
});

describe('POST /api/tasks with an Idempotency-Key', () => {
  it('opens one task however often the same request is retried, and answers each retry with it', async () => {
    const key = `retry-${Date.now()}`;
    const first = await create(
      { title: 'Renew the wildcard certificate' },
      { ...developer, 'idempotency-key': key },
    );
    const again = await create(
      { title: 'Renew the wildcard certificate' },
      { ...developer, 'idempotency-key': key },
    );
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.task.id).toBe(first.body.task.id);
    // The same key with another body is another request, refused rather than answered with the first task.
    const other = await create(
      { title: 'Something else entirely' },
      { ...developer, 'idempotency-key': key },
    );
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    // Another caller's key is another key: theirs opens a task of its own.
    const theirs = await create(
      { title: 'Renew the wildcard certificate' },
      { ...otherDeveloper, 'idempotency-key': key },
    );
    expect(theirs.status).toBe(201);
    expect(theirs.body.task.id).not.toBe(first.body.task.id);
  });

  it('lets a retry open the task when the first request was refused, and refuses a key that is not one', async () => {
    const key = `refused-${Date.now()}`;
    const refused = await create(
      { title: 'x', service: 'no-such-service' },
      { ...developer, 'idempotency-key': key },
    );
    expect(refused.status).toBe(400);
    // Refused by openTask, after the key was taken (a blank title is the schema's, before it): the key is released.
    const labels = Object.fromEntries(
      Array.from({ length: 300 }, (_, n) => [`k${String(n).padStart(3, '0')}`, 'v'.repeat(250)]),
    );
    const refusedByCore = await create({ title: 'x', labels }, { ...developer, 'idempotency-key': key });
    expect(refusedByCore.status).toBe(400);
    expect(refusedByCore.body.error.message).toMatch(/^labels: at most 64 KB of labels/);
    const retried = await create({ title: 'Now with a title' }, { ...developer, 'idempotency-key': key });
    expect(retried.status).toBe(201);
    const bad = await create({ title: 'Bad key' }, { ...developer, 'idempotency-key': 'has spaces in it' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('Idempotency-Key');
  });
});

describe('POST /api/tasks/{id}/actions', () => {
  it('walks a task through its lifecycle as Slack would, each step on the timeline as the caller', async () => {
    const id = await opened();
    const step = async (body: unknown) => {
      const answer = await act(id, body);
      expect(answer.status, JSON.stringify(body)).toBe(200);
      return answer.body.task;
    };
    expect(await step({ action: 'acknowledge' })).toMatchObject({
      status: 'acknowledged',
      acknowledgedBy: BEN,
    });
    expect(await step({ action: 'claim' })).toMatchObject({ assignee: BEN });
    expect(await step({ action: 'start' })).toMatchObject({ status: 'in_progress' });
    expect(await step({ action: 'comment', note: 'Looking at the consumer lag' })).toMatchObject({
      status: 'in_progress',
    });
    const before = Date.now();
    const snoozed = await step({ action: 'snooze', duration: '2h' });
    expect(Date.parse(snoozed.snoozedUntil) - before).toBeGreaterThanOrEqual(2 * 3_600_000 - 1_000);
    expect(Date.parse(snoozed.snoozedUntil) - before).toBeLessThanOrEqual(2 * 3_600_000 + 60_000);
    expect(await step({ action: 'unsnooze' })).toMatchObject({ snoozedUntil: null });
    expect(await step({ action: 'resolve', note: 'Rolled back the deploy' })).toMatchObject({
      status: 'resolved',
      resolvedBy: BEN,
      resolution: 'Rolled back the deploy',
    });
    expect(await step({ action: 'reopen' })).toMatchObject({ status: 'open', resolution: null });
    const entries = await timeline(id);
    expect(entries.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining([
        'opened',
        'acknowledged',
        'assigned',
        'commented',
        'snoozed',
        'resolved',
        'reopened',
      ]),
    );
    expect(entries.find((e: { type: string }) => e.type === 'commented')).toMatchObject({
      text: 'Looking at the consumer lag',
      actor: { type: 'user', id: BEN },
      via: 'api',
    });
    for (const entry of entries.slice(1))
      expect(entry, entry.type).toMatchObject({ actor: { id: BEN }, via: 'api' });
    // The card shows the latest version: the change reached Slack as a button's would.
    await settle(stack);
    const card = (await getJson(`${stack.url}/api/tasks/${id}`, API())).body.card;
    expect(card).toMatchObject({ upToDate: true });
  });

  it('answers a lifecycle refusal with 409 and the core’s code', async () => {
    const id = await opened();
    expect((await act(id, { action: 'reopen' })).body.error.code).toBe('TASK_NOT_RESOLVED');
    expect((await act(id, { action: 'acknowledge' })).status).toBe(200);
    const again = await act(id, { action: 'acknowledge' });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'TASK_ALREADY_ACKNOWLEDGED', context: { taskId: id } });
    expect((await act(id, { action: 'resolve' })).body.task).toMatchObject({
      status: 'resolved',
      resolution: null,
    });
    for (const action of ['resolve', 'start', 'claim']) {
      const refused = await act(id, { action });
      expect(refused.status, action).toBe(409);
      expect(refused.body.error.code, action).toBe('TASK_ALREADY_RESOLVED');
    }
  });

  it('refuses a viewer, and a developer what only the holder may do (403, with the reason)', async () => {
    const id = await opened();
    const byViewer = await act(id, { action: 'acknowledge' }, viewer);
    expect(byViewer.status).toBe(403);
    expect(byViewer.body.error.message).toContain('read-only access');
    expect((await act(id, { action: 'claim' })).status).toBe(200);
    const notHolder = await act(id, { action: 'start' }, otherDeveloper);
    expect(notHolder.status).toBe(403);
    expect(notHolder.body.error).toMatchObject({ code: 'NOT_ALLOWED', context: { holder: BEN } });
    expect((await getJson(`${stack.url}/api/tasks/${id}`, API())).body.task.status).toBe('acknowledged');
  });

  it('answers 404 for a task that does not exist, 400 for what is not an id, 401 without a token', async () => {
    expect(await act('TMS-99999', { action: 'claim' })).toMatchObject({
      status: 404,
      body: { error: { code: 'TASK_NOT_FOUND' } },
    });
    expect((await act('drop%20table', { action: 'claim' })).status).toBe(400);
    const id = await opened();
    expect((await act(id, { action: 'claim' }, {})).status).toBe(401);
  });

  it("escalates: pages the next step of the task's escalation now, as the caller", async () => {
    // Prepare: a P2 for checkout escalates under tms.config.yaml's `default` policy (five minutes' grace).
    const answer = await create({ title: 'Checkout is failing', priority: 'P2', service: 'checkout' });
    const id = answer.body.task.id;
    expect(answer.body.task.escalation).toMatchObject({ policy: 'default', state: 'running', taken: 0 });

    // Act
    const escalated = await act(id, { action: 'escalate' });
    await settle(stack);

    // Assess: the on-call paged at once, by name of who escalated; the step on the timeline as theirs.
    expect(escalated.status).toBe(200);
    expect(escalated.body.task.escalation).toMatchObject({ taken: 1, at: 2 });
    const step = (await timeline(id)).find((e: { type: string }) => e.type === 'escalated');
    expect(step).toMatchObject({
      manual: true,
      target: 'oncall',
      actor: { type: 'user', id: BEN },
      via: 'api',
    });
    const paged = step.to[0].id as string;
    const dms = stack.slack.messages(`D${paged.slice(1)}`).map((m) => m.text);
    expect(dms.filter((t) => t.includes(`<@${BEN}> escalated *${id}*`))).toHaveLength(1);
  });

  it('refuses to escalate a task that has no escalation, saying why', async () => {
    const id = await opened();
    const answer = await act(id, { action: 'escalate' });
    expect(answer.status).toBe(409);
    expect(answer.body.error).toMatchObject({
      code: 'NO_CHANGE',
      message: expect.stringContaining('has no escalation'),
    });
  });

  it.each([
    ['action: ', {}],
    ['action: ', { action: 'close' }],
    ['note: acknowledge takes no note', { action: 'acknowledge', note: 'why' }],
    ['note: a comment needs some text', { action: 'comment' }],
    ['note: a comment needs some text', { action: 'comment', note: '   ' }],
    ['note: ', { action: 'resolve', note: 'x'.repeat(3001) }],
    ['duration: a snooze needs a duration', { action: 'snooze' }],
    ['duration: "forever" is not a snooze length', { action: 'snooze', duration: 'forever' }],
    ['duration: "8d" is not a snooze length', { action: 'snooze', duration: '8d' }],
    ['duration: claim takes no duration', { action: 'claim', duration: '1h' }],
    ['force: not a field of this request', { action: 'claim', force: true }],
    ['body: not valid JSON', '{"action":"claim"'],
  ])('refuses with 400 naming the field (case %#): %s', async (message, body) => {
    const id = await opened();
    const answer = await act(id, body);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('INVALID_INPUT');
    expect(answer.body.error.message.startsWith(message)).toBe(true);
    expect((await getJson(`${stack.url}/api/tasks/${id}`, API())).body.task.version).toBe(1);
  });

  it('refuses a body over the bound with 413', async () => {
    const id = await opened();
    const answer = await act(id, { action: 'comment', note: 'x'.repeat(MAX_API_BODY) });
    expect(answer.status).toBe(413);
  });
});

describe('an alert task through the API', () => {
  const fire = () =>
    postJson(`${stack.url}/ingest/generic`, {
      routing_key: stack.secrets.INGEST_TOKEN,
      event_action: 'trigger',
      dedup_key: 'api-writes-disk',
      payload: {
        summary: 'Disk 95% full on db-1',
        source: 'db-1',
        severity: 'critical',
        component: 'checkout',
      },
    });

  it('is resolved and reopened with its alert: the alert firing again counts on the same task', async () => {
    expect((await fire()).status).toBe(202);
    await settle(stack);
    const { tasks } = (await getJson(`${stack.url}/api/tasks?service=checkout&status=open`, API())).body;
    const id = tasks.find(
      (t: { fingerprint: string | null }) => t.fingerprint === 'generic:api-writes-disk',
    ).id;
    expect((await act(id, { action: 'resolve', note: 'Cleared old logs' })).body.task.status).toBe(
      'resolved',
    );
    expect((await act(id, { action: 'reopen' })).body.task).toMatchObject({ status: 'open', occurrences: 1 });
    // Reopened through the API, the alert's fingerprint is bound to it again: no second task opens.
    expect((await fire()).status).toBe(202);
    await settle(stack);
    const task = (await getJson(`${stack.url}/api/tasks/${id}`, API())).body.task;
    expect(task).toMatchObject({ status: 'open', occurrences: 2 });
    const open = (await getJson(`${stack.url}/api/tasks?service=checkout&status=open`, API())).body.tasks;
    expect(
      open.filter((t: { fingerprint: string | null }) => t.fingerprint === 'generic:api-writes-disk'),
    ).toHaveLength(1);
  });
});

describe('what the writes call on the table', () => {
  it('is within what the api function is granted on AWS (dynalite grants everything)', async () => {
    const api = recordingApi(stack);
    const post = (routeKey: string, body: unknown, path: Record<string, string> = {}) =>
      api.call(routeKey, body, path);
    const created = await post('POST /api/tasks', { title: 'Grants', labels: { env: 'prod' } });
    expect(created.status).toBe(201);
    const id = created.body.task.id;
    // Enough changes that the entries the item holds are copied to the timeline (a batch write).
    for (const action of [
      { action: 'comment', note: 'one' },
      { action: 'comment', note: 'two' },
      { action: 'acknowledge' },
      { action: 'resolve', note: 'done' },
      { action: 'reopen' },
      { action: 'snooze', duration: '1h' },
      { action: 'unsnooze' },
    ])
      expect((await post('POST /api/tasks/{id}/actions', action, { id })).status, action.action).toBe(200);
    // An alert task's fingerprint, released on resolve and claimed again on reopen.
    const alert = await postJson(`${stack.url}/ingest/generic`, {
      routing_key: stack.secrets.INGEST_TOKEN,
      event_action: 'trigger',
      dedup_key: 'api-writes-grants',
      payload: { summary: 'Grants alert', source: 'db-2', severity: 'warning' },
    });
    expect(alert.status).toBe(202);
    await settle(stack);
    const alertTask = (await getJson(`${stack.url}/api/tasks?status=open`, API())).body.tasks.find(
      (t: { fingerprint: string | null }) => t.fingerprint === 'generic:api-writes-grants',
    ).id;
    expect(
      (await post('POST /api/tasks/{id}/actions', { action: 'resolve' }, { id: alertTask })).status,
    ).toBe(200);
    expect((await post('POST /api/tasks/{id}/actions', { action: 'reopen' }, { id: alertTask })).status).toBe(
      200,
    );
    expect(api.outsideGrants()).toEqual([]);
    // The counter, fingerprint updates and held entries' batches; the writes read nothing by query.
    expect([...api.called].sort()).toEqual(['BatchWriteItem', 'GetItem', 'PutItem', 'UpdateItem']);
  });
});
