import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WebhookRequest, WebhookSender } from '../../src/core/ports.js';
import { configScheduleId, newSchedule, Schedule } from '../../src/core/schedule.js';
import { ManualClock } from '../../src/core/time.js';
import { makeApiHandler } from '../../src/handlers/api.js';
import type { HttpResult } from '../../src/http/respond.js';
import { signDevToken } from '../../src/local/dev-token.js';
import { buildDeps, type HouseDeps } from '../../src/runtime/deps.js';
import { secretsOf } from '../../src/runtime/secrets.js';
import { MemoryScheduleStore } from '../fakes/memory-schedule-store.js';
import { recordingApi } from '../helpers/dynamo-calls.js';
import { config } from '../helpers/factories.js';
import { API, getJson, inProcessStack, postJson, type TestStack } from '../helpers/local-stack.js';
import { ANA, BEN, CAL, GENERAL, VIC } from '../helpers/slack.js';

const NOW = '2027-01-03T12:00:00.000Z';

/** Who calls, as the JWT authorizer hands the claims of a verified Cognito token to the function on AWS. */
const as = (user: string, group: 'admin' | 'developer' | 'viewer') => ({
  requestContext: {
    authorizer: {
      jwt: { claims: { sub: `sub-${user}`, 'custom:slack_user_id': user, 'cognito:groups': group } },
    },
  },
});
const ADMIN = as(ANA, 'admin');
const DEVELOPER = as(BEN, 'developer');
const OTHER_DEVELOPER = as(CAL, 'developer');
const VIEWER = as(VIC, 'viewer');

/** A webhook sender that sends nothing: its presence is what makes webhook schedules possible. */
class RecordingWebhooks implements WebhookSender {
  readonly sent: WebhookRequest[] = [];
  async send(request: WebhookRequest) {
    this.sent.push(request);
    return { ok: true as const, status: 200, attempts: 1, address: '203.0.113.7' };
  }
}

/** An answer's body, loosely typed: the tests read it field by field, as a client does. */
// biome-ignore lint/suspicious/noExplicitAny: response bodies are what the tests examine, field by field
type Body = any;

/** The api function with its schedules in memory; the table is never reached by these routes. */
function apiWith(options: { webhooks?: WebhookSender } = {}) {
  const schedules = new MemoryScheduleStore();
  let ids = 0;
  const deps: HouseDeps = {
    ...buildDeps(
      {},
      {
        config,
        clock: new ManualClock(new Date(NOW)),
        secrets: secretsOf({ TMS_API_TOKEN: 'a-token' }),
        newId: () => `${(++ids).toString(36).padStart(4, '0')}abcdwxyz`,
        dynamo: {
          endpoint: 'http://127.0.0.1:9',
          region: 'local',
          credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
        },
      },
    ),
    schedules,
    ...(options.webhooks ? { webhooks: options.webhooks } : {}),
    webhooksEnabled: options.webhooks !== undefined,
  };
  const handler = makeApiHandler(deps);
  const call = async (
    request: Request,
  ): Promise<{ status: number; body: Body; headers: Record<string, string> }> => {
    const answer: HttpResult = await handler(eventOf(request));
    return {
      status: answer.statusCode ?? 200,
      body: answer.body ? JSON.parse(answer.body) : undefined,
      headers: (answer.headers ?? {}) as Record<string, string>,
    };
  };
  return { deps, schedules, call };
}

interface Request {
  readonly routeKey: string;
  readonly caller?: ReturnType<typeof as> | { headers: Record<string, string> };
  readonly body?: unknown;
  readonly id?: string;
  readonly query?: Record<string, string>;
}

function eventOf({ routeKey, caller = DEVELOPER, body, id, query }: Request): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  return {
    version: '2.0',
    routeKey,
    rawPath: routeKey.split(' ')[1]?.replace('{id}', id ?? '') ?? '',
    rawQueryString: '',
    headers: { ...headers, ...('headers' in caller ? caller.headers : {}) },
    ...(query ? { queryStringParameters: query } : {}),
    ...(id !== undefined ? { pathParameters: { id } } : {}),
    requestContext: 'requestContext' in caller ? caller.requestContext : {},
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2;
}

const create = (body: unknown, caller: Request['caller'] = DEVELOPER) =>
  ({ routeKey: 'POST /api/schedules', body, caller }) as const;
const read = (id: string, caller: Request['caller'] = DEVELOPER) =>
  ({ routeKey: 'GET /api/schedules/{id}', id, caller }) as const;
const remove = (id: string, caller: Request['caller'] = DEVELOPER) =>
  ({ routeKey: 'DELETE /api/schedules/{id}', id, caller }) as const;
