import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { loadConfig } from '../../src/config.js';
import { SlackEmulator } from '../../src/local/slack-emulator.js';
import { inProcessStack, type TestStack } from '../helpers/local-stack.js';
import { ANA, GENERAL } from '../helpers/slack.js';

/**
 * `npm start` with SLACK_BOT_TOKEN and SLACK_APP_TOKEN talks to a real workspace over Socket Mode. Here the
 * workspace is a stand-in reached through SLACK_API_URL: the Web API played by the emulator, and Slack's
 * WebSocket end played by a `ws` server speaking the Socket Mode protocol (hello, envelopes, acks).
 */
const BOT_TOKEN = 'xoxb-workspace-bot-token';
let slack: SlackEmulator;
let server: Server;
let sockets: WebSocketServer;
let connected: Promise<WebSocket>;
let stack: TestStack;

beforeAll(async () => {
  let url = '';
  slack = new SlackEmulator({
    token: BOT_TOKEN,
    sandbox: loadConfig({ TMS_CONFIG: 'tms.config.yaml' }).sandbox,
    baseUrl: () => url,
  });
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const method = (req.url ?? '').replace(/^\/api\//, '');
    const params = (req.headers['content-type'] ?? '').includes('json')
      ? JSON.parse(text || '{}')
      : Object.fromEntries(new URLSearchParams(text));
    const answer =
      method === 'apps.connections.open'
        ? { status: 200, headers: {}, body: { ok: true, url: `${url.replace('http', 'ws')}/link` } }
        : slack.call(method, params, req.headers.authorization);
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(JSON.stringify(answer.body));
  });
  sockets = new WebSocketServer({ server, path: '/link' });
  connected = new Promise((resolve) =>
    sockets.on('connection', (socket) => {
      socket.send(
        JSON.stringify({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A0TMS' } }),
      );
      resolve(socket);
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  stack = await inProcessStack({
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_APP_TOKEN: 'xapp-1-workspace-app-token',
    SLACK_SIGNING_SECRET: 'workspace-signing-secret',
    SLACK_API_URL: `${url}/api/`,
  });
});

afterAll(async () => {
  await stack?.close();
  sockets.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Slack hands an envelope over the socket; TMS acknowledges it with its answer. */
async function envelope(type: string, payload: Record<string, unknown>): Promise<Record<string, unknown>> {
  const socket = await connected;
  const id = `env-${Math.random().toString(36).slice(2)}`;
  const acked = new Promise<Record<string, unknown>>((resolve) => {
    const listener = (data: Buffer) => {
      const message = JSON.parse(data.toString('utf8'));
      if (message.envelope_id === id) {
        socket.off('message', listener);
        resolve(message);
      }
    };
    socket.on('message', listener);
  });
  socket.send(JSON.stringify({ envelope_id: id, type, payload, accepts_response_payload: true }));
  return acked;
}

describe('Socket Mode', () => {
  it('connects at start-up and works /tms over the socket: the reply in the ack, the card in the workspace', async () => {
    expect(stack.slackMode).toBe('socket');
    // Act
    const ack = await envelope('slash_commands', {
      team_id: 'T0LOCAL',
      channel_id: GENERAL,
      user_id: ANA,
      command: '/tms',
      text: 'new Over the socket p2',
      response_url: 'https://hooks.slack.com/commands/T0LOCAL/1/abc',
      trigger_id: '1.U01AAA.abc',
      api_app_id: 'A0TMS',
    });
    // Assert
    expect(ack.payload).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringMatching(/^Opened \*TMS-1\* “Over the socket” at P2 /),
    });
    await expect
      .poll(() => slack.messages(GENERAL).map((m) => m.text), { timeout: 2_000 })
      .toContain('P2 TMS-1: Over the socket (open)');
  });
});
