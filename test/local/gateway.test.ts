import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  Admission,
  apiGatewayTime,
  fromLambdaResult,
  isLocalHost,
  laneOf,
  toApiGatewayEvent,
} from '../../src/local/gateway.js';
import { matchRoute } from '../../src/routes.js';

/** A real API Gateway HTTP API event (test/fixtures/aws/README.md says where it comes from). */
const real = JSON.parse(readFileSync('test/fixtures/aws/apigw-v2-request-no-authorizer.json', 'utf8'));

const request = (method: string, path: string, body = '', headers: Record<string, string> = {}) => ({
  method,
  url: new URL(`http://127.0.0.1:3000${path}`),
  headers: { host: '127.0.0.1:3000', 'user-agent': 'curl/8.0', ...headers },
  body: Buffer.from(body),
  sourceIp: '127.0.0.1',
});

describe('the local gateway', () => {
  it('builds the event API Gateway delivers, field for field', () => {
    const matched = matchRoute('GET', '/api/tasks/TMS-4') ?? expect.fail('route');
    const event = toApiGatewayEvent(
      request('GET', '/api/tasks/TMS-4?status=open&status=resolved'),
      matched.route,
      matched.params,
    );
    const { authentication: _clientCert, ...context } = real.requestContext;
    expect(Object.keys(event.requestContext).sort()).toEqual(Object.keys(context).sort());
    expect(Object.keys(event.requestContext.http).sort()).toEqual(
      Object.keys(real.requestContext.http).sort(),
    );
    for (const key of [
      'version',
      'routeKey',
      'rawPath',
      'rawQueryString',
      'headers',
      'requestContext',
      'isBase64Encoded',
    ]) {
      expect(event, key).toHaveProperty(key);
    }
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'GET /api/tasks/{id}',
      rawPath: '/api/tasks/TMS-4',
      rawQueryString: 'status=open&status=resolved',
      queryStringParameters: { status: 'open,resolved' },
      pathParameters: { id: 'TMS-4' },
      isBase64Encoded: false,
      requestContext: {
        routeKey: 'GET /api/tasks/{id}',
        stage: '$default',
        http: { method: 'GET', path: '/api/tasks/TMS-4', sourceIp: '127.0.0.1' },
      },
    });
    expect(event.requestContext.time).toMatch(/^\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000$/);
    expect(real.requestContext.time).toMatch(/^\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000$/);
    expect(apiGatewayTime(new Date('2020-04-21T15:08:21Z'))).toBe('21/Apr/2020:15:08:21 +0000');
    expect(Object.keys(event.headers)).toEqual(
      expect.arrayContaining([
        'host',
        'user-agent',
        'x-forwarded-for',
        'x-forwarded-proto',
        'x-forwarded-port',
      ]),
    );
  });

  it('passes text bodies as text and anything else base64-encoded, as API Gateway does', () => {
    const route = matchRoute('POST', '/ingest/generic') ?? expect.fail('route');
    const text = toApiGatewayEvent(
      request('POST', '/ingest/generic', '{"a":"ü"}', { 'content-type': 'application/json' }),
      route.route,
      route.params,
    );
    expect(text).toMatchObject({ body: '{"a":"ü"}', isBase64Encoded: false });
    const binary = toApiGatewayEvent(
      request('POST', '/ingest/generic', 'gzip…', { 'content-type': 'application/octet-stream' }),
      route.route,
      route.params,
    );
    expect(binary).toMatchObject({ body: Buffer.from('gzip…').toString('base64'), isBase64Encoded: true });
  });

  it("turns a Lambda's answer into the HTTP response, by payload format 2.0's rules", () => {
    expect(
      fromLambdaResult({ statusCode: 202, headers: { 'x-a': '1' }, body: 'ok', cookies: ['a=1'] }),
    ).toEqual({
      status: 202,
      headers: { 'x-a': '1', 'set-cookie': ['a=1'] },
      body: Buffer.from('ok'),
    });
    expect(
      fromLambdaResult({
        statusCode: 200,
        body: Buffer.from('bin').toString('base64'),
        isBase64Encoded: true,
      }).body,
    ).toEqual(Buffer.from('bin'));
    // A bare object is JSON with 200.
    expect(fromLambdaResult({ ok: true } as never)).toMatchObject({
      status: 200,
      body: Buffer.from('{"ok":true}'),
    });
  });

  it('matches only the routes TMS serves', () => {
    expect(matchRoute('GET', '/healthz')?.route.fn).toBe('api');
    expect(matchRoute('POST', '/ingest/github')?.params).toEqual({ source: 'github' });
    expect(matchRoute('POST', '/api/tasks/42/actions')?.params).toEqual({ id: '42' });
    expect(matchRoute('PUT', '/api/tasks')).toBeUndefined();
    expect(matchRoute('GET', '/api/tasks/1/extra')).toBeUndefined();
    expect(matchRoute('POST', '/api/tasks/1/2/actions')).toBeUndefined();
  });

  it('bounds requests in flight by lane, Slack first, and never the stack’s own calls', () => {
    expect([laneOf('/slack/events'), laneOf('/ingest/generic'), laneOf('/api/tasks')]).toEqual([
      'slack',
      'senders',
      'senders',
    ]);
    expect([laneOf('/slack/api/chat.update'), laneOf('/_sandbox/tick'), laneOf('/healthz')]).toEqual([
      'internal',
      'internal',
      'internal',
    ]);
    const admission = new Admission({ senders: 8, slack: 2 });
    // Two Slack requests in flight leave the senders four places of their eight.
    expect([admission.enter('slack'), admission.enter('slack'), admission.enter('slack')]).toEqual([
      true,
      true,
      false,
    ]);
    const senders = Array.from({ length: 6 }, () => admission.enter('senders'));
    expect(senders).toEqual([true, true, true, true, false, false]);
    expect(admission.enter('internal')).toBe(true);
    admission.leave('slack');
    admission.leave('slack');
    expect(admission.enter('senders')).toBe(true);
    expect(admission.stats()).toMatchObject({
      inFlight: { senders: 5, slack: 0 },
      shed: { senders: 2, slack: 1 },
    });
  });
});

describe('the hosts the local stack answers as', () => {
  it('is this machine on its own port, and no name a page elsewhere could make resolve to it', () => {
    const base = 'http://127.0.0.1:3000';
    for (const host of ['127.0.0.1:3000', 'localhost:3000', 'LOCALHOST:3000', '[::1]:3000'])
      expect(isLocalHost(host, base)).toBe(true);
    for (const host of [
      'evil.example:3000',
      '127.0.0.1:3001',
      '127.0.0.1',
      'localhost.evil.example:3000',
      '',
      undefined,
    ])
      expect(isLocalHost(host, base)).toBe(false);
  });
});
