import { randomBytes } from 'node:crypto';
import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { LiveSender } from '../core/ports.js';
import type { LiveEvent, LiveResult } from '../handlers/live.js';
import { isLocalHost } from './gateway.js';

/** Where the dashboard connects, on the stack's own HTTP server (`ws://127.0.0.1:$PORT/api/live?token=…`). */
export const LIVE_PATH = '/api/live';
/** API Gateway's most a WebSocket message may be; the handler refuses far less (src/core/live.ts). */
const MAX_FRAME = 128 * 1024;

interface Connection {
  /** Set once the handshake is done; until then what is sent waits, as API Gateway holds it till `$connect` ends. */
  socket?: WebSocket;
  readonly waiting: string[];
  /** Its messages are handled one after another, in the order they came. */
  turn: Promise<unknown>;
}

/**
 * The WebSocket API of the local stack: each upgrade of `/api/live`, message and close becomes the event API
 * Gateway would deliver (`$connect`, `$default`, `$disconnect`) to the same handler the Lambda runs, and the
 * stack's LiveSender writes to these sockets (a closed one is gone, as a 410 says on AWS). `$connect`
 * refusing answers the upgrade with its status and body, before any WebSocket exists.
 */
export class LiveServer implements LiveSender {
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME });
  readonly #connections = new Map<string, Connection>();
  readonly #inFlight = new Set<Promise<unknown>>();
  #handler: ((event: LiveEvent) => Promise<LiveResult>) | undefined;
  #closed = false;

  constructor(
    private readonly options: {
      /** The stack's own address: a page of another origin may not connect (its browser names the page). */
      readonly origin: () => string;
      readonly print?: (line: string) => void;
    },
  ) {}

  attach(handler: (event: LiveEvent) => Promise<LiveResult>): void {
    this.#handler = handler;
  }

  /** Connections open now. */
  get size(): number {
    return this.#connections.size;
  }

  /** The HTTP server's `upgrade` event. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const work = this.#upgrade(req, socket, head).catch((error: Error) => {
      this.options.print?.(`live: ${error.message}`);
      refuse(socket, 500, { error: { code: 'INTERNAL', message: 'The local WebSocket failed' } });
    });
    this.#track(work);
  }

  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== LIVE_PATH)
      return refuse(socket, 404, {
        error: { code: 'NOT_FOUND', message: `No WebSocket at ${url.pathname}` },
      });
    if (!isLocalHost(req.headers.host, this.options.origin()))
      return refuse(socket, 421, {
        error: {
          code: 'MISDIRECTED',
          message: `This TMS answers as ${new URL(this.options.origin()).host} only`,
        },
      });
    // A page open in this machine's browser could otherwise connect with the public development token.
    const origin = req.headers.origin;
    if (origin && origin !== this.options.origin())
      return refuse(socket, 403, {
        error: { code: 'FORBIDDEN', message: `WebSockets from web pages (${origin}) are not accepted` },
      });
    const handler = this.#handler;
    if (!handler || this.#closed)
      return refuse(socket, 503, { error: { code: 'UNAVAILABLE', message: 'TMS is starting or stopping' } });
    const id = randomBytes(12).toString('base64url');
    const connection: Connection = { waiting: [], turn: Promise.resolve() };
    this.#connections.set(id, connection);
    const result = await handler({
      requestContext: { routeKey: '$connect', connectionId: id },
      queryStringParameters: Object.fromEntries(url.searchParams),
    });
    if (result.statusCode < 200 || result.statusCode > 299) {
      this.#connections.delete(id);
      return refuse(socket, result.statusCode, result.body ?? '', result.headers);
    }
    if (socket.destroyed || this.#closed) {
      // The client left during `$connect`: API Gateway would say `$disconnect`.
      this.#connections.delete(id);
      await handler({ requestContext: { routeKey: '$disconnect', connectionId: id } });
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      connection.socket = ws;
      for (const message of connection.waiting.splice(0)) ws.send(message);
      ws.on('message', (data: Buffer | Buffer[] | ArrayBuffer) => {
        const body = Buffer.isBuffer(data)
          ? data.toString('utf8')
          : Array.isArray(data)
            ? Buffer.concat(data).toString('utf8')
            : Buffer.from(data).toString('utf8');
        connection.turn = connection.turn.then(() =>
          this.#call(handler, { requestContext: { routeKey: '$default', connectionId: id }, body }),
        );
        this.#track(connection.turn);
      });
      ws.on('close', () => {
        this.#connections.delete(id);
        connection.turn = connection.turn.then(() =>
          this.#call(handler, { requestContext: { routeKey: '$disconnect', connectionId: id } }),
        );
        this.#track(connection.turn);
      });
    });
  }

  async #call(handler: (event: LiveEvent) => Promise<LiveResult>, event: LiveEvent): Promise<void> {
    try {
      await handler(event);
    } catch (error) {
      this.options.print?.(`live: ${event.requestContext.routeKey} failed: ${(error as Error).message}`);
    }
  }

  #track(work: Promise<unknown>): void {
    const settled = work.then(
      () => {},
      () => {},
    );
    this.#inFlight.add(settled);
    void settled.then(() => this.#inFlight.delete(settled));
  }

  async send(connectionId: string, message: string): Promise<'sent' | 'gone'> {
    const connection = this.#connections.get(connectionId);
    if (!connection) return 'gone';
    const { socket } = connection;
    if (!socket) {
      connection.waiting.push(message);
      return 'sent';
    }
    if (socket.readyState !== socket.OPEN) return 'gone';
    // A client that reads nothing would make this process hold all it is sent: past a bound it is cut off and
    // gone, as API Gateway drops a connection it cannot deliver to.
    if (socket.bufferedAmount > MAX_BUFFERED) {
      socket.terminate();
      return 'gone';
    }
    await new Promise<void>((resolve, reject) =>
      socket.send(message, (error) => (error ? reject(error) : resolve())),
    );
    return 'sent';
  }

  /** Closes every socket (going away) and waits for their `$disconnect`. */
  async close(): Promise<void> {
    this.#closed = true;
    // Every socket's close (its `$disconnect` is queued then) before the store it writes to goes: a client
    // that is slow to answer the closing handshake is cut off after a while.
    const closed = [...this.#wss.clients].map((ws) =>
      ws.readyState === ws.CLOSED
        ? Promise.resolve()
        : new Promise<void>((resolve) => ws.once('close', () => resolve())),
    );
    for (const ws of this.#wss.clients) ws.close(1001, 'TMS is stopping');
    const cutOff = setTimeout(() => {
      for (const ws of this.#wss.clients) ws.terminate();
    }, 2_000);
    await Promise.all(closed);
    clearTimeout(cutOff);
    for (let round = 0; round < 5 && this.#inFlight.size > 0; round++) await Promise.all([...this.#inFlight]);
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }
}

/** What a local socket may have waiting to be sent before its client counts as gone. */
const MAX_BUFFERED = 1024 * 1024;

/** An upgrade refused as an HTTP answer: the client's handshake fails with this status (a 401 says why). */
function refuse(
  socket: Duplex,
  status: number,
  body: unknown,
  headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' },
): void {
  if (socket.destroyed) return;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    ...Object.entries({
      ...headers,
      'content-length': String(Buffer.byteLength(text)),
      connection: 'close',
    }).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${text}`);
}
