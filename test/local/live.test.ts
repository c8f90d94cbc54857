import { get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ServerMessage } from '../../src/core/live.js';
import { ManualClock } from '../../src/core/time.js';
import { signDevToken } from '../../src/local/dev-token.js';
import { inProcessStack, type TestStack } from '../helpers/local-stack.js';

/** A client of the live updates: every message it was sent, and a way to wait for the one a test expects. */
interface Client {
  readonly ws: WebSocket;
  readonly received: ServerMessage[];
  next(match: (m: ServerMessage) => boolean, what: string): Promise<ServerMessage>;
  send(message: unknown): void;
  close(): Promise<void>;
}

const WAIT_MS = 20_000;

function liveUrl(stack: TestStack, token?: string) {
  const base = stack.url.replace(/^http/, 'ws');
  return `${base}/api/live${token === undefined ? '' : `?token=${encodeURIComponent(token)}`}`;
}

function connect(stack: TestStack, token: string | undefined, headers: Record<string, string> = {}) {
  return new Promise<Client>((resolve, reject) => {
    const ws = new WebSocket(liveUrl(stack, token), { headers });
    const received: ServerMessage[] = [];
    const waiters: { match: (m: ServerMessage) => boolean; done: (m: ServerMessage) => void }[] = [];
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as ServerMessage;
      received.push(message);
      for (const waiter of [...waiters])
        if (waiter.match(message)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.done(message);
        }
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => reject(Object.assign(new Error('refused'), { status: res.statusCode, body })));
    });
    ws.once('error', reject);
    ws.once('open', () =>
      resolve({
        ws,
        received,
        next: (match, what) => {
          const seen = received.find(match);
          if (seen) return Promise.resolve(seen);
          return new Promise((done, fail) => {
            const timer = setTimeout(() => fail(new Error(`no ${what} within ${WAIT_MS} ms`)), WAIT_MS);
            waiters.push({
              match,
              done: (m) => {
                clearTimeout(timer);
                done(m);
              },
            });
          });
        },
        send: (message) => ws.send(typeof message === 'string' ? message : JSON.stringify(message)),
        close: () =>
          new Promise<void>((done) => {
            if (ws.readyState === ws.CLOSED) return done();
            ws.once('close', () => done());
            ws.close();
          }),
      }),
    );
  });
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('the connection was accepted');
    },
    (error: { status?: number; body?: string }) => error,
  );

