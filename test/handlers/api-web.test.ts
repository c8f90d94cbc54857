import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { makeApiHandler } from '../../src/handlers/api.js';
import { lambdaWebAssets, type WebPort } from '../../src/handlers/api-web.js';
import { buildDeps, dashboardSiteOf } from '../../src/runtime/deps.js';
import { secretsOf } from '../../src/runtime/secrets.js';
import { buildWebAssets, WEB_ENTRIES, writeWebAssets } from '../../src/web/build.js';

/** Deps that never reach a store: the static routes must answer before anything is read or anyone identified. */
const deps = buildDeps(
  { AWS_LAMBDA_FUNCTION_NAME: 'tms-api' },
  {
    config: loadConfig({ TMS_CONFIG: 'tms.config.yaml' }),
    secrets: secretsOf({ TMS_API_TOKEN: 'a-token' }),
    dynamo: {
      endpoint: 'http://127.0.0.1:9',
      region: 'local',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    },
  },
);

const ASSETS = new Map([
  [
    '/app/dashboard.js',
    { contentType: 'text/javascript; charset=utf-8', body: Buffer.from('console.log(1)') },
  ],
  ['/app/dashboard.css', { contentType: 'text/css; charset=utf-8', body: Buffer.from('body{}') }],
]);
const LOCAL: WebPort = { assets: ASSETS, site: { liveUrl: null, cognito: null } };

function event(
  routeKey: string,
  path: string,
  extra: Partial<APIGatewayProxyEventV2> = {},
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: '',
    headers: {},
    requestContext: {
      accountId: '1',
      apiId: 'x',
      domainName: 'abc.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc',
      http: { method: 'GET', path, protocol: 'HTTP/1.1', sourceIp: '1.2.3.4', userAgent: 'test' },
      requestId: 'r',
      routeKey,
      stage: '$default',
      time: '',
      timeEpoch: 0,
    },
    isBase64Encoded: false,
    ...extra,
  };
}

const file = (name: string, extra: Partial<APIGatewayProxyEventV2> = {}) =>
  event('GET /app/{file}', `/app/${name}`, { pathParameters: { file: name }, ...extra });

