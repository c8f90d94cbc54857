import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestStack } from '../helpers/local-stack.js';
import { API, getJson, inProcessStack, postJson } from '../helpers/local-stack.js';

let tms: TestStack;
beforeAll(async () => {
  tms = await inProcessStack();
  // 7 tasks: 1-4 for checkout, 5-7 for the default service; 2 resolved.
  for (let n = 1; n <= 7; n++) {
    await postJson(`${tms.url}/ingest/generic`, {
      routing_key: 'local-ingest-token',
      event_action: 'trigger',
      dedup_key: `k-${n}`,
      payload: {
        summary: `Alert ${n}`,
        source: 'test',
        severity: 'warning',
        ...(n <= 4 ? { component: 'checkout' } : {}),
      },
    });
  }
  for (const n of [2, 6]) {
    await postJson(`${tms.url}/ingest/generic`, {
      routing_key: 'local-ingest-token',
      event_action: 'resolve',
      dedup_key: `k-${n}`,
    });
  }
});
afterAll(async () => {
  await tms.close();
});

const list = async (query = '') => getJson(`${tms.url}/api/tasks${query}`, API());
const ids = (tasks: { id: string }[]) => tasks.map((t) => t.id);

describe('GET /api/tasks', () => {
  it('needs the API token', async () => {
    for (const headers of [{}, API('wrong'), { authorization: 'local-api-token' }]) {
      const answer = await getJson(`${tms.url}/api/tasks`, headers);
      expect(answer).toEqual({
        status: 401,
        body: { error: { code: 'UNAUTHENTICATED', message: expect.any(String) } },
      });
    }
  });

  it('lists newest first and filters by status and service', async () => {
    expect(ids((await list()).body.tasks)).toEqual([
      'TMS-7',
      'TMS-6',
      'TMS-5',
      'TMS-4',
      'TMS-3',
      'TMS-2',
      'TMS-1',
    ]);
    expect(ids((await list('?status=resolved')).body.tasks)).toEqual(['TMS-6', 'TMS-2']);
    expect(ids((await list('?status=open&service=checkout')).body.tasks)).toEqual([
      'TMS-4',
      'TMS-3',
      'TMS-1',
    ]);
    expect(ids((await list('?service=general')).body.tasks)).toEqual(['TMS-7', 'TMS-6', 'TMS-5']);
    expect((await list('?assignee=U01AAA')).body).toEqual({ tasks: [], next: null });
  });

  it('pages with an opaque cursor until next is null', async () => {
    const first = (await list('?limit=3')).body;
    expect(ids(first.tasks)).toEqual(['TMS-7', 'TMS-6', 'TMS-5']);
    expect(typeof first.next).toBe('string');
    const second = (await list(`?limit=3&cursor=${first.next}`)).body;
    expect(ids(second.tasks)).toEqual(['TMS-4', 'TMS-3', 'TMS-2']);
    const third = (await list(`?limit=3&cursor=${second.next}`)).body;
    expect(third).toMatchObject({ tasks: [expect.objectContaining({ id: 'TMS-1' })], next: null });
  });

  it('returns tasks in the shape the contract fixes', async () => {
    const [task] = (await list('?limit=1')).body.tasks;
    for (const field of [
      'id',
      'title',
      'description',
      'status',
      'priority',
      'service',
      'team',
      'source',
      'kind',
      'assignee',
      'channel',
      'fingerprint',
      'occurrences',
      'firstSeenAt',
      'lastSeenAt',
      'snoozedUntil',
      'ackDueAt',
      'resolveDueAt',
      'createdAt',
      'acknowledgedAt',
      'resolvedAt',
      'resolvedBy',
      'resolution',
      'labels',
      'links',
      'version',
    ]) {
      expect(task, field).toHaveProperty(field);
    }
    expect(task.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('refuses a bad status, limit or cursor with 400 and the reason', async () => {
    for (const query of ['?status=closed', '?limit=0', '?limit=500', '?cursor=abc']) {
      const answer = await list(query);
      expect(answer.status, query).toBe(400);
      expect(answer.body.error.code).toBe('INVALID_INPUT');
    }
  });
});

describe('GET /api/tasks/{id}', () => {
  it('finds a task by TMS-n or n, with its timeline', async () => {
    for (const id of ['TMS-2', '2', 'tms-2']) {
      const { status, body } = await getJson(`${tms.url}/api/tasks/${id}`, API());
      expect(status).toBe(200);
      expect(body.task).toMatchObject({ id: 'TMS-2', status: 'resolved', resolvedBy: 'generic' });
      expect(body.timeline.map((e: { type: string }) => e.type)).toEqual(['opened', 'resolved']);
      expect(body.timeline[1]).toMatchObject({
        actor: { type: 'source', id: 'generic' },
        via: 'ingest',
        version: 2,
      });
    }
  });

  it('answers 404 for a task that does not exist and 400 for what is not an id', async () => {
    expect(await getJson(`${tms.url}/api/tasks/TMS-999`, API())).toEqual({
      status: 404,
      body: { error: { code: 'TASK_NOT_FOUND', message: 'There is no task TMS-999' } },
    });
    expect((await getJson(`${tms.url}/api/tasks/drop%20table`, API())).status).toBe(400);
    expect((await getJson(`${tms.url}/api/tasks/%E0%A4%A`, API())).status).toBe(400);
    expect((await getJson(`${tms.url}/api/tasks/TMS-2`)).status).toBe(401);
  });

  it('says where the task’s Slack card is and whether it shows the latest version', async () => {
    await tms.dispatcher.idle();
    const { body } = await getJson(`${tms.url}/api/tasks/TMS-2`, API());
    expect(body.card).toEqual({
      channel: 'C0CHECKOUT',
      ts: expect.stringMatching(/^\d+\.\d{6}$/),
      permalink: expect.stringContaining('/_sandbox/slack/archives/C0CHECKOUT/p'),
      version: 2,
      upToDate: true,
      lastError: null,
      retryAt: null,
    });
  });
});

describe('the API on AWS', () => {
  const event = (requestContext: Record<string, unknown>) =>
    ({
      version: '2.0',
      routeKey: 'GET /api/tasks/{id}',
      rawPath: '/api/tasks/TMS-1',
      rawQueryString: '',
      headers: {},
      pathParameters: { id: 'TMS-1' },
      requestContext,
      isBase64Encoded: false,
    }) as never;

  it('trusts a verified Cognito JWT, and no other authorizer shape', async () => {
    const { makeApiHandler } = await import('../../src/handlers/api.js');
    const handler = makeApiHandler(tms.deps);
    const withJwt = await handler(
      event({ authorizer: { jwt: { claims: { sub: 'u-1', 'cognito:groups': '[admin]' }, scopes: [] } } }),
    );
    const lambdaAuthorizer = await handler(event({ authorizer: { lambda: { anything: true } } }));
    const emptyJwt = await handler(event({ authorizer: { jwt: {} } }));
    expect(withJwt.statusCode).toBe(200);
    expect(lambdaAuthorizer.statusCode).toBe(401);
    expect(emptyJwt.statusCode).toBe(401);
  });
});

describe('the local server', () => {
  it('answers 404 with a JSON reason for routes it does not have', async () => {
    expect(await getJson(`${tms.url}/nope`)).toEqual({
      status: 404,
      body: { error: { code: 'NOT_FOUND', message: 'No route GET /nope' } },
    });
  });

  it('refuses a post from a web page in a browser, whose origin is another site', async () => {
    const before = (await list('?limit=100')).body.tasks.length;
    const fromPage = await postJson(
      `${tms.url}/ingest/generic`,
      {
        routing_key: 'local-ingest-token',
        event_action: 'trigger',
        dedup_key: 'csrf',
        payload: { summary: 'x', source: 'x', severity: 'info' },
      },
      { origin: 'https://evil.example', 'content-type': 'text/plain' },
    );
    expect(fromPage.status).toBe(403);
    expect(fromPage.body.error.code).toBe('FORBIDDEN');
    const fault = await postJson(
      `${tms.url}/_sandbox/slack/faults`,
      { method: 'chat.update', error: 'invalid_auth' },
      { origin: 'http://localhost:8080' },
    );
    expect(fault.status).toBe(403);
    expect((await list('?limit=100')).body.tasks.length).toBe(before);
  });
});