describe('live updates over the local WebSocket', () => {
  let stack: TestStack;
  let admin: string;
  const open: Client[] = [];
  const client = async (token = admin) => {
    const c = await connect(stack, token);
    open.push(c);
    return c;
  };
  const createTask = async (title: string) => {
    const response = await fetch(`${stack.url}/api/tasks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title, priority: 'P3', service: 'checkout' }),
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { task: { id: string; updatedAt: string; version: number } }).task;
  };
  const act = async (id: string, action: unknown) => {
    const response = await fetch(`${stack.url}/api/tasks/${id}/actions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify(action),
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { task: { id: string; updatedAt: string; version: number } }).task;
  };
  const changed = (id: string, version?: number) => (m: ServerMessage) =>
    m.type === 'task.changed' && m.task.id === id && (version === undefined || m.task.version === version);

  beforeAll(async () => {
    stack = await inProcessStack();
    admin = stack.secrets.TMS_API_TOKEN;
  }, 60_000);
  afterAll(async () => {
    await Promise.all(open.map((c) => c.close()));
    await stack?.close();
  }, 60_000);

  it('refuses a connection without a token, with a bad one, and from a page of another origin', async () => {
    const none = await refusal(connect(stack, undefined));
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body ?? '{}').error.code).toBe('UNAUTHENTICATED');
    const bad = await refusal(connect(stack, 'not-the-token'));
    expect(bad.status).toBe(401);
    const forged = await signDevToken({
      role: 'admin',
      ttlMs: 60_000,
      secret: 'another-secret-entirely-for-hs256',
      now: new Date(),
    });
    expect((await refusal(connect(stack, forged))).status).toBe(401);
    const elsewhere = await refusal(connect(stack, admin, { origin: 'https://evil.example' }));
    expect(elsewhere.status).toBe(403);
    // A page whose own name was made to resolve here (DNS rebinding) names its host, not this one.
    const rebound = await refusal(
      connect(stack, admin, { host: `tms.evil.example:${new URL(stack.url).port}` }),
    );
    expect(rebound.status).toBe(421);
    // Not a WebSocket request: told what it is.
    const plain = await fetch(`${stack.url}/api/live?token=${admin}`);
    expect(plain.status).toBe(426);
    // The page of the stack itself may connect.
    const own = await connect(stack, admin, { origin: stack.url });
    open.push(own);
    expect(own.ws.readyState).toBe(WebSocket.OPEN);
  }, 60_000);

  it('answers HTTP only when asked as this machine: a rebound page reads nothing of the offline Slack', async () => {
    const asked = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const request = get(`${stack.url}/_sandbox/slack/state`, { headers: { host } }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        request.once('error', reject);
      });
    const port = new URL(stack.url).port;
    expect(await asked(`tms.evil.example:${port}`)).toBe(421);
    expect(await asked(`localhost:${port}`)).toBe(200);
  }, 60_000);

  it('pushes a task created through the API to every client, a viewer as an admin', async () => {
    const viewerToken = await signDevToken({
      role: 'viewer',
      user: 'U09VIEW',
      ttlMs: 600_000,
      secret: stack.secrets.TMS_JWT_SECRET,
      now: new Date(),
    });
    const [one, two] = await Promise.all([client(), client(viewerToken)]);
    const task = await createTask('Live: fan-out to two dashboards');
    const [first, second] = await Promise.all([
      one?.next(changed(task.id), `task.changed of ${task.id}`),
      two?.next(changed(task.id), `task.changed of ${task.id}`),
    ]);
    // The task as GET /api/tasks/{id} shows it.
    const shown = (await (
      await fetch(`${stack.url}/api/tasks/${task.id}`, { headers: { authorization: `Bearer ${admin}` } })
    ).json()) as { task: unknown };
    expect(first).toEqual({ type: 'task.changed', task: shown.task });
    expect(second).toEqual(first);
  }, 60_000);

  it('catches a reconnecting client up on what changed while it was away', async () => {
    const before = await createTask('Live: seen before going away');
    const away = await client();
    await away.close();
    await stack.idle();
    const acked = await act(before.id, { action: 'acknowledge' });
    const created = await createTask('Live: opened while away');
    await stack.idle();

    const back = await client();
    back.send({ type: 'since', at: before.updatedAt });
    const done = await back.next((m) => m.type === 'caught_up', 'caught_up');
    expect(done).toMatchObject({ type: 'caught_up', complete: true });
    const caughtUp = back.received.filter((m) => m.type === 'task.changed');
    const byId = new Map(caughtUp.map((m) => [m.type === 'task.changed' ? m.task.id : '', m]));
    expect(byId.get(before.id)).toMatchObject({ task: { id: before.id, version: acked.version } });
    expect(byId.get(created.id)).toMatchObject({ task: { id: created.id, status: 'open' } });
    // Sent before `caught_up`, each task once.
    expect(back.received.indexOf(done)).toBeGreaterThan(
      back.received.indexOf(byId.get(created.id) as ServerMessage),
    );
    expect(caughtUp.filter((m) => m.type === 'task.changed' && m.task.id === before.id)).toHaveLength(1);

    // A time older than the log keeps: the client is told to reload the list.
    back.send({ type: 'since', at: '2020-01-01T00:00:00.000Z' });
    await back.next((m) => m.type === 'caught_up' && !m.complete, 'caught_up complete:false');
  }, 60_000);

  it('forgets a connection that is gone when it is next sent something', async () => {
    const ghost = {
      id: 'ghost-connection-1',
      role: 'viewer' as const,
      actor: { type: 'user' as const, id: 'U0GHOST' },
      connectedAt: new Date(Date.now() - 3_600_000).toISOString(),
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    };
    await stack.deps.live.connect(ghost);
    const watcher = await client();
    const task = await createTask('Live: sent to a gone connection');
    await watcher.next(changed(task.id), `task.changed of ${task.id}`);
    await stack.idle();
    const now = new Date().toISOString();
    expect(await stack.deps.live.connection(ghost.id, now)).toBeUndefined();
    // The live one is kept.
    expect((await stack.deps.live.connections(now)).length).toBeGreaterThan(0);
  }, 60_000);

  it('answers a ping with a pong, and a malformed message with an error, and stays open', async () => {
    const c = await client();
    c.send({ type: 'ping' });
    await c.next((m) => m.type === 'pong', 'pong');
    c.send('{"type":');
    const notJson = await c.next((m) => m.type === 'error', 'error');
    expect(notJson).toMatchObject({ type: 'error', code: 'INVALID_MESSAGE' });
    c.send({ type: 'since', at: 'yesterday' });
    await c.next((m) => m.type === 'error' && m.message.startsWith('at:'), 'an error naming the field');
    c.send({ type: 'ping', extra: 1 });
    await c.next(
      (m) => m.type === 'error' && m !== notJson && /extra|Unrecognized/i.test(m.message),
      'unknown key',
    );
    c.send(JSON.stringify({ type: 'ping', pad: 'x'.repeat(5_000) }));
    await c.next((m) => m.type === 'error' && m.code === 'TOO_LARGE', 'TOO_LARGE');
    c.send({ type: 'ping' });
    const pongs = () => c.received.filter((m) => m.type === 'pong').length;
    await expect.poll(pongs, { timeout: WAIT_MS }).toBe(2);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
  }, 60_000);

  it('forgets a connection its client closed', async () => {
    const c = await client();
    const before = (await stack.deps.live.connections(new Date().toISOString())).length;
    await c.close();
    await expect
      .poll(async () => (await stack.deps.live.connections(new Date().toISOString())).length, {
        timeout: WAIT_MS,
      })
      .toBe(before - 1);
  }, 60_000);
});

