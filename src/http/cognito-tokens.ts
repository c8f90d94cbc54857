import { createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { CLOCK_SKEW_S, callerOf, type Identified } from './identity.js';
import { problem } from './respond.js';

/** Far above any real ID token (Cognito's are 1-2 KB); past it, nothing is decoded. */
const MAX_TOKEN = 8 * 1024;

export interface CognitoPool {
  readonly region: string;
  readonly userPoolId: string;
  /** The app client the dashboard signs in with: an ID token's `aud`. */
  readonly clientId: string;
}

/**
 * Verifies a Cognito ID token, as the HTTP API's JWT authorizer does for `/api/*`: signed by the pool's key
 * (RS256, from its JWKS, fetched once a container and cached by jose), issued by the pool, for the app client,
 * an ID token (`token_use`), not expired. Then read as the authorizer's claims are (`callerOf`). For the
 * WebSocket's `$connect`, which has no JWT authorizer of its kind: a browser cannot set a header on a
 * WebSocket, so the token comes in the query string.
 */
export function cognitoVerifier(
  pool: CognitoPool,
  keys?: JWTVerifyGetKey,
): (token: string, now: Date) => Promise<Identified> {
  const issuer = `https://cognito-idp.${pool.region}.amazonaws.com/${pool.userPoolId}`;
  const jwks = keys ?? createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));
  return async (token, now) => {
    if (token.length > MAX_TOKEN) return refused(`The token is over ${MAX_TOKEN} characters`);
    try {
      const { payload } = await jwtVerify(token, jwks, {
        algorithms: ['RS256'],
        issuer,
        audience: pool.clientId,
        clockTolerance: CLOCK_SKEW_S,
        currentDate: now,
        requiredClaims: ['exp', 'sub'],
      });
      if (payload.token_use !== 'id')
        return refused('Send the Cognito ID token (token_use "id"), not the access token');
      return callerOf(payload as Record<string, unknown>, 'cognito');
    } catch (error) {
      if (error instanceof errors.JWTExpired) return refused('The token has expired: sign in again');
      if (error instanceof errors.JWTClaimValidationFailed)
        return refused(`The token's ${error.claim} claim is not this TMS's user pool's`);
      // The pool's keys could not be fetched: not the caller's fault, so not a 401 (the handler answers 500).
      if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError)) throw error;
      return refused('The token is not a Cognito ID token of this TMS');
    }
  };
}

const refused = (message: string): Identified => ({
  ok: false,
  refusal: problem(401, 'UNAUTHENTICATED', message),
});