describe('the dashboard page (GET /)', () => {
  it('is served without a token, with a strict CSP and no inline script', async () => {
    const answer = await makeApiHandler(deps, LOCAL)(event('GET /', '/'));
    expect(answer.statusCode).toBe(200);
    expect(answer.headers?.['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(answer.headers?.['content-security-policy']);
    expect(csp.split('; ')).toEqual(
      expect.arrayContaining([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
      ]),
    );
    expect(csp).not.toContain('unsafe');
    expect(answer.headers?.['referrer-policy']).toBe('no-referrer'); // `/?token=` never leaves in a Referer
    expect(answer.headers?.['cache-control']).toBe('no-cache');
    const html = String(answer.body);
    expect(html).toMatch(/<script type="module" src="\/app\/dashboard\.js\?v=[\w-]{16}"><\/script>/);
    expect(html).toMatch(/<link rel="stylesheet" href="\/app\/dashboard\.css\?v=[\w-]{16}">/);
    expect(html).not.toMatch(/<script>|<style|style=/);
  });

  it('names Cognito in the CSP and the config when the function is given a user pool domain', async () => {
    const site = dashboardSiteOf({
      TMS_COGNITO_DOMAIN: 'https://tms.auth.eu-west-1.amazoncognito.com',
      TMS_COGNITO_CLIENT_ID: 'client-1',
      TMS_LIVE_URL: 'wss://live.example.com/prod',
    });
    const handler = makeApiHandler(deps, { assets: ASSETS, site });
    const page = await handler(event('GET /', '/'));
    expect(String(page.headers?.['content-security-policy'])).toContain(
      "connect-src 'self' wss://live.example.com https://tms.auth.eu-west-1.amazoncognito.com",
    );
    const config = await handler(event('GET /app/config.json', '/app/config.json'));
    expect(JSON.parse(String(config.body))).toEqual({
      liveUrl: 'wss://live.example.com/prod',
      auth: {
        cognitoDomain: 'https://tms.auth.eu-west-1.amazoncognito.com',
        clientId: 'client-1',
        redirectUri: 'https://abc.execute-api.eu-west-1.amazonaws.com/',
      },
    });
  });

  it('tells the page locally to derive the WebSocket from its own address and to ask for a token', async () => {
    const config = await makeApiHandler(deps, LOCAL)(event('GET /app/config.json', '/app/config.json'));
    expect(config.statusCode).toBe(200);
    expect(JSON.parse(String(config.body))).toEqual({ liveUrl: null, auth: null });
  });

  it('leaves /api/* behind the token: the exemption is the static routes only', async () => {
    const answer = await makeApiHandler(deps, LOCAL)(event('GET /api/tasks', '/api/tasks'));
    expect(answer.statusCode).toBe(401);
  });
});

describe('the dashboard files (GET /app/{file})', () => {
  const handler = makeApiHandler(deps, LOCAL);

  it('serves a file by name, kept a year when asked for by its current hash, with an ETag', async () => {
    const page = String((await handler(event('GET /', '/'))).body);
    const hash = /dashboard\.js\?v=([\w-]+)/.exec(page)?.[1] ?? '';
    const hashed = await handler(file('dashboard.js', { queryStringParameters: { v: hash } }));
    expect(hashed.statusCode).toBe(200);
    expect(hashed.headers).toMatchObject({
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=31536000, immutable',
      etag: `"${hash}"`,
      'x-content-type-options': 'nosniff',
    });
    expect(Buffer.from(String(hashed.body), 'base64').toString()).toBe('console.log(1)');
    // An old page's hash, or none, is revalidated instead of kept.
    const stale = await handler(file('dashboard.js', { queryStringParameters: { v: 'old' } }));
    expect(stale.headers?.['cache-control']).toBe('no-cache');
    const unchanged = await handler(file('dashboard.js', { headers: { 'if-none-match': `"${hash}"` } }));
    expect(unchanged.statusCode).toBe(304);
    expect(unchanged.body).toBe('');
  });

  it('answers 404 JSON for a file it does not have, whatever the name tries', async () => {
    for (const name of ['nope.js', '..%2F..%2Fetc%2Fpasswd', '__proto__', 'constructor']) {
      const answer = await handler(file(name));
      expect(answer.statusCode, name).toBe(404);
      expect(JSON.parse(String(answer.body)).error.code).toBe('NOT_FOUND');
    }
  });
});

describe('the built app', () => {
  it('is small: JS and CSS under 300 KB raw and 100 KB gzipped, uPlot and its CSS included', async () => {
    const assets = await buildWebAssets(WEB_ENTRIES, '/app');
    expect([...assets.keys()].sort()).toEqual(['/app/dashboard.css', '/app/dashboard.js']);
    const bodies = [...assets.values()].map((a) => a.body);
    const raw = bodies.reduce((n, b) => n + b.length, 0);
    const gzipped = bodies.reduce((n, b) => n + gzipSync(b).length, 0);
    expect(raw).toBeLessThan(300_000);
    expect(gzipped).toBeLessThan(100_000);
    expect(assets.get('/app/dashboard.css')?.body.toString()).toContain('.uplot');
  }, 60_000);

  it('is served on Lambda from the files the bundling wrote into the asset, read once', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tms-task-root-'));
    writeWebAssets(WEB_ENTRIES, join(root, 'web'));
    const handler = makeApiHandler(deps, {
      assets: lambdaWebAssets({ LAMBDA_TASK_ROOT: root }),
      site: { liveUrl: null, cognito: null },
    });
    expect(String((await handler(event('GET /', '/'))).body)).toContain('/app/dashboard.js?v=');
    const css = await handler(file('dashboard.css'));
    expect(css.statusCode).toBe(200);
    expect(css.headers?.['content-type']).toBe('text/css; charset=utf-8');
    expect(Buffer.from(String(css.body), 'base64').toString()).toContain('.uplot');
  }, 60_000);
});