const list = (query?: Record<string, string>, caller: Request['caller'] = DEVELOPER) =>
  ({ routeKey: 'GET /api/schedules', caller, ...(query ? { query } : {}) }) as const;

describe('POST /api/schedules', () => {
  it('makes the schedule as the caller, its first run read in its time zone', async () => {
    // Prepare
    const { call } = apiWith();
    // Act
    const answer = await call(
      create({
        title: '  Rotate the staging keys ',
        at: '2027-01-04T09:00',
        every: 'monthly',
        timezone: 'Europe/Berlin',
        priority: 'P3',
        service: 'checkout',
        assignee: BEN,
      }),
    );
    // Assess
    expect(answer.status).toBe(201);
    const { schedule } = answer.body;
    expect(Schedule.safeParse(schedule).success).toBe(true);
    expect(schedule).toEqual({
      id: expect.stringMatching(/^SCH-[0-9a-z]{8}$/),
      title: 'Rotate the staging keys',
      at: '2027-01-04T08:00:00.000Z', // 09:00 in Berlin, in winter
      every: 'month',
      timezone: 'Europe/Berlin',
      action: 'task',
      priority: 'P3',
      service: 'checkout',
      assignee: BEN,
      status: 'scheduled',
      nextRunAt: '2027-01-04T08:00:00.000Z',
      lastRun: null,
      createdBy: BEN,
      createdAt: NOW,
      origin: 'api',
      version: 1,
    });
    expect(answer.headers.location).toBe(`/api/schedules/${schedule.id}`);
  });

  it('reads a time without an offset as UTC when no zone is named, and one with an offset as written', async () => {
    const { call } = apiWith();
    const utc = await call(create({ title: 'Once', at: '2027-01-05 10:30' }));
    expect(utc.status).toBe(201);
    expect(utc.body.schedule).toMatchObject({ at: '2027-01-05T10:30:00.000Z', timezone: 'UTC' });
    expect(utc.body.schedule.every).toBeUndefined();
    const offset = await call(
      create({ title: 'Once', at: '2027-01-05T10:30:00+02:00', timezone: 'Asia/Tokyo' }),
    );
    expect(offset.body.schedule).toMatchObject({ at: '2027-01-05T08:30:00.000Z', timezone: 'Asia/Tokyo' });
  });

  it('starts a recurring schedule whose first time has passed at its next run after now', async () => {
    const { call } = apiWith();
    const answer = await call(create({ title: 'Stand-up', at: '2027-01-01T09:30:00Z', every: 'weekday' }));
    expect(answer.status).toBe(201);
    // 2027-01-03 is a Sunday: the next weekday at 09:30 is Monday's.
    expect(answer.body.schedule).toMatchObject({ every: 'weekday', nextRunAt: '2027-01-04T09:30:00.000Z' });
  });

  it('takes a cron pattern and a reminder to a channel', async () => {
    const { call } = apiWith();
    const answer = await call(
      create({
        title: 'Stand-up',
        at: '2027-01-04T09:30Z',
        every: '30 9 * * 1-5',
        action: 'message',
        channel: GENERAL,
      }),
    );
    expect(answer.status).toBe(201);
    expect(answer.body.schedule).toMatchObject({
      action: 'message',
      channel: GENERAL,
      every: '30 9 * * 1-5',
    });
  });

  it('takes a webhook to a loopback URL where webhooks are sent: addresses are checked when it is sent', async () => {
    const { call } = apiWith({ webhooks: new RecordingWebhooks() });
    const answer = await call(
      create({
        title: 'Export',
        at: '2027-01-04T02:00Z',
        action: 'webhook',
        url: 'http://127.0.0.1:8080/hook',
      }),
    );
    expect(answer.status).toBe(201);
    expect(answer.body.schedule).toMatchObject({ action: 'webhook', url: 'http://127.0.0.1:8080/hook' });
  });

  it("shows others a webhook's URL down to its origin: its path and query are where tokens go", async () => {
    // Prepare
    const { call } = apiWith({ webhooks: new RecordingWebhooks() });
    const url = 'https://hooks.slack.com/services/T000/B000/XXXXSECRET?token=abc';
    const made = await call(create({ title: 'Export', at: '2027-01-04T02:00Z', action: 'webhook', url }));
    const id = made.body.schedule.id as string;
    // Act
    const mine = await call(read(id));
    const theirs = await call(read(id, VIEWER));
    const listed = await call({ routeKey: 'GET /api/schedules', caller: VIEWER });
    const admins = await call(read(id, ADMIN));
    // Assess
    expect(mine.body.schedule.url).toBe(url);
    expect(admins.body.schedule.url).toBe(url);
    expect(theirs.body.schedule.url).toBe('https://hooks.slack.com/…');
    expect(listed.body.schedules.map((s: { url: string }) => s.url)).toEqual(['https://hooks.slack.com/…']);
    expect(JSON.stringify([theirs.body, listed.body])).not.toContain('SECRET');
  });

  it.each([
    ['no title', { at: '2027-01-04T09:00Z' }, /^title: /],
    ['a blank title', { title: '   ', at: '2027-01-04T09:00Z' }, /^title: /],
    ['no time', { title: 'Chore' }, /^at: /],
    ['a time that is not ISO', { title: 'Chore', at: 'tomorrow 9am' }, /^at: .*not an ISO date/],
    ['a date that does not exist', { title: 'Chore', at: '2027-02-30T09:00' }, /^at: .*not a date/],
    ['a one-off in the past', { title: 'Chore', at: '2027-01-03T11:59Z' }, /has passed/],
    [
      'a recurrence that is no keyword or cron',
      { title: 'Chore', at: '2027-01-04T09:00Z', every: 'fortnightly' },
      /not day, week, month, weekday or a cron/,
    ],
    [
      'a time zone that is none',
      { title: 'Chore', at: '2027-01-04T09:00', timezone: 'Mars/Olympus' },
      /^timezone: .*not a time zone/,
    ],
    [
      'a reminder without a channel',
      { title: 'Chore', at: '2027-01-04T09:00Z', action: 'message' },
      /names the channel/,
    ],
    [
      'a channel that is no channel id',
      { title: 'Chore', at: '2027-01-04T09:00Z', action: 'message', channel: '#general' },
      /Slack channel id/,
    ],
    ['an action that is none', { title: 'Chore', at: '2027-01-04T09:00Z', action: 'email' }, /^action: /],
    [
      'a service that is not configured',
      { title: 'Chore', at: '2027-01-04T09:00Z', service: 'nosuch' },
      /not a configured service/,
    ],
    [
      'an assignee that is no Slack user',
      { title: 'Chore', at: '2027-01-04T09:00Z', assignee: 'ben' },
      /^assignee: /,
    ],
    [
      'a URL without the webhook action',
      { title: 'Chore', at: '2027-01-04T09:00Z', url: 'https://hooks.example.com/x' },
      /goes with action webhook/,
    ],
    ['an unknown field', { title: 'Chore', at: '2027-01-04T09:00Z', priorty: 'P1' }, /^priorty: not a field/],
    ['a body that is not JSON', '{"title": "Chore",', /^body: not valid JSON/],
  ])('refuses %s with 400 and why', async (_, body, why) => {
    const { call, schedules } = apiWith({ webhooks: new RecordingWebhooks() });
    const answer = await call(create(body));
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('INVALID_INPUT');
    expect(answer.body.error.message).toMatch(why);
    expect(schedules.schedules.size).toBe(0);
  });

  it.each([
    ['has no URL', { action: 'webhook' }, /names its URL/],
    ['is not a URL', { action: 'webhook', url: 'hooks.example.com/x' }, /^url: .*not a URL/],
    ['is not http(s)', { action: 'webhook', url: 'file:///etc/passwd' }, /^url: .*http/],
    [
      'carries credentials',
      { action: 'webhook', url: 'https://user:pw@hooks.example.com/x' },
      /^url: .*no user or password/,
    ],
  ])('refuses a webhook that %s', async (_, fields, why) => {
    const { call } = apiWith({ webhooks: new RecordingWebhooks() });
    const answer = await call(create({ title: 'Export', at: '2027-01-04T02:00Z', ...fields }));
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toMatch(why);
  });

  it('refuses a webhook where webhooks are not set up (no key to sign them with)', async () => {
    const { call, schedules } = apiWith();
    const answer = await call(
      create({
        title: 'Export',
        at: '2027-01-04T02:00Z',
        action: 'webhook',
        url: 'https://hooks.example.com/tms',
      }),
    );
    expect(answer.status).toBe(400);
    expect(answer.body.error).toEqual({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('TMS_WEBHOOK_SECRET'),
    });
    expect(schedules.schedules.size).toBe(0);
  });

  it('refuses a viewer (403) before reading the body, and a caller with no token (401)', async () => {
    const { call, schedules } = apiWith();
    const viewer = await call(create('not even JSON', VIEWER));
    expect(viewer.status).toBe(403);
    expect(viewer.body.error.code).toBe('NOT_ALLOWED');
    const nobody = await call(create({ title: 'Chore', at: '2027-01-04T09:00Z' }, { headers: {} }));
    expect(nobody.status).toBe(401);
    expect(nobody.body.error.code).toBe('UNAUTHENTICATED');
    expect(schedules.schedules.size).toBe(0);
  });

  it('takes the API token as an admin', async () => {
    const { call } = apiWith();
    const answer = await call(
      create({ title: 'Chore', at: '2027-01-04T09:00Z' }, { headers: API('a-token') }),
    );
    expect(answer.status).toBe(201);
    expect(answer.body.schedule.createdBy).toBe('api-token');
  });
});

