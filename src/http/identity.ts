import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { errors, jwtVerify } from 'jose';
import { ROLES, type Role } from '../core/rbac.js';
import type { Actor, ChangeContext } from '../core/timeline.js';
import { bearer, type HttpResult, problem, sameSecret } from './respond.js';

/** Who calls `/api/*`: the role RBAC checks, and the actor the timeline records. */
export interface Caller {
  readonly role: Role;
  /** The Slack user the caller acts as (`custom:slack_user_id`, else the token's `sub`); TMS itself for the API token. */
  readonly actor: Actor;
  /** How they proved it: a Cognito token the API Gateway authorizer verified, a locally signed JWT, or TMS_API_TOKEN. */
  readonly via: 'cognito' | 'jwt' | 'api-token';
  /** When the token stops proving it (its `exp`); the API token does not expire. */
  readonly expiresAt?: Date;
}

export type Identified =
  | { readonly ok: true; readonly caller: Caller }
  | { readonly ok: false; readonly refusal: HttpResult };

/** What a write through the API stamps on the timeline for this caller (the core adds `now`). */
export const changeContextOf = (caller: Caller): Omit<ChangeContext, 'now'> => ({
  actor: caller.actor,
  via: 'api',
});

/** The two secrets identity reads (src/runtime/secrets.ts's Secrets is one). */
export interface IdentitySecrets {
  optional(name: 'TMS_API_TOKEN' | 'TMS_JWT_SECRET'): string | undefined;
}

/** Clocks disagree a little; a token minted on a laptop a few seconds ahead is still good. */
export const CLOCK_SKEW_S = 30;
/** Far above any real token (Cognito's ID tokens are 1-2 KB); past it, nothing is decoded. */
const MAX_TOKEN = 8 * 1024;
const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]*$/;
const SLACK_USER = /^[UW][A-Z0-9]{2,20}$/;
/** Highest first: a caller in several groups has the most their groups give. */
const BY_RANK: readonly Role[] = ['admin', 'developer', 'viewer'];
const GROUP_LIST = `${ROLES.slice(0, -1).join(', ')} or ${ROLES.at(-1)}`;
const API_TOKEN_ACTOR: Actor = { type: 'system', id: 'api-token' };

/**
 * The caller of an `/api/*` request. On AWS the HTTP API's JWT authorizer has verified a Cognito token and its
 * claims are in `requestContext.authorizer.jwt.claims`; only that shape is trusted, as nothing else there was
 * checked. Without it (the local stack), `Authorization: Bearer` holds TMS_API_TOKEN (an admin) or a JWT signed
 * HS256 with TMS_JWT_SECRET, verified here and then read exactly as Cognito's claims are. TMS_JWT_SECRET is not
 * given to the Lambda on AWS, so there a bearer JWT the authorizer did not pass is never accepted.
 * Refusals are 401 (who you are is not proven, and why) or 403 (proven, but no TMS role), never a stack trace.
 */
export async function identify(
  event: APIGatewayProxyEventV2,
  secrets: IdentitySecrets,
  now: Date,
  /**
   * False on Lambda: there only the authorizer's verified claims say who calls, and a bearer token the
   * function checked itself (a TMS_JWT_SECRET or TMS_API_TOKEN set on it by mistake) is no identity.
   */
  selfChecked = true,
): Promise<Identified> {
  const claims = (event.requestContext as { authorizer?: { jwt?: { claims?: unknown } } } | undefined)
    ?.authorizer?.jwt?.claims;
  if (claims !== undefined && claims !== null && typeof claims === 'object')
    return callerOf(claims as Record<string, unknown>, 'cognito');

  if (!selfChecked)
    return unauthenticated('Send the Cognito ID token: on AWS the API gateway verifies who calls /api/*');
  const token = bearer(event);
  if (!token)
    return unauthenticated(
      'Send Authorization: Bearer <TMS_API_TOKEN>, or a JWT (locally `npm run token -- --role viewer` prints one)',
    );
  if (token.length > MAX_TOKEN) return unauthenticated(`The bearer token is over ${MAX_TOKEN} characters`);
  // Not deployed on AWS (where no request reaches /api/* without the authorizer's claims): then none matches.
  const apiToken = secrets.optional('TMS_API_TOKEN');
  if (apiToken && sameSecret(token, apiToken))
    return { ok: true, caller: { role: 'admin', actor: API_TOKEN_ACTOR, via: 'api-token' } };
  if (!JWT_SHAPE.test(token)) return unauthenticated('The bearer token is neither TMS_API_TOKEN nor a JWT');

  const secret = secrets.optional('TMS_JWT_SECRET');
  if (!secret) return unauthenticated('This TMS has no TMS_JWT_SECRET, so it verifies no JWT itself');
  try {
    const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), {
      // Pinned: `none`, and an RS/ES header meant to pass a public key off as the HMAC key, are refused.
      algorithms: ['HS256'],
      clockTolerance: CLOCK_SKEW_S,
      currentDate: now,
      requiredClaims: ['exp', 'sub'],
    });
    // jose checks `iat` only against a maximum age; a token issued in the future is not one we minted.
    if (typeof payload.iat === 'number' && payload.iat > now.getTime() / 1000 + CLOCK_SKEW_S)
      return unauthenticated('The token was issued in the future (its iat is ahead of this clock)');
    return callerOf(payload as Record<string, unknown>, 'jwt');
  } catch (error) {
    return unauthenticated(whyRefused(error));
  }
}

