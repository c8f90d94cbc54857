import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { type HttpResult, header, json, problem } from '../http/respond.js';
import type { DashboardSite, Env } from '../runtime/deps.js';
import { readWebAssets, type WebAssets } from '../web/assets.js';

/**
 * The web dashboard's files, served by the api function on the API's own origin (`GET /`, `GET /app/{file}`,
 * `GET /app/config.json`), before and without any token: they are the same for everyone and hold no data,
 * the data comes from `/api/*` with the caller's token. Why here and not S3 + CloudFront: one origin for
 * the page, the API and its WebSocket, so no CORS and no second domain in the CSP; the API's own
 * throttles and logs; Cognito's callback is the API's URL; and a few hundred KB read once per container
 * cost nothing a CDN would save at a wall screen's traffic.
 */

/** The app's files, or how to get them once (the local stack builds them; a Lambda reads them from its asset). */
export type WebSource = WebAssets | (() => Promise<WebAssets>);

export interface WebPort {
  readonly assets: WebSource;
  readonly site: DashboardSite;
}

/** The built files inside the Lambda's asset (infra/constructs/function.ts writes them to `web/`). */
export const lambdaWebAssets = (env: Env) => async () =>
  readWebAssets(join(env.LAMBDA_TASK_ROOT || '/var/task', 'web'), '/app');

/** A year: a file is asked for by its content's hash (`?v=`), so a cached copy is never stale. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

interface Served {
  readonly assets: WebAssets;
  /** Each file's content hash, which the page names it by and its ETag carries. */
  readonly hashes: ReadonlyMap<string, string>;
}

/** Serves the three static routes; undefined for any other route. */
export function makeWebRoutes(port: WebPort) {
  let loading: Promise<Served> | undefined;
  const served = () => {
    loading ??= Promise.resolve(typeof port.assets === 'function' ? port.assets() : port.assets).then(
      (assets) => ({
        assets,
        hashes: new Map(
          [...assets].map(([path, asset]) => [
            path,
            createHash('sha256').update(asset.body).digest('base64url').slice(0, 16),
          ]),
        ),
      }),
      (error: unknown) => {
        loading = undefined; // a read that failed is tried again by the next request
        throw error;
      },
    );
    return loading;
  };

  return async function webRoute(event: APIGatewayProxyEventV2): Promise<HttpResult | undefined> {
    switch (event.routeKey) {
      case 'GET /':
        return page(await served(), port.site);
      case 'GET /app/config.json':
        return json(200, config(port.site, event), { 'cache-control': 'no-cache', ...SECURITY });
      case 'GET /app/{file}':
        return file(await served(), event);
      default:
        return undefined;
    }
  };
}

const SECURITY = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };

function config(site: DashboardSite, event: APIGatewayProxyEventV2) {
  return {
    liveUrl: site.liveUrl,
    auth: site.cognito
      ? {
          cognitoDomain: site.cognito.domain,
          clientId: site.cognito.clientId,
          // Where Cognito sends the browser back: this API's own root, the callback its client allows.
          redirectUri: `https://${event.requestContext.domainName}/`,
        }
      : null,
  };
}

/**
 * The CSP allows scripts and styles from this origin only (no inline script or style element: uPlot sizes
 * its canvas through the CSSOM, which style-src does not govern), fetches to this origin, the WebSocket and
 * Cognito's token endpoint, and nobody to frame the page (a wall screen acted on by clickjacking).
 */
export function contentSecurityPolicy(site: DashboardSite): string {
  const cognito = site.cognito ? ` ${site.cognito.domain}` : '';
  const live = site.liveUrl ? ` ${new URL(site.liveUrl).origin}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    // 'self' covers a WebSocket to this host too (CSP 3): the local stack's /api/live; on AWS the live API's own
    // origin is named, as no wildcard `ws:`/`wss:` would let a page hold a socket to anywhere.
    `connect-src 'self'${live}${cognito}`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    `form-action 'self'${cognito}`,
  ].join('; ');
}

function page({ assets, hashes }: Served, site: DashboardSite): HttpResult {
  const named = (path: string) => (assets.has(path) ? `${path}?v=${hashes.get(path)}` : undefined);
  const script = named('/app/dashboard.js');
  const style = named('/app/dashboard.css');
  const html = [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="dark">',
    '<title>TMS dashboard</title>',
    // No favicon to fetch (a 404 in every console otherwise); img-src allows data:.
    '<link rel="icon" href="data:,">',
    style ? `<link rel="stylesheet" href="${style}">` : '',
    script ? `<script type="module" src="${script}"></script>` : '',
    '</head>',
    '<body>',
    '<noscript>The TMS dashboard needs JavaScript.</noscript>',
    '<div id="app"></div>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
  return {
    statusCode: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': contentSecurityPolicy(site),
      // The page names its files by hash: it is fetched again each time so a deploy shows on the next load.
      'cache-control': 'no-cache',
      ...SECURITY,
    },
    body: html,
  };
}

function file({ assets, hashes }: Served, event: APIGatewayProxyEventV2): HttpResult {
  const name = event.pathParameters?.file ?? '';
  const path = `/app/${name}`;
  const asset = assets.get(path);
  if (!asset) return problem(404, 'NOT_FOUND', `There is no file ${path}`);
  const hash = hashes.get(path) ?? '';
  const etag = `"${hash}"`;
  const headers = {
    'content-type': asset.contentType,
    etag,
    // Asked for by its current hash: kept for a year; by name alone (or an old hash): checked every time.
    'cache-control': event.queryStringParameters?.v === hash ? IMMUTABLE : 'no-cache',
    ...SECURITY,
  };
  const cached = header(event, 'if-none-match')
    ?.split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''));
  if (cached?.includes(etag)) return { statusCode: 304, headers, body: '' };
  return { statusCode: 200, headers, body: asset.body.toString('base64'), isBase64Encoded: true };
}