describe('GET /api/schedules and /api/schedules/{id}', () => {
  let api: ReturnType<typeof apiWith>;
  let soon: string;
  let later: string;
  beforeEach(async () => {
    api = apiWith();
    later = (await api.call(create({ title: 'Later', at: '2027-01-10T09:00Z' }))).body.schedule.id;
    soon = (await api.call(create({ title: 'Soon', at: '2027-01-04T09:00Z', every: 'day' }))).body.schedule
      .id;
  });

  it('lists every schedule, soonest next run first, to any role', async () => {
    for (const caller of [VIEWER, DEVELOPER, ADMIN]) {
      const answer = await api.call(list(undefined, caller));
      expect(answer.status).toBe(200);
      expect(answer.body.schedules.map((s: Schedule) => s.id)).toEqual([soon, later]);
    }
  });

  it('lists only those in the state asked for', async () => {
    // Prepare: the one-off ran and failed.
    const lastRun = { scheduledFor: '2027-01-10T09:00:00.000Z', status: 'failed', error: 'boom' } as const;
    expect(
      await api.schedules.advanceSchedule(later, '2027-01-10T09:00:00.000Z', {
        nextRunAt: null,
        lastRun,
        status: 'failed',
      }),
    ).toBe(true);
    // Act
    const failed = await api.call(list({ status: 'failed' }));
    const scheduled = await api.call(list({ status: 'scheduled' }));
    const completed = await api.call(list({ status: 'completed' }));
    const all = await api.call(list({ status: '' }));
    // Assess
    expect(failed.body.schedules).toEqual([
      expect.objectContaining({ id: later, status: 'failed', lastRun }),
    ]);
    expect(scheduled.body.schedules.map((s: Schedule) => s.id)).toEqual([soon]);
    expect(completed.body.schedules).toEqual([]);
    expect(all.body.schedules).toHaveLength(2);
  });

  it('refuses a state that is none', async () => {
    const answer = await api.call(list({ status: 'done' }));
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toBe(
      'status: "done" is not one of scheduled, running, completed, failed',
    );
  });

  it('reads one with its runs, newest first, whatever the case of its id', async () => {
    // Prepare: two runs, as the executor records them.
    for (const scheduledFor of ['2027-01-04T09:00:00.000Z', '2027-01-05T09:00:00.000Z']) {
      const run = { scheduleId: soon, scheduledFor, status: 'running', startedAt: scheduledFor } as const;
      await api.schedules.beginRun(run, 'sweeper', '2027-01-05T10:00:00.000Z', scheduledFor);
      await api.schedules.finishRun(
        { ...run, status: 'completed', finishedAt: scheduledFor, taskId: 'TMS-7' },
        'sweeper',
      );
    }
    // Act
    const answer = await api.call(read(soon.toUpperCase().replace('SCH-', 'sch-'), VIEWER));
    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body.schedule).toMatchObject({ id: soon, title: 'Soon' });
    expect(answer.body.runs.map((r: { scheduledFor: string }) => r.scheduledFor)).toEqual([
      '2027-01-05T09:00:00.000Z',
      '2027-01-04T09:00:00.000Z',
    ]);
    expect(answer.body.runs[0]).toMatchObject({ status: 'completed', taskId: 'TMS-7' });
  });

  it('answers 404 for an id that names no schedule, 400 for what is no schedule id', async () => {
    const unknown = await api.call(read('SCH-00000000'));
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('SCHEDULE_NOT_FOUND');
    const malformed = await api.call(read('TMS-42'));
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.message).toMatch(/not a schedule id such as SCH-/);
  });

  it('answers 401 without a token', async () => {
    expect((await api.call(list(undefined, { headers: {} }))).status).toBe(401);
    expect((await api.call(read(soon, { headers: {} }))).status).toBe(401);
  });
});

