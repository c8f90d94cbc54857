import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ApiGatewaySender } from '../adapters/aws/live-sender.js';
import { encode, keptUntil, parseClientMessage, type ServerMessage } from '../core/live.js';
import type { TaskRepository } from '../core/ports.js';
import { authorize } from '../core/rbac.js';
import { cognitoVerifier } from '../http/cognito-tokens.js';
import { type Identified, type IdentitySecrets, identify } from '../http/identity.js';
import { fromError, problem } from '../http/respond.js';
import { catchUp, type LiveDeps } from '../jobs/live.js';
import { buildDeps, type Env } from '../runtime/deps.js';
import { logger } from '../runtime/logger.js';
import type { Secrets } from '../runtime/secrets.js';

/** The parts of API Gateway's WebSocket event (payload 1.0, its only format for WebSocket APIs) TMS reads. */
export interface LiveEvent {
  readonly requestContext: {
    readonly routeKey: string;
    readonly connectionId: string;
  };
  readonly queryStringParameters?: Readonly<Record<string, string | undefined>> | null;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
}

/** What API Gateway is answered: on `$connect` anything but 2xx refuses the connection. */
export interface LiveResult {
  readonly statusCode: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

export interface LiveHandlerDeps extends LiveDeps {
  readonly store: Pick<TaskRepository, 'get'>;
  readonly secrets: IdentitySecrets;
  /** On Lambda: the Cognito ID token is verified against the pool, and no token of the local stack counts. */
  readonly verifyCognito?: (token: string, now: Date) => Promise<Identified>;
}

const OK: LiveResult = { statusCode: 200 };

/**
 * The WebSocket API's routes. `$connect` (`?token=`: a browser cannot set a header on a WebSocket) proves who
 * connects, as `/api/*` does, and keeps the connection with their role; `$disconnect` forgets it; `$default`
 * answers `ping` (and keeps the connection alive) and `since` (the catch-up). What a client is sent goes
 * through the LiveSender, as API Gateway returns nothing a route answers to the client without a route response.
 */
export const makeLiveHandler = (deps: LiveHandlerDeps) =>
  async function handler(event: LiveEvent): Promise<LiveResult> {
    const { routeKey, connectionId } = event.requestContext;
    try {
      switch (routeKey) {
        case '$connect':
          return await connect(deps, connectionId, event.queryStringParameters?.token ?? '');
        case '$disconnect':
          await deps.live.disconnect(connectionId);
          return OK;
        default:
          return await message(deps, connectionId, bodyOf(event));
      }
    } catch (error) {
      logger.error('live: a WebSocket route failed', { routeKey, connectionId, error });
      if (routeKey === '$default')
        await tell(deps, connectionId, {
          type: 'error',
          code: 'UNAVAILABLE',
          message: 'TMS could not answer just now: send it again',
        }).catch(() => {});
      const failed = fromError(error);
      return { statusCode: failed.statusCode ?? 500, body: String(failed.body ?? '') };
    }
  };

async function connect(deps: LiveHandlerDeps, connectionId: string, token: string): Promise<LiveResult> {
  const now = deps.clock.now();
  // On Lambda only a Cognito ID token counts (no TMS_API_TOKEN or locally signed JWT, as for /api/*).
  const identified: Identified = deps.verifyCognito
    ? token
      ? await deps.verifyCognito(token, now)
      : {
          ok: false,
          refusal: problem(401, 'UNAUTHENTICATED', 'Send your Cognito ID token: wss://…?token=<ID token>'),
        }
    : await identify(asRequest(token), deps.secrets, now, true);
  if (!identified.ok) {
    const { refusal } = identified;
    return {
      statusCode: refusal.statusCode ?? 401,
      headers: { 'content-type': 'application/problem+json' },
      body: String(refusal.body ?? ''),
    };
  }
  const { caller } = identified;
  const allowed = authorize(caller.role, 'view', caller.actor.id);
  if (!allowed.ok) {
    const refusal = fromError(allowed.error);
    return { statusCode: refusal.statusCode ?? 403, body: String(refusal.body ?? '') };
  }
  const tokenExpiresAt = caller.expiresAt?.toISOString();
  await deps.live.connect({
    id: connectionId,
    role: caller.role,
    actor: caller.actor,
    connectedAt: now.toISOString(),
    expiresAt: keptUntil(now, tokenExpiresAt),
    ...(tokenExpiresAt ? { tokenExpiresAt } : {}),
  });
  logger.info('live: connected', { connectionId, role: caller.role, via: caller.via });
  return OK;
}

async function message(deps: LiveHandlerDeps, connectionId: string, body: string): Promise<LiveResult> {
  const now = deps.clock.now();
  const parsed = parseClientMessage(body);
  if (!parsed.ok) {
    await tell(deps, connectionId, { type: 'error', ...parsed.error });
    return OK;
  }
  const connection = await deps.live.connection(connectionId, now.toISOString());
  if (!connection) {
    await tell(deps, connectionId, {
      type: 'error',
      code: 'NOT_ALLOWED',
      message:
        'This connection is not known any more (it, or the token it was opened with, expired): connect again',
    });
    return OK;
  }
  if (parsed.value.type === 'ping') {
    await deps.live.refresh(connectionId, keptUntil(now, connection.tokenExpiresAt));
    await tell(deps, connectionId, { type: 'pong' });
    return OK;
  }
  await catchUp(deps, connection, parsed.value.at);
  return OK;
}

const tell = (deps: LiveDeps, connectionId: string, message: ServerMessage) =>
  deps.sender.send(connectionId, encode(message));

function bodyOf(event: LiveEvent): string {
  const body = event.body ?? '';
  return event.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
}

/** The token as `identify` reads one: a bearer credential of a request with no authorizer's claims. */
const asRequest = (token: string) =>
  ({
    headers: token ? { authorization: `Bearer ${token}` } : {},
    requestContext: {},
  }) as unknown as APIGatewayProxyEventV2;

/**
 * The Lambda's handler, built once per container from its environment (src/runtime/lambda-entry.ts):
 * `TMS_LIVE_CALLBACK_URL` is the stage's connections endpoint, `TMS_COGNITO_USER_POOL_ID` and
 * `TMS_COGNITO_CLIENT_ID` the pool and app client whose ID tokens it accepts.
 */
export const fromEnvironment = (env: Env, secrets: Secrets) => {
  const deps = buildDeps(env, { secrets });
  const pool = {
    region: env.AWS_REGION ?? '',
    userPoolId: env.TMS_COGNITO_USER_POOL_ID ?? '',
    clientId: env.TMS_COGNITO_CLIENT_ID ?? '',
  };
  return makeLiveHandler({
    ...deps,
    sender: new ApiGatewaySender(env.TMS_LIVE_CALLBACK_URL ?? ''),
    verifyCognito: cognitoVerifier(pool),
  });
};
