import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Role } from '../core/rbac.js';

export interface DevTokenRequest {
  readonly role: Role;
  /** The Slack user the caller acts as (`custom:slack_user_id`); without one the caller is their `sub`. */
  readonly user?: string;
  readonly ttlMs: number;
  readonly secret: string;
  readonly now: Date;
  /** Cognito's `sub` is a UUID the pool assigns; a new one unless given. */
  readonly sub?: string;
}

/**
 * A JWT for the local API, signed HS256 with TMS_JWT_SECRET, whose claims are shaped as a Cognito ID token's
 * (`sub`, `cognito:groups` as an array, `custom:slack_user_id`, `token_use`, `iat`, `exp`), so src/http/identity.ts
 * reads it exactly as it reads what the Cognito authorizer passes on AWS.
 */
export function signDevToken(request: DevTokenRequest): Promise<string> {
  const iat = Math.floor(request.now.getTime() / 1000);
  return new SignJWT({
    'cognito:groups': [request.role],
    ...(request.user ? { 'custom:slack_user_id': request.user, 'cognito:username': request.user } : {}),
    token_use: 'id',
    auth_time: iat,
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(request.sub ?? randomUUID())
    .setIssuer('tms-local')
    .setIssuedAt(iat)
    .setExpirationTime(iat + Math.ceil(request.ttlMs / 1000))
    .sign(new TextEncoder().encode(request.secret));
}
