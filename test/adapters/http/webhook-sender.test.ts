import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  HttpWebhookSender,
  type HttpWebhookSenderOptions,
} from '../../../src/adapters/http/webhook-sender.js';
import { signWebhook, verifyWebhook } from '../../../src/core/webhook-signature.js';

const SECRET = 'whsec-test-only';
const NOW = new Date('2026-03-02T09:00:00.000Z');
const NOW_SECONDS = Math.floor(NOW.getTime() / 1000);
/** Non-ASCII on purpose: the body is signed and sent as UTF-8 bytes, and Content-Length counts bytes. */
const BODY = JSON.stringify({ title: 'Café backup ☕ — 日本語', runAt: NOW.toISOString() });

interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** The two headers verifyWebhook reads, as a receiver in Node gets them (a repeated header would be refused). */
const signatureHeaders = ({ headers }: Received) => ({
  signature: single(headers['x-tms-signature-256']),
  timestamp: single(headers['x-tms-timestamp']),
});
const single = (value: string | string[] | undefined) => (Array.isArray(value) ? undefined : value);

/** How the receiver answers its n-th request (0-based); `undefined` leaves the request unanswered. */
type Answer = (response: ServerResponse, n: number, path: string) => void;

const answerWith =
  (status: number, body = '', headers: Record<string, string> = {}): Answer =>
  (response) =>
    response.writeHead(status, headers).end(body);

/** A receiver that answers each request with the next answer in line (the last one repeats). */
const inTurn =
  (...answers: Answer[]): Answer =>
  (response, n, path) =>
    (answers[Math.min(n, answers.length - 1)] as Answer)(response, n, path);