describe('live news: trends and SLA warnings, as the channel hears them', () => {
  let stack: TestStack;
  const clock = new ManualClock('2026-03-02T09:00:00.000Z');
  let watcher: Client;
  const fire = (key: string, summary: string, severity: string) =>
    fetch(`${stack.url}/ingest/generic`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        routing_key: stack.secrets.INGEST_TOKEN,
        event_action: 'trigger',
        dedup_key: key,
        payload: { summary, source: 'prod', severity, component: 'checkout' },
      }),
    });

  beforeAll(async () => {
    stack = await inProcessStack({}, { clock });
    watcher = await connect(stack, stack.secrets.TMS_API_TOKEN);
  }, 60_000);
  afterAll(async () => {
    await watcher?.close();
    await stack?.close();
  }, 60_000);

  it('tells of a trend when it starts, once', async () => {
    // The default config's rule: five events within the hour, none in the day before.
    for (let i = 0; i < 5; i++) {
      expect((await fire('consumer-lag', 'Consumer lag above 10k on orders', 'error')).status).toBe(202);
      clock.advance(1_000);
    }
    const trend = await watcher.next((m) => m.type === 'trend', 'a trend');
    expect(trend).toMatchObject({
      type: 'trend',
      trend: { service: 'checkout', title: 'Consumer lag above 10k on orders', recent: 5, expected: 0 },
    });
    // It goes on holding: no second start.
    await fire('consumer-lag', 'Consumer lag above 10k on orders', 'error');
    await stack.idle();
    await watcher.next((m) => m.type === 'task.changed' && m.task.occurrences === 6, 'the sixth occurrence');
    expect(
      watcher.received.filter((m) => m.type === 'trend' && m.trend.title.startsWith('Consumer lag')),
    ).toHaveLength(1);
  }, 60_000);

  it('tells of an SLA warning once the sweeper has posted it', async () => {
    expect((await fire('disk-full', 'Disk 95% full on db-1', 'critical')).status).toBe(202);
    await stack.idle();
    const opened = await watcher.next(
      (m) => m.type === 'task.changed' && m.task.title === 'Disk 95% full on db-1',
      'the P1',
    );
    if (opened.type !== 'task.changed') throw new Error('not a task');
    expect(opened.task.priority).toBe('P1');
    // Past 80% of its five minutes to acknowledge: at risk.
    clock.advance(4.5 * 60_000);
    await stack.tick();
    await stack.idle();
    const warning = await watcher.next((m) => m.type === 'sla.warning', 'an SLA warning');
    expect(warning).toEqual({
      type: 'sla.warning',
      taskId: opened.task.id,
      kind: 'ack',
      state: 'at_risk',
      dueAt: opened.task.ackDueAt,
    });
    const posted = (await (await fetch(`${stack.url}/_sandbox/slack/messages`)).json()) as {
      messages: { text: string }[];
    };
    expect(
      posted.messages.some((m) => m.text.includes('left to acknowledge') && m.text.includes(opened.task.id)),
    ).toBe(true);
  }, 60_000);
});