/** A verified token's `exp` (seconds since the epoch), as the time it stops counting. */
const expiry = (claims: Readonly<Record<string, unknown>>): { expiresAt?: Date } =>
  typeof claims.exp === 'number' && Number.isFinite(claims.exp)
    ? { expiresAt: new Date(claims.exp * 1000) }
    : {};

/** The role and actor from a verified token's claims, the same for Cognito's and for locally signed ones. */
export function callerOf(claims: Readonly<Record<string, unknown>>, via: 'cognito' | 'jwt'): Identified {
  const sub = claims.sub;
  if (typeof sub !== 'string' || sub === '') return unauthenticated('The token names no subject (sub)');
  const groups = groupsOf(claims['cognito:groups']);
  const role = BY_RANK.find((r) => groups.includes(r));
  if (!role)
    return {
      ok: false,
      refusal: problem(
        403,
        'NOT_ALLOWED',
        groups.length === 0
          ? `Your token is in no Cognito group, so it has no TMS role: ask an admin to add you to ${GROUP_LIST}`
          : `Your token's Cognito groups (${groups.slice(0, 10).join(', ')}) hold no TMS role: ask an admin to add you to ${GROUP_LIST}`,
        { role: null, groups: groups.slice(0, 10) },
      ),
    };
  const slackUser = claims['custom:slack_user_id'];
  if (slackUser !== undefined && slackUser !== '') {
    if (typeof slackUser !== 'string' || !SLACK_USER.test(slackUser))
      return {
        ok: false,
        refusal: problem(
          403,
          'NOT_ALLOWED',
          "Your token's custom:slack_user_id is not a Slack user id such as U01AAA: ask an admin to correct it",
        ),
      };
    return { ok: true, caller: { role, actor: { type: 'user', id: slackUser }, via, ...expiry(claims) } };
  }
  return { ok: true, caller: { role, actor: { type: 'user', id: sub }, via, ...expiry(claims) } };
}

/**
 * `cognito:groups` in each shape it arrives in: a JSON array (a token's own payload, REST APIs), and as the HTTP
 * API's JWT authorizer hands claims to a Lambda, a string: `[admin developer]` (how it flattens an array), or a
 * JSON array's text, or a single name, or names separated by commas.
 */
export function groupsOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((g): g is string => typeof g === 'string' && g !== '');
  if (typeof value !== 'string') return [];
  const text = value.trim();
  if (text.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed)) return groupsOf(parsed);
    } catch {
      // not JSON: API Gateway's "[a b]"
    }
    return names(text.slice(1, text.endsWith(']') ? -1 : undefined));
  }
  return names(text);
}

const names = (text: string): string[] => text.split(/[\s,]+/).filter((name) => name !== '');

/** Which check a token failed, in a sentence for the caller; jose's codes are stable, its messages are not ours. */
function whyRefused(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'The token has expired: mint a new one';
  if (error instanceof errors.JOSEAlgNotAllowed)
    return 'The token is not signed with HS256, the only algorithm accepted here (alg none, RS and ES are refused)';
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return "The token's signature does not verify: it was not signed with this TMS_JWT_SECRET";
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'The token is not valid yet (its nbf is ahead of this clock)';
    if (error.claim === 'exp' || error.claim === 'sub') return `The token has no valid ${error.claim} claim`;
    return `The token's ${error.claim} claim is not valid`;
  }
  return 'The bearer token is not a well-formed JWT';
}

const unauthenticated = (message: string): Identified => ({
  ok: false,
  refusal: problem(401, 'UNAUTHENTICATED', message, {}, { 'www-authenticate': 'Bearer' }),
});