describe('HttpWebhookSender against a real HTTP receiver on 127.0.0.1', () => {
  let server: Server;
  let port: number;
  let received: Received[];
  let answer: Answer;
  let sleeps: number[];

  beforeAll(async () => {
    server = createServer((request, response) => {
      // The sender stops reading (and closes) after 2 KB of an error answer: writes after that may fail.
      response.on('error', () => {});
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const path = request.url ?? '/';
        received.push({ path, headers: request.headers, body: Buffer.concat(chunks) });
        answer(response, received.length - 1, path);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    // Requests a test left unanswered (the timeout case) do not outlive it.
    server.closeAllConnections();
    received = [];
    answer = answerWith(200, 'ok');
    sleeps = [];
  });

  /** A sender with a recording sleep that resolves at once: retries are checked by what they waited, not timed. */
  const sender = (options: Partial<HttpWebhookSenderOptions> = {}) =>
    new HttpWebhookSender({
      secret: SECRET,
      allowHosts: ['127.0.0.1'],
      now: () => NOW,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      ...options,
    });

  /** A resolver for test names: every call is recorded, and answers come from the table. */
  const resolver = (answers: Record<string, readonly string[]>) => {
    const calls: string[] = [];
    const lookup = async (host: string) => {
      calls.push(host);
      const addresses = answers[host];
      if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    };
    return { calls, lookup };
  };

  const hook = (host = '127.0.0.1', path = '/hook') => `http://${host}:${port}${path}`;
  const send = (s: HttpWebhookSender, url = hook(), deliveryId = 'run-1') =>
    s.send({ url, body: BODY, deliveryId });

  describe('a delivery', () => {
    it('arrives signed, with its delivery id and timestamp, and the body bytes exactly as given', async () => {
      // Act
      const result = await send(sender(), hook('127.0.0.1', '/hook?token=abc'), 'sched-1#2026-03-02T09:00');

      // Assess
      expect(result).toEqual({ ok: true, status: 200, attempts: 1, address: '127.0.0.1' });
      expect(received).toHaveLength(1);
      const [request] = received as [Received];
      expect(request.path).toBe('/hook?token=abc');
      expect(request.body.equals(Buffer.from(BODY, 'utf8'))).toBe(true);
      expect(request.headers['content-length']).toBe(String(Buffer.byteLength(BODY, 'utf8')));
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers['x-tms-delivery']).toBe('sched-1#2026-03-02T09:00');
      expect(request.headers['x-tms-timestamp']).toBe(String(NOW_SECONDS));
      expect(request.headers['x-tms-signature-256']).toBe(signWebhook(SECRET, NOW_SECONDS, BODY));
      const verified = verifyWebhook(SECRET, signatureHeaders(request), request.body.toString('utf8'), NOW);
      expect(verified).toEqual({ ok: true, value: { timestampSeconds: NOW_SECONDS } });
      expect(sleeps).toEqual([]);
    });

    it('is refused with another secret: the receiver can tell', async () => {
      // Act
      await send(sender({ secret: 'someone-else' }));

      // Assess
      const [request] = received as [Received];
      const verified = verifyWebhook(SECRET, signatureHeaders(request), request.body.toString('utf8'), NOW);
      expect(verified.ok).toBe(false);
    });
  });

  describe('SSRF: no request reaches an address inside the network unless webhooks.allowHosts names the host', () => {
    it.each([
      ['loopback 127.0.0.1', '127.0.0.1', {}, /127\.0\.0\.1, a loopback address/],
      ['loopback ::1', '[::1]', {}, /::1, a loopback address/],
      [
        'IPv4 written as IPv6, ::ffff:127.0.0.1',
        '[::ffff:127.0.0.1]',
        {},
        /127\.0\.0\.1, a loopback address/,
      ],
      ['a name that resolves to 127.0.0.1', 'hooks.test', { 'hooks.test': ['127.0.0.1'] }, /loopback/],
      [
        'a name that resolves to ::ffff:127.0.0.1',
        'hooks.test',
        { 'hooks.test': ['::ffff:127.0.0.1'] },
        /loopback/,
      ],
      [
        'a name that resolves to 10.x',
        'hooks.test',
        { 'hooks.test': ['10.0.0.5'] },
        /10\.0\.0\.5, a private/,
      ],
      ['a name that resolves to 192.168.x', 'hooks.test', { 'hooks.test': ['192.168.1.10'] }, /private/],
      [
        'a name that resolves to the metadata service',
        'hooks.test',
        { 'hooks.test': ['169.254.169.254'] },
        /169\.254\.169\.254, a linkLocal/,
      ],
      [
        'a name with one public and one private address',
        'hooks.test',
        { 'hooks.test': ['93.184.215.14', '10.0.0.1'] },
        /10\.0\.0\.1, a private/,
      ],
    ])('refuses %s', async (_, host, answers, reason) => {
      // Prepare
      const { lookup } = resolver(answers);

      // Act
      const result = await send(sender({ allowHosts: [], lookup }), hook(host));

      // Assess
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error).toMatch(/^refused: /);
      expect(result.error).toMatch(reason);
      expect(result.error).toContain('webhooks.allowHosts');
      // Refused before any connection, and not retried: another try would be refused the same way.
      expect(result.attempts).toBe(1);
      expect(result.status).toBeUndefined();
      expect(received).toHaveLength(0);
      expect(sleeps).toEqual([]);
    });

    it('refuses localhost as the system resolver answers it', async () => {
      // Act
      const result = await send(sender({ allowHosts: [] }), hook('localhost'));

      // Assess
      expect(result).toMatchObject({ ok: false, attempts: 1 });
      expect(!result.ok && result.error).toMatch(/^refused: localhost is at .*loopback/);
      expect(received).toHaveLength(0);
    });

    it('lets a loopback host through when the allow list names it', async () => {
      // Prepare
      const { lookup } = resolver({ 'hooks.test': ['127.0.0.1'] });

      // Act
      const byName = await send(sender({ allowHosts: ['Hooks.Test'], lookup }), hook('hooks.test'));
      const byAddress = await send(sender({ allowHosts: ['127.0.0.1'] }), hook('127.0.0.1'));

      // Assess
      expect(byName).toEqual({ ok: true, status: 200, attempts: 1, address: '127.0.0.1' });
      expect(byAddress).toEqual({ ok: true, status: 200, attempts: 1, address: '127.0.0.1' });
      expect(received).toHaveLength(2);
    });
  });

  describe('pinning: the socket goes to the address that was checked, and the host name stays the URL’s', () => {
    it('resolves once per attempt and connects to the checked answer, never resolving the name again', async () => {
      // Prepare: hooks.test is a reserved name no system resolver answers, so only the pinned address can reach us.
      const { calls, lookup } = resolver({ 'hooks.test': ['127.0.0.1'] });
      answer = inTurn(answerWith(503), answerWith(200));

      // Act
      const result = await send(sender({ allowHosts: ['hooks.test'], lookup }), hook('hooks.test'));

      // Assess
      expect(result).toEqual({ ok: true, status: 200, attempts: 2, address: '127.0.0.1' });
      expect(calls).toEqual(['hooks.test', 'hooks.test']);
      expect(received.map((request) => request.headers.host)).toEqual([
        `hooks.test:${port}`,
        `hooks.test:${port}`,
      ]);
    });

    it('connects to the first of several checked addresses', async () => {
      // Prepare: nothing listens on 127.0.0.2, so a connection there would fail.
      const { lookup } = resolver({ 'hooks.test': ['127.0.0.1', '127.0.0.2'] });

      // Act
      const result = await send(sender({ allowHosts: ['hooks.test'], lookup }), hook('hooks.test'));

      // Assess
      expect(result).toEqual({ ok: true, status: 200, attempts: 1, address: '127.0.0.1' });
    });

    it('retries a name that does not resolve, and says so', async () => {
      // Prepare
      const { calls, lookup } = resolver({});

      // Act
      const result = await send(sender({ lookup }), hook('nowhere.test'));

      // Assess
      expect(result).toMatchObject({ ok: false, attempts: 3 });
      expect(!result.ok && result.error).toMatch(/^could not resolve nowhere\.test: no such host/);
      expect(calls).toHaveLength(3);
      expect(sleeps).toEqual([1000, 4000]);
    });
  });

  describe('retries', () => {
    it('retries 503 twice with backoff 1 s then 4 s, and keeps the delivery id', async () => {
      // Prepare
      answer = inTurn(answerWith(503), answerWith(503), answerWith(200));

      // Act
      const result = await send(sender(), hook(), 'run-7');

      // Assess
      expect(result).toEqual({ ok: true, status: 200, attempts: 3, address: '127.0.0.1' });
      expect(sleeps).toEqual([1000, 4000]);
      expect(received.map((request) => request.headers['x-tms-delivery'])).toEqual([
        'run-7',
        'run-7',
        'run-7',
      ]);
    });

    it('gives up after three 500s with the status and what the receiver said', async () => {
      // Prepare
      answer = answerWith(500, 'database is down\n\u001b[31mtry later', { 'content-type': 'text/plain' });

      // Act
      const result = await send(sender());

      // Assess
      expect(result).toMatchObject({ ok: false, attempts: 3, status: 500 });
      expect(!result.ok && result.error).toBe(
        `POST http://127.0.0.1:${port}/hook answered 500 Internal Server Error: database is down [31mtry later (gave up after 3 attempts)`,
      );
      expect(received).toHaveLength(3);
      expect(sleeps).toEqual([1000, 4000]);
    });

    it('keeps a 1 MB error answer out of the error line: a few hundred characters at most', async () => {
      // Prepare
      answer = answerWith(500, 'x'.repeat(1024 * 1024));

      // Act
      const result = await send(sender());

      // Assess
      expect(result).toMatchObject({ ok: false, attempts: 3, status: 500 });
      const error = result.ok ? '' : result.error;
      expect(error).toMatch(/answered 500 Internal Server Error: x+… \(gave up after 3 attempts\)$/);
      expect(error.length).toBeLessThanOrEqual(320);
    });

    it('does not retry a 400, which another try would not change', async () => {
      // Prepare
      answer = answerWith(400, '{"error":"title is required"}');

      // Act
      const result = await send(sender());

      // Assess
      expect(result).toMatchObject({ ok: false, attempts: 1, status: 400 });
      expect(!result.ok && result.error).toContain('answered 400 Bad Request: {"error":"title is required"}');
      expect(received).toHaveLength(1);
      expect(sleeps).toEqual([]);
    });

    it('waits what a 429 asks in Retry-After, up to five seconds', async () => {
      // Prepare
      answer = inTurn(
        answerWith(429, '', { 'retry-after': '2' }),
        answerWith(429, '', { 'retry-after': '6' }),
        answerWith(200),
      );

      // Act
      const result = await send(sender());

      // Assess: 6 s is more than TMS waits (a run stays inside its sweep), so the backoff decides the second wait.
      expect(result).toMatchObject({ ok: true, attempts: 3 });
      expect(sleeps).toEqual([2000, 4000]);
    });

    it('takes a 2xx as delivered at once, though its body never ends: no second delivery', async () => {
      // Prepare: the receiver accepts and then keeps the connection open
      answer = (response) => {
        response.writeHead(202, { 'content-type': 'text/plain' });
        response.write('accepted, working on it');
      };

      // Act
      const result = await send(sender({ timeoutMs: 500 }));

      // Assess
      expect(result).toMatchObject({ ok: true, status: 202, attempts: 1 });
      expect(received).toHaveLength(1);
      expect(sleeps).toEqual([]);
    });

    it('retries a receiver that never answers, and says it timed out', async () => {
      // Prepare
      answer = () => {};

      // Act
      const result = await send(sender({ timeoutMs: 200 }));

      // Assess
      expect(result).toMatchObject({ ok: false, attempts: 3 });
      expect(result).not.toHaveProperty('status');
      expect(!result.ok && result.error).toBe(
        `POST http://127.0.0.1:${port}/hook timed out after 0.2 s (127.0.0.1 (127.0.0.1:${port})) (gave up after 3 attempts)`,
      );
      expect(sleeps).toEqual([1000, 4000]);
    });

    it('retries a refused connection, and says nothing listens there', async () => {
      // Prepare: a port that was just free.
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const closedPort = (closed.address() as AddressInfo).port;
      await new Promise((resolve) => closed.close(resolve));

      // Act
      const result = await send(sender(), `http://127.0.0.1:${closedPort}/hook`);

      // Assess
      expect(result).toMatchObject({ ok: false, attempts: 3 });
      expect(result).not.toHaveProperty('status');
      expect(!result.ok && result.error).toBe(
        `could not connect to 127.0.0.1 (127.0.0.1:${closedPort}): connection refused (nothing listens on that port), ECONNREFUSED (gave up after 3 attempts)`,
      );
      expect(sleeps).toEqual([1000, 4000]);
    });
  });

  describe('redirects', () => {
    it('does not follow a 302: its target is never asked, and the error says what to do', async () => {
      // Prepare
      answer = (response, _, path) =>
        path === '/hook'
          ? response.writeHead(302, { location: '/moved' }).end()
          : response.writeHead(200).end();

      // Act
      const result = await send(sender());

      // Assess
      expect(result).toMatchObject({ ok: false, attempts: 1, status: 302 });
      expect(!result.ok && result.error).toBe(
        `POST http://127.0.0.1:${port}/hook answered 302 Found, a redirect to /moved, not followed (it could point inside the network): give the webhook its final URL`,
      );
      expect(received.map((request) => request.path)).toEqual(['/hook']);
      expect(sleeps).toEqual([]);
    });
  });

  describe('URLs refused before any attempt', () => {
    it.each([
      ['not a URL', 'hooks.example.com/run'],
      ['another scheme', 'ftp://hooks.example.com/run'],
      ['credentials in the URL', 'https://user:pw@hooks.example.com/run'],
    ])('refuses %s with attempts 0', async (_, url) => {
      // Prepare
      const { calls, lookup } = resolver({});

      // Act
      const result = await send(sender({ lookup }), url);

      // Assess
      expect(result).toMatchObject({ ok: false, attempts: 0 });
      expect(!result.ok && result.error).toMatch(/^refused: .*webhook/);
      expect(calls).toEqual([]);
      expect(received).toHaveLength(0);
    });
  });
});