describe('DELETE /api/schedules/{id}', () => {
  it('lets its maker remove it: 204, then 404', async () => {
    const { call, schedules } = apiWith();
    const { id } = (await call(create({ title: 'Chore', at: '2027-01-04T09:00Z' }))).body.schedule;
    const removed = await call(remove(id));
    expect(removed.status).toBe(204);
    expect(removed.body).toBeUndefined();
    expect(schedules.schedules.size).toBe(0);
    expect((await call(remove(id))).status).toBe(404);
    expect((await call(read(id))).body.error.code).toBe('SCHEDULE_NOT_FOUND');
  });

  it('refuses another developer and a viewer (403), and lets an admin', async () => {
    const { call } = apiWith();
    const { id } = (await call(create({ title: 'Chore', at: '2027-01-04T09:00Z' }))).body.schedule;
    for (const caller of [OTHER_DEVELOPER, VIEWER]) {
      const refused = await call(remove(id, caller));
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('NOT_ALLOWED');
    }
    expect((await call(read(id))).status).toBe(200);
    expect((await call(remove(id, ADMIN))).status).toBe(204);
  });

  it('refuses to remove a schedule from the config, even to an admin: the config removes it', async () => {
    // Prepare: a schedule as the config sweep keeps it.
    const { call, schedules } = apiWith();
    const entry = { title: 'Rotate keys', at: '2027-01-04T09:00Z', every: 'month' };
    const id = configScheduleId(entry);
    await schedules.createSchedule(
      newSchedule(
        { title: entry.title, at: new Date(entry.at), every: 'month', timezone: 'UTC', action: 'task' },
        { id, createdBy: 'config', createdAt: new Date(NOW), origin: 'config' },
      ),
    );
    // Act
    const answer = await call(remove(id, ADMIN));
    // Assess
    expect(answer.status).toBe(403);
    expect(answer.body.error.message).toMatch(/comes from the config/);
    expect(schedules.schedules.has(id)).toBe(true);
  });
});

