/** A refusal or failure of the API, as its `{"error":{"code","message"}}` says it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Api {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body: unknown): Promise<T>;
}

/**
 * Calls `/api/*` with the signed-in token. A 401 (expired, revoked) is answered by one renewal of the token
 * (`renew`, Cognito's refresh) and the call again; when that fails too the page is signed out.
 */
export function apiClient(
  session: { token: string; renew(): Promise<string | null> },
  onSignedOut: (reason: string) => void,
): Api {
  async function call<T>(method: string, path: string, body?: unknown, again = true): Promise<T> {
    const token = session.token;
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch {
      throw new ApiError(0, 'NETWORK', 'TMS could not be reached; retrying');
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const error = (parsed as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
      const failure = new ApiError(
        response.status,
        typeof error?.code === 'string' ? error.code : `HTTP_${response.status}`,
        typeof error?.message === 'string' ? error.message : `${method} ${path} answered ${response.status}`,
      );
      if (response.status === 401) {
        // Renewed once per expiry: calls failing together with the same old token share the renewal.
        if (again && (session.token !== token || (await session.renew())))
          return call(method, path, body, false);
        onSignedOut(failure.message);
      }
      throw failure;
    }
    return parsed as T;
  }
  return {
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body),
  };
}
