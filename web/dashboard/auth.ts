import { h } from '../shared/dom.js';
import type { SiteConfig } from './types.js';

/**
 * Sign-in. The token is kept for the browser session only (sessionStorage: gone when the tab closes, never
 * sent anywhere but as the API's bearer). Locally `/?token=` or the form below takes TMS_API_TOKEN or a JWT
 * from `npm run token`; on AWS Cognito's hosted UI signs people in with the authorization-code flow and PKCE.
 * No OAuth library: the flow is two redirects and a POST (and one more to renew), WebCrypto makes the S256 challenge, and a
 * library (amplify, oidc-client) would add more than the whole dashboard weighs for what is forty lines.
 */
const TOKEN = 'tms.token';
const REFRESH = 'tms.refresh';
const VERIFIER = 'tms.pkce.verifier';
const STATE = 'tms.pkce.state';

export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN);
}

export function signOut(): void {
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(REFRESH);
}

/**
 * A person's own sign-out on AWS ends more than this tab's tokens: the refresh token is revoked and the
 * hosted UI's session ended (its /logout, back to the dashboard), or "Sign in" on a shared wall screen would
 * sign the same person straight back in.
 */
export async function endCognitoSession(auth: NonNullable<SiteConfig['auth']>): Promise<void> {
  const refresh = sessionStorage.getItem(REFRESH);
  signOut();
  if (refresh)
    await fetch(`${auth.cognitoDomain}/oauth2/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: refresh, client_id: auth.clientId }),
    }).catch(() => undefined); // signed out here whatever Cognito says; the token expires within a day anyway
  const logout = new URL(`${auth.cognitoDomain}/logout`);
  logout.searchParams.set('client_id', auth.clientId);
  logout.searchParams.set('logout_uri', auth.redirectUri);
  location.assign(logout.toString());
}

/** Cognito's token endpoint, for the code and for a refresh: the ID token it answers, or undefined. */
async function exchange(
  auth: NonNullable<SiteConfig['auth']>,
  form: Record<string, string>,
): Promise<string | undefined> {
  const response = await fetch(`${auth.cognitoDomain}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: auth.clientId, ...form }),
  }).catch(() => undefined);
  const answer = (await response?.json().catch(() => undefined)) as
    | { id_token?: string; refresh_token?: string }
    | undefined;
  if (!response?.ok || !answer?.id_token) return undefined;
  // The ID token, as the API's authorizer and src/http/identity.ts read groups and the Slack user from it.
  sessionStorage.setItem(TOKEN, answer.id_token);
  if (answer.refresh_token) sessionStorage.setItem(REFRESH, answer.refresh_token);
  return answer.id_token;
}

/**
 * A new ID token for the one that expired (Cognito's last an hour), so a wall screen stays signed in for
 * the refresh token's day; null where there is none (a typed-in token, which is not renewed).
 */
export async function renewToken(config: SiteConfig): Promise<string | null> {
  const refresh = sessionStorage.getItem(REFRESH);
  if (!config.auth || !refresh) return null;
  return (await exchange(config.auth, { grant_type: 'refresh_token', refresh_token: refresh })) ?? null;
}

/**
 * A token the address brings (`?token=`) or Cognito's answer (`?code=&state=`), kept and then taken out of
 * the address (history.replaceState), so it is neither in the history, a bookmark nor a screenshot.
 */
export async function tokenFromAddress(config: SiteConfig): Promise<{ token?: string; error?: string }> {
  const url = new URL(location.href);
  const token = url.searchParams.get('token');
  const code = url.searchParams.get('code');
  const state = url.searchParams.get('state');
  const failure = url.searchParams.get('error_description') ?? url.searchParams.get('error');
  if (!token && !code && !failure) return {};
  for (const name of ['token', 'code', 'state', 'error', 'error_description']) url.searchParams.delete(name);
  history.replaceState(null, '', url.pathname + url.search + url.hash);
  if (token) {
    sessionStorage.setItem(TOKEN, token);
    return { token };
  }
  if (failure) return { error: `Sign-in failed: ${failure}` };
  if (!config.auth || !code)
    return { error: 'A sign-in answer came back, but this site has no Cognito sign-in' };
  const verifier = sessionStorage.getItem(VERIFIER);
  const expected = sessionStorage.getItem(STATE);
  sessionStorage.removeItem(VERIFIER);
  sessionStorage.removeItem(STATE);
  // The state ties the answer to a sign-in this tab started: a link planted with someone else's code is refused.
  if (!verifier || !expected || state !== expected)
    return { error: 'This sign-in answer is not for a sign-in started here: sign in again' };
  const idToken = await exchange(config.auth, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: config.auth.redirectUri,
    code_verifier: verifier,
  });
  return idToken ? { token: idToken } : { error: 'Cognito did not exchange the sign-in code: sign in again' };
}

const base64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

const random = (length: number) => base64url(crypto.getRandomValues(new Uint8Array(length)));

/** To Cognito's hosted UI, with a fresh verifier and state kept in this tab for the answer. */
export async function startCognitoSignIn(auth: NonNullable<SiteConfig['auth']>): Promise<void> {
  const verifier = random(48);
  const state = random(24);
  sessionStorage.setItem(VERIFIER, verifier);
  sessionStorage.setItem(STATE, state);
  const challenge = base64url(
    new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))),
  );
  const url = new URL(`${auth.cognitoDomain}/oauth2/authorize`);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: auth.clientId,
    redirect_uri: auth.redirectUri,
    scope: 'openid email profile',
    code_challenge_method: 'S256',
    code_challenge: challenge,
    state,
  }).toString();
  location.assign(url.toString());
}

/** The sign-in screen: Cognito's button on AWS, a token field locally. */
export function signInView(
  config: SiteConfig,
  message: string | undefined,
  onToken: (token: string) => void,
) {
  const note = message ? h('p', { class: 'error', role: 'alert' }, message) : null;
  if (config.auth) {
    const auth = config.auth;
    const button = h('button', { type: 'button', class: 'primary' }, 'Sign in');
    button.addEventListener('click', () => void startCognitoSignIn(auth));
    return h('section', { class: 'sign-in', 'aria-labelledby': 'sign-in-title' }, [
      h('h1', { id: 'sign-in-title' }, 'TMS dashboard'),
      note,
      h('p', {}, 'Sign in with your TMS account.'),
      button,
    ]);
  }
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    required: true,
    spellcheck: 'false',
  });
  const form = h('form', { class: 'sign-in', 'aria-labelledby': 'sign-in-title' }, [
    h('h1', { id: 'sign-in-title' }, 'TMS dashboard'),
    note,
    h('label', { for: 'token' }, 'API token or JWT'),
    h(
      'p',
      { class: 'hint', id: 'token-hint' },
      'TMS_API_TOKEN, or a token from `npm run token -- --role viewer`.',
    ),
    input,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
  ]);
  input.setAttribute('aria-describedby', 'token-hint');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (!token) return;
    sessionStorage.setItem(TOKEN, token);
    onToken(token);
  });
  return form;
}