describe('the schedules API on the local stack', () => {
  let stack: TestStack;
  let developer: Record<string, string>;
  let viewer: Record<string, string>;
  const token = (role: 'developer' | 'viewer', user: string) =>
    signDevToken({ role, user, ttlMs: 3_600_000, secret: stack.secrets.TMS_JWT_SECRET, now: new Date() });

  beforeAll(async () => {
    stack = await inProcessStack();
    developer = API(await token('developer', BEN));
    viewer = API(await token('viewer', VIC));
  });
  afterAll(() => stack.close());

  it('makes, lists, reads and removes a schedule, kept in the table', async () => {
    const at = new Date(Date.now() + 3 * 86_400_000).toISOString();
    const made = await postJson(
      `${stack.url}/api/schedules`,
      { title: 'Rotate the staging keys', at, every: 'week', service: 'checkout' },
      developer,
    );
    expect(made.status).toBe(201);
    const { id } = made.body.schedule;
    expect(made.body.schedule).toMatchObject({ status: 'scheduled', createdBy: BEN, timezone: 'UTC' });

    const listed = await getJson(`${stack.url}/api/schedules?status=scheduled`, viewer);
    expect(listed.status).toBe(200);
    expect(listed.body.schedules.map((s: Schedule) => s.id)).toContain(id);
    const detail = await getJson(`${stack.url}/api/schedules/${id}`, viewer);
    expect(detail.body).toEqual({ schedule: made.body.schedule, runs: [] });

    const refused = await fetch(`${stack.url}/api/schedules/${id}`, { method: 'DELETE', headers: viewer });
    expect(refused.status).toBe(403);
    const removed = await fetch(`${stack.url}/api/schedules/${id}`, { method: 'DELETE', headers: developer });
    expect(removed.status).toBe(204);
    expect((await getJson(`${stack.url}/api/schedules/${id}`, viewer)).status).toBe(404);
  });

  it('calls on the table only what the api function is granted on AWS (dynalite grants everything)', async () => {
    const api = recordingApi(stack);
    const made = await api.call('POST /api/schedules', { title: 'Chore', at: '2030-01-01T09:00Z' });
    expect(made.status).toBe(201);
    const id = made.body.schedule.id;
    expect((await api.call('GET /api/schedules')).status).toBe(200);
    expect((await api.call('GET /api/schedules/{id}', undefined, { id })).status).toBe(200);
    expect((await api.call('DELETE /api/schedules/{id}', undefined, { id })).status).toBe(204);
    expect(api.called.size).toBeGreaterThan(0);
    expect(api.outsideGrants()).toEqual([]);
  });

  it('answers 401 without a token', async () => {
    const answer = await postJson(`${stack.url}/api/schedules`, { title: 'Chore', at: '2030-01-01T00:00Z' });
    expect(answer.status).toBe(401);
    expect((await getJson(`${stack.url}/api/schedules`)).status).toBe(401);
  });
});
