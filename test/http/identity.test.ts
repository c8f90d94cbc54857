import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { authorize } from '../../src/core/rbac.js';
import { type Caller, groupsOf, type IdentitySecrets, identify } from '../../src/http/identity.js';
import { signDevToken } from '../../src/local/dev-token.js';
import { DEV_SECRETS } from '../../src/local/stack.js';

const NOW = new Date('2026-12-04T02:00:00Z');
const SECRET = DEV_SECRETS.TMS_JWT_SECRET;
const secrets: IdentitySecrets = {
  optional: (name) => (name === 'TMS_API_TOKEN' ? DEV_SECRETS.TMS_API_TOKEN : SECRET),
};
/** As on AWS: neither local secret is there. */
const noJwtSecret: IdentitySecrets = { optional: () => undefined };

/** The HTTP API's JWT-authorizer event as AWS documents it, its `claims` swapped for a Cognito token's. */
function cognitoEvent(claims: Record<string, unknown>): APIGatewayProxyEventV2 {
  const event = JSON.parse(readFileSync('test/fixtures/aws/apigw-v2-request-jwt-authorizer.json', 'utf8'));
  event.requestContext.authorizer.jwt.claims = claims;
  return event;
}

/** The same event without an authorizer (the local stack), carrying an Authorization header. */
function localEvent(authorization?: string): APIGatewayProxyEventV2 {
  const event = JSON.parse(readFileSync('test/fixtures/aws/apigw-v2-request-no-authorizer.json', 'utf8'));
  event.headers = authorization === undefined ? {} : { authorization };
  return event;
}

/** Claims as a Cognito ID token has them (and the HTTP API's authorizer passes them on as strings). */
const ID_TOKEN_CLAIMS = {
  sub: 'aaaaaaaa-bbbb-cccc-dddd-example',
  'cognito:groups': '[developer]',
  email_verified: 'true',
  iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_example',
  'cognito:username': 'ana',
  'custom:slack_user_id': 'U01AAA',
  aud: 'xxxxxxxxxxxxexample',
  token_use: 'id',
  auth_time: '1500009400',
  exp: '1500013000',
  iat: '1500009400',
};

const caller = async (event: APIGatewayProxyEventV2, keys = secrets) => {
  const identified = await identify(event, keys, NOW);
  if (!identified.ok) throw new Error(`refused: ${identified.refusal.body}`);
  return identified.caller;
};
const refusal = async (event: APIGatewayProxyEventV2, keys = secrets) => {
  const identified = await identify(event, keys, NOW);
  if (identified.ok) throw new Error(`accepted as ${JSON.stringify(identified.caller)}`);
  const { statusCode, body, headers } = identified.refusal;
  return { status: statusCode, ...(JSON.parse(body as string) as object), headers };
};

const bearer = (token: string) => localEvent(`Bearer ${token}`);
const sign = (claims: Record<string, unknown>, key: string = SECRET) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(key));
const epoch = (date: Date) => Math.floor(date.getTime() / 1000);

describe('on AWS: the claims the Cognito authorizer verified', () => {
  it.each([
    ['the HTTP API authorizer flattening an array', '[developer]', 'developer'],
    ['several groups flattened, the highest wins', '[viewer admin developer]', 'admin'],
    ['a JSON array as text', '["viewer","developer"]', 'developer'],
    ['a single name', 'viewer', 'viewer'],
    ['names separated by commas', 'oncall,developer', 'developer'],
    ['a JSON array (a typed claim)', ['viewer', 'ops'], 'viewer'],
  ])('reads cognito:groups as %s', async (_shape, groups, role) => {
    const who = await caller(cognitoEvent({ ...ID_TOKEN_CLAIMS, 'cognito:groups': groups }));
    expect(who.role).toBe(role);
  });

  it('acts as the Slack user of custom:slack_user_id, else as the token subject', async () => {
    const tied = await caller(cognitoEvent(ID_TOKEN_CLAIMS));
    const { 'custom:slack_user_id': _, ...untiedClaims } = ID_TOKEN_CLAIMS;
    const untied = await caller(cognitoEvent(untiedClaims));

    expect(tied).toEqual({ role: 'developer', actor: { type: 'user', id: 'U01AAA' }, via: 'cognito' });
    expect(untied.actor).toEqual({ type: 'user', id: ID_TOKEN_CLAIMS.sub });
  });

  it('refuses 403 with the reason a token whose groups give no TMS role', async () => {
    const { 'cognito:groups': _, ...noGroups } = ID_TOKEN_CLAIMS;
    const none = await refusal(cognitoEvent(noGroups));
    const others = await refusal(cognitoEvent({ ...ID_TOKEN_CLAIMS, 'cognito:groups': '[Admins oncall]' }));

    expect(none).toMatchObject({
      status: 403,
      error: { code: 'NOT_ALLOWED', message: expect.stringContaining('admin, developer or viewer') },
    });
    expect(others).toMatchObject({
      status: 403,
      error: { code: 'NOT_ALLOWED', message: expect.stringContaining('(Admins, oncall)') },
    });
  });

  it('refuses a custom:slack_user_id that is not a Slack user id rather than act as someone else', async () => {
    const answer = await refusal(cognitoEvent({ ...ID_TOKEN_CLAIMS, 'custom:slack_user_id': '<@U01AAA>' }));
    expect(answer).toMatchObject({ status: 403, error: { code: 'NOT_ALLOWED' } });
  });

  it('does not take a local bearer token for the authorizer, nor an authorizer of another shape for it', async () => {
    // A Lambda authorizer's context shaped as full Cognito claims: read as them, it would be an admin.
    const lambdaAuthorizer = localEvent(
      `Bearer ${await sign({ sub: 's', 'cognito:groups': ['admin'] }, 'x')}`,
    );
    (lambdaAuthorizer.requestContext as unknown as Record<string, unknown>).authorizer = {
      lambda: { sub: 'aaaaaaaa-bbbb-cccc-dddd-example', 'cognito:groups': 'admin' },
    };
    expect(await refusal(lambdaAuthorizer)).toMatchObject({
      status: 401,
      error: { message: expect.stringMatching(/signature does not verify/) },
    });
  });
});

