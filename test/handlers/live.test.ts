import { createLocalJWKSet, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoLiveStore } from '../../src/adapters/dynamo/live-store.js';
import type { ServerMessage } from '../../src/core/live.js';
import type { LiveSender } from '../../src/core/ports.js';
import { ManualClock } from '../../src/core/time.js';
import { makeLiveHandler } from '../../src/handlers/live.js';
import { cognitoVerifier } from '../../src/http/cognito-tokens.js';
import { onEachBackend } from '../helpers/dynamo.js';

const POOL = { region: 'eu-west-1', userPoolId: 'eu-west-1_AbCdEf123', clientId: '4h57kfj2nq3b1example' };
const ISSUER = `https://cognito-idp.${POOL.region}.amazonaws.com/${POOL.userPoolId}`;
const NOW = new Date('2026-03-02T09:00:00.000Z');
const SECONDS = Math.floor(NOW.getTime() / 1000);
type Key = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

/** What each connection was sent. */
class Sent implements LiveSender {
  readonly messages = new Map<string, ServerMessage[]>();
  async send(id: string, message: string): Promise<'sent' | 'gone'> {
    this.messages.set(id, [...(this.messages.get(id) ?? []), JSON.parse(message) as ServerMessage]);
    return 'sent';
  }
}

/**
 * The `$connect` of the Lambda, against a pool's keys of the test's own (Cognito's are RS256 in a JWKS): the
 * claims are those of a Cognito ID token (token_use, cognito:groups, custom:slack_user_id, aud = app client).
 */
onEachBackend((name, dynamo) => {
  describe(`$connect on Lambda, on ${name}`, () => {
    let key: Key;
    let jwks: { keys: JWK[] };
    let otherKey: Key;
    beforeAll(async () => {
      const pair = await generateKeyPair('RS256');
      key = pair.privateKey;
      jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'pool-key', alg: 'RS256', use: 'sig' }] };
      otherKey = (await generateKeyPair('RS256')).privateKey;
    });
    /** A token as Cognito issues one: `exp` an hour on, unless the claims say otherwise. */
    const idToken = (claims: Record<string, unknown> = {}, signer?: Key) =>
      new SignJWT({
        'cognito:groups': ['developer'],
        'custom:slack_user_id': 'U01AAA',
        token_use: 'id',
        sub: '7d8a9b0c-1111-2222-3333-444455556666',
        iss: ISSUER,
        aud: POOL.clientId,
        iat: SECONDS - 60,
        exp: SECONDS + 3600,
        ...claims,
      })
        .setProtectedHeader({ alg: 'RS256', kid: 'pool-key' })
        .sign(signer ?? key);
    const handlerOver = async () => {
      const live = new DynamoLiveStore(dynamo().embedded.db, await dynamo().freshTable());
      const sent = new Sent();
      const clock = new ManualClock(NOW);
      const handler = makeLiveHandler({
        live,
        sender: sent,
        clock,
        store: { get: async () => undefined },
        secrets: {
          optional: (n) => ({ TMS_API_TOKEN: 'local-api-token', TMS_JWT_SECRET: 'x'.repeat(40) })[n],
        },
        verifyCognito: cognitoVerifier(POOL, createLocalJWKSet(jwks)),
      });
      const connect = (token?: string, connectionId = 'conn-1') =>
        handler({
          requestContext: { routeKey: '$connect', connectionId },
          queryStringParameters: token === undefined ? null : { token },
        });
      return { live, sent, handler, connect, clock };
    };

    it('keeps the connection of a Cognito ID token, with its groups’ role and its Slack user', async () => {
      const { live, connect } = await handlerOver();
      expect(await connect(await idToken())).toEqual({ statusCode: 200 });
      expect(await live.connection('conn-1', NOW.toISOString())).toEqual({
        id: 'conn-1',
        role: 'developer',
        actor: { type: 'user', id: 'U01AAA' },
        connectedAt: NOW.toISOString(),
        // Kept while its token counts (an hour), not the two hours a connection may last.
        expiresAt: '2026-03-02T10:00:00.000Z',
        tokenExpiresAt: '2026-03-02T10:00:00.000Z',
      });
    });

    it('forgets a connection once its token has expired, however often its client pings', async () => {
      const { live, sent, handler, connect, clock } = await handlerOver();
      await connect(await idToken({ exp: SECONDS + 300 })); // a token with five minutes left
      const ping = () =>
        handler({
          requestContext: { routeKey: '$default', connectionId: 'conn-1' },
          body: '{"type":"ping"}',
        });
      clock.advance(4 * 60_000);
      await ping();
      expect(sent.messages.get('conn-1')).toEqual([{ type: 'pong' }]);
      // The ping kept it, but no further than the token.
      expect((await live.connection('conn-1', clock.now().toISOString()))?.expiresAt).toBe(
        new Date(NOW.getTime() + 300_000).toISOString(),
      );
      clock.advance(2 * 60_000);
      expect(await live.connections(clock.now().toISOString())).toEqual([]); // nothing pushed to it any more
      await ping();
      expect(sent.messages.get('conn-1')?.at(-1)).toMatchObject({ type: 'error', code: 'NOT_ALLOWED' });
    });

    it.each([
      ['no token', async () => undefined, 401, /Cognito ID token/],
      ['the local API token', async () => 'local-api-token', 401, /not a Cognito ID token/],
      ['an access token', () => idToken({ token_use: 'access' }), 401, /ID token/],
      ['another pool’s key', () => idToken({}, otherKey), 401, /not a Cognito ID token/],
      ['another app client', () => idToken({ aud: 'another-client' }), 401, /aud/],
      ['an expired token', () => idToken({ iat: SECONDS - 7200, exp: SECONDS - 3600 }), 401, /expired/],
      ['another pool’s issuer', () => idToken({ iss: `${ISSUER}x` }), 401, /iss/],
      ['no TMS group', () => idToken({ 'cognito:groups': ['billing'] }), 403, /no TMS role/],
    ])('refuses %s, saying why, and keeps nothing', async (_, token, status, why) => {
      const { live, connect } = await handlerOver();
      const answer = await connect(await token());
      expect(answer.statusCode).toBe(status);
      expect(JSON.parse(answer.body ?? '{}').error.message).toMatch(why);
      expect(await live.connections(NOW.toISOString())).toEqual([]);
    });

    it('answers a ping on a kept connection with a pong, and one it does not keep with an error', async () => {
      const { sent, handler, connect } = await handlerOver();
      await connect(await idToken());
      await handler({
        requestContext: { routeKey: '$default', connectionId: 'conn-1' },
        body: '{"type":"ping"}',
      });
      expect(sent.messages.get('conn-1')).toEqual([{ type: 'pong' }]);
      await handler({
        requestContext: { routeKey: '$default', connectionId: 'conn-x' },
        body: '{"type":"ping"}',
      });
      expect(sent.messages.get('conn-x')).toMatchObject([{ type: 'error', code: 'NOT_ALLOWED' }]);
      await handler({ requestContext: { routeKey: '$disconnect', connectionId: 'conn-1' } });
      await handler({
        requestContext: { routeKey: '$default', connectionId: 'conn-1' },
        body: '{"type":"ping"}',
      });
      expect(sent.messages.get('conn-1')?.at(-1)).toMatchObject({ type: 'error', code: 'NOT_ALLOWED' });
    });
  });
});
