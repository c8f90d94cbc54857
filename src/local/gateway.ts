import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import type { FunctionName, Route } from '../routes.js';

/** What a request looked like on the wire, read once by the local server. */
export interface WireRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly sourceIp: string;
}

export interface WireResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer;
}

/** The very handlers infra deploys, one per function, built by the local stack over its own deps. */
export type LocalHandlers = Record<FunctionName, LambdaHandler>;
export type LambdaHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyResultV2 | undefined>;

const TEXT = /^(text\/|application\/(json|x-www-form-urlencoded|xml|javascript)|[^;]*\+json|[^;]*\+xml)/i;

/** The event API Gateway (HTTP API, payload format 2.0) delivers for this request. */
export function toApiGatewayEvent(
  request: WireRequest,
  route: Route,
  params: Record<string, string>,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of request.url.searchParams)
    query[name] = name in query ? `${query[name]},${value}` : value;
  const contentType = headers['content-type'] ?? '';
  const isText = request.body.length === 0 || TEXT.test(contentType);
  const now = new Date();
  const routeKey = `${route.method} ${route.path}`;
  // API Gateway adds these; a handler that logs or rate-limits by client sees what it would see on AWS.
  headers['x-forwarded-for'] ??= request.sourceIp;
  headers['x-forwarded-proto'] ??= 'http';
  headers['x-forwarded-port'] ??= request.url.port || '80';
  const domainName = headers.host ?? '127.0.0.1';
  return {
    version: '2.0',
    routeKey,
    rawPath: request.url.pathname,
    rawQueryString: request.url.search.replace(/^\?/, ''),
    ...(headers.cookie ? { cookies: headers.cookie.split(/;\s*/) } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(Object.keys(params).length > 0 ? { pathParameters: params } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method: request.method,
        path: request.url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: apiGatewayTime(now),
      timeEpoch: now.getTime(),
    },
    ...(request.body.length > 0
      ? { body: isText ? request.body.toString('utf8') : request.body.toString('base64') }
      : {}),
    isBase64Encoded: !isText,
  };
}

/** A Lambda's answer as the HTTP response API Gateway would send (payload format 2.0 rules). */
export function fromLambdaResult(result: APIGatewayProxyResultV2): WireResponse {
  if (
    typeof result === 'string' ||
    result === null ||
    typeof result !== 'object' ||
    !('statusCode' in result)
  ) {
    return {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify(result)),
    };
  }
  const headers: Record<string, string | string[]> = { ...(result.headers as Record<string, string>) };
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  const body = result.body ?? '';
  return {
    status: result.statusCode ?? 200,
    headers,
    body: result.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8'),
  };
}

export async function invoke(
  handlers: LocalHandlers,
  route: Route,
  params: Record<string, string>,
  request: WireRequest,
): Promise<WireResponse> {
  const handler = handlers[route.fn];
  const event = toApiGatewayEvent(request, route, params);
  const context = {
    awsRequestId: event.requestContext.requestId,
    functionName: `tms-${route.fn}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:tms-${route.fn}`,
    memoryLimitInMB: '512',
    logGroupName: `/aws/lambda/tms-${route.fn}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 30_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  } satisfies Context;
  return fromLambdaResult((await handler(event, context)) ?? { statusCode: 200, body: '' });
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `21/Apr/2020:15:08:21 +0000`, the request time as API Gateway writes it. */
export function apiGatewayTime(at: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(at.getUTCDate())}/${MONTHS[at.getUTCMonth()]}/${at.getUTCFullYear()}:${two(at.getUTCHours())}:${two(at.getUTCMinutes())}:${two(at.getUTCSeconds())} +0000`;
}

/**
 * Whose budget a request spends. Slack's requests (commands, clicks, events) have their own, so a storm of
 * alerts never sheds a person's click (Slack does not retry those, and wants an answer within 3 s); the
 * local stack's own callers (the bot calling the Slack emulator, SNS, the sandbox, health) are never shed.
 */
export type Lane = 'slack' | 'senders' | 'internal';

export function laneOf(path: string): Lane {
  if (path === '/slack/events' || path.startsWith('/slack/events/')) return 'slack';
  if (path.startsWith('/ingest/') || path === '/ingest' || path.startsWith('/api/')) return 'senders';
  return 'internal';
}

/**
 * The bound on requests in flight per lane, as API Gateway's throttle and Lambda's concurrency bound them on
 * AWS: past it a request is answered 503 with Retry-After at once, before its body is read, instead of
 * queueing on one core until every request waits tens of seconds and memory grows with the queue.
 */
export class Admission {
  readonly #inFlight: Record<Lane, number> = { slack: 0, senders: 0, internal: 0 };
  readonly #peak: Record<Lane, number> = { slack: 0, senders: 0, internal: 0 };
  readonly #shed: Record<Lane, number> = { slack: 0, senders: 0, internal: 0 };

  constructor(readonly limits: { readonly slack: number; readonly senders: number }) {}

  /** True when the request may go on; it must then `leave` once answered. */
  enter(lane: Lane): boolean {
    // Slack first: each Slack request in flight takes two places from the senders (down to a quarter of
    // their bound), so the one core serves a person's click before another alert a sender can retry.
    const limit =
      lane === 'senders'
        ? Math.max(Math.ceil(this.limits.senders / 4), this.limits.senders - 2 * this.#inFlight.slack)
        : lane === 'slack'
          ? this.limits.slack
          : Infinity;
    if (this.#inFlight[lane] >= limit) {
      this.#shed[lane]++;
      return false;
    }
    this.#inFlight[lane]++;
    this.#peak[lane] = Math.max(this.#peak[lane], this.#inFlight[lane]);
    return true;
  }

  leave(lane: Lane): void {
    this.#inFlight[lane] = Math.max(0, this.#inFlight[lane] - 1);
  }

  stats(): { inFlight: Record<Lane, number>; peak: Record<Lane, number>; shed: Record<Lane, number> } {
    return { inFlight: { ...this.#inFlight }, peak: { ...this.#peak }, shed: { ...this.#shed } };
  }
}

/** What a shed request is told: the JSON error shape, and when to come back. */
export function overloaded(lane: Lane, limit: number): WireResponse {
  return {
    status: 503,
    headers: { 'content-type': 'application/json; charset=utf-8', 'retry-after': '1' },
    body: Buffer.from(
      JSON.stringify({
        error: {
          code: 'UNAVAILABLE',
          message: `TMS on this machine has ${limit} ${lane === 'slack' ? 'Slack requests' : 'requests'} in flight, its bound; try again in 1 s`,
        },
      }),
    ),
  };
}

/**
 * Whether a request's Host names this machine's server (127.0.0.1, localhost or [::1] on its port). A web page
 * elsewhere can make its own name resolve to 127.0.0.1 (DNS rebinding) and then read what this server answers
 * as its own origin: its requests still name that page's host, and are refused.
 */
export function isLocalHost(host: string | undefined, baseUrl: string): boolean {
  if (!host) return false;
  const { port } = new URL(baseUrl);
  const name = host.toLowerCase();
  return ['127.0.0.1', 'localhost', '[::1]'].some(
    (local) => name === `${local}:${port}` || (port === '' && name === local),
  );
}