describe('on Lambda: only the authorizer says who calls', () => {
  it('takes no bearer token the function could check itself, even with the local secrets set on it by mistake', async () => {
    const jwt = await signDevToken({
      role: 'admin',
      user: 'U01AAA',
      ttlMs: 3_600_000,
      secret: SECRET,
      now: NOW,
    });
    for (const token of [jwt, DEV_SECRETS.TMS_API_TOKEN]) {
      const identified = await identify(bearer(token), secrets, NOW, false);
      expect(identified.ok).toBe(false);
      if (!identified.ok) expect(identified.refusal.statusCode).toBe(401);
    }
    // The verified claims still count.
    const verified = await identify(cognitoEvent(ID_TOKEN_CLAIMS), secrets, NOW, false);
    expect(verified).toMatchObject({ ok: true, caller: { role: 'developer' } });
  });
});

describe('locally: TMS_API_TOKEN and JWTs signed with TMS_JWT_SECRET', () => {
  it('takes TMS_API_TOKEN as an admin that is TMS, not a person', async () => {
    expect(await caller(bearer(DEV_SECRETS.TMS_API_TOKEN))).toEqual({
      role: 'admin',
      actor: { type: 'system', id: 'api-token' },
      via: 'api-token',
    });
  });

  it.each(['viewer', 'developer', 'admin'] as const)(
    'reads a %s token as Cognito claims are read',
    async (role) => {
      const token = await signDevToken({ role, user: 'U09VIEW', ttlMs: 3_600_000, secret: SECRET, now: NOW });
      expect(await caller(bearer(token))).toEqual({
        role,
        actor: { type: 'user', id: 'U09VIEW' },
        via: 'jwt',
        // Until its exp: what a live connection opened with it is kept no longer than.
        expiresAt: new Date(NOW.getTime() + 3_600_000),
      });
    },
  );

  it('gives each role what RBAC gives it: a viewer reads and cannot write, a developer cannot delete', async () => {
    const as = async (role: 'viewer' | 'developer' | 'admin'): Promise<Caller> =>
      caller(bearer(await signDevToken({ role, user: 'U09VIEW', ttlMs: 60_000, secret: SECRET, now: NOW })));
    const viewer = await as('viewer');
    const developer = await as('developer');
    const admin = await as('admin');

    expect(authorize(viewer.role, 'view', viewer.actor.id).ok).toBe(true);
    expect(authorize(viewer.role, 'create', viewer.actor.id).ok).toBe(false);
    expect(authorize(developer.role, 'create', developer.actor.id).ok).toBe(true);
    expect(authorize(developer.role, 'administer', developer.actor.id).ok).toBe(false);
    expect(authorize(admin.role, 'administer', admin.actor.id).ok).toBe(true);
  });

  const reasons: [string, () => Promise<APIGatewayProxyEventV2>, RegExp][] = [
    ['no Authorization header', async () => localEvent(), /Bearer <TMS_API_TOKEN>.*npm run token/],
    ['a wrong API token', async () => bearer('local-api-tokem'), /neither TMS_API_TOKEN nor a JWT/],
    [
      'an expired token',
      async () =>
        bearer(
          await signDevToken({
            role: 'admin',
            ttlMs: 60_000,
            secret: SECRET,
            now: new Date(NOW.getTime() - 3_600_000),
          }),
        ),
      /expired/,
    ],
    [
      'a token signed with another secret',
      async () =>
        bearer(await signDevToken({ role: 'admin', ttlMs: 60_000, secret: 'another-secret', now: NOW })),
      /signature does not verify/,
    ],
    [
      'a token whose payload was changed after signing',
      async () => {
        const [header, , signature] = (
          await signDevToken({ role: 'viewer', ttlMs: 60_000, secret: SECRET, now: NOW })
        ).split('.');
        const payload = Buffer.from(
          JSON.stringify({ sub: 's', 'cognito:groups': ['admin'], exp: epoch(NOW) + 60 }),
        ).toString('base64url');
        return bearer(`${header}.${payload}.${signature}`);
      },
      /signature does not verify/,
    ],
    [
      'alg none',
      async () =>
        bearer(
          new UnsecuredJWT({ sub: 's', 'cognito:groups': ['admin'] })
            .setExpirationTime(epoch(NOW) + 60)
            .encode(),
        ),
      /not signed with HS256.*alg none/,
    ],
    [
      'an RS256 header over an HMAC of the secret (algorithm confusion)',
      async () => {
        const head = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT' })).toString('base64url');
        const body = Buffer.from(
          JSON.stringify({ sub: 's', 'cognito:groups': ['admin'], exp: epoch(NOW) + 60 }),
        ).toString('base64url');
        const { createHmac } = await import('node:crypto');
        const mac = createHmac('sha256', SECRET).update(`${head}.${body}`).digest('base64url');
        return bearer(`${head}.${body}.${mac}`);
      },
      /not signed with HS256/,
    ],
    [
      'a token with no exp',
      async () => bearer(await sign({ sub: 's', 'cognito:groups': ['admin'], iat: epoch(NOW) })),
      /no valid exp/,
    ],
    [
      'a token not valid yet',
      async () =>
        bearer(
          await sign({ sub: 's', 'cognito:groups': ['admin'], nbf: epoch(NOW) + 600, exp: epoch(NOW) + 900 }),
        ),
      /not valid yet/,
    ],
    [
      'a token issued in the future',
      async () =>
        bearer(
          await sign({ sub: 's', 'cognito:groups': ['admin'], iat: epoch(NOW) + 600, exp: epoch(NOW) + 900 }),
        ),
      /issued in the future/,
    ],
    [
      'a token with no subject',
      async () => bearer(await sign({ 'cognito:groups': ['admin'], exp: epoch(NOW) + 60 })),
      /no valid sub/,
    ],
    ['three dots of garbage', async () => bearer('abc.def.ghi'), /not a well-formed JWT/],
  ];
  it.each(reasons)('refuses %s with 401 and a reason that says which', async (_case, event, reason) => {
    const answer = await refusal(await event());
    expect(answer).toMatchObject({
      status: 401,
      error: { code: 'UNAUTHENTICATED', message: expect.stringMatching(reason) },
      headers: { 'www-authenticate': 'Bearer' },
    });
    expect(JSON.stringify(answer)).not.toMatch(/\bat .+:\d+:\d+/); // no stack trace
  });

  it('accepts a token a few seconds past its exp (clock skew), not a minute past', async () => {
    const token = await signDevToken({ role: 'viewer', ttlMs: 60_000, secret: SECRET, now: NOW });
    const later = (s: number) => identify(bearer(token), secrets, new Date(NOW.getTime() + (60 + s) * 1000));
    expect((await later(10)).ok).toBe(true);
    expect((await later(60)).ok).toBe(false);
  });

  it('verifies no JWT where there is no TMS_JWT_SECRET (on AWS, the authorizer does)', async () => {
    const token = await signDevToken({ role: 'admin', ttlMs: 60_000, secret: SECRET, now: NOW });
    expect(await refusal(bearer(token), noJwtSecret)).toMatchObject({
      status: 401,
      error: { message: expect.stringContaining('no TMS_JWT_SECRET') },
    });
  });

  it('takes no API token where none is deployed (AWS), and answers 401, not a failure', async () => {
    expect(await refusal(bearer(DEV_SECRETS.TMS_API_TOKEN), noJwtSecret)).toMatchObject({ status: 401 });
  });

  it('refuses a header too long to be a token without decoding it', async () => {
    expect(await refusal(bearer(`${'a'.repeat(9000)}.b.c`))).toMatchObject({
      status: 401,
      error: { message: expect.stringMatching(/over 8192 characters/) },
    });
  });
});

describe('groupsOf', () => {
  it('reads nothing into a value that holds no group', () => {
    for (const value of [undefined, null, 42, '', '[]', '   ', {}, ['', 7]])
      expect(groupsOf(value)).toEqual([]);
  });

  it('splits a long hostile claim in linear time', () => {
    const started = performance.now();
    groupsOf(`[${' ,'.repeat(200_000)}x`);
    expect(performance.now() - started).toBeLessThan(500);
  });
});
