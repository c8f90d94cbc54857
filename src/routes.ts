/**
 * The HTTP routes of TMS and the function that serves each: API Gateway on AWS, the local gateway of
 * `npm start` on one machine. Paths use API Gateway's `{param}` templates.
 */
export const FUNCTIONS = ['api', 'ingest', 'bot'] as const;
export type FunctionName = (typeof FUNCTIONS)[number];

export interface Route {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly fn: FunctionName;
}

export const ROUTES: readonly Route[] = [
  { method: 'GET', path: '/healthz', fn: 'api' },
  { method: 'GET', path: '/api/tasks', fn: 'api' },
  { method: 'GET', path: '/api/tasks/{id}', fn: 'api' },
  { method: 'POST', path: '/api/tasks', fn: 'api' },
  { method: 'POST', path: '/api/tasks/{id}/actions', fn: 'api' },
  { method: 'PATCH', path: '/api/tasks/{id}', fn: 'api' },
  { method: 'DELETE', path: '/api/tasks/{id}', fn: 'api' },
  { method: 'GET', path: '/api/me', fn: 'api' },
  { method: 'GET', path: '/api/trends', fn: 'api' },
  { method: 'GET', path: '/api/metrics', fn: 'api' },
  { method: 'GET', path: '/api/services/{service}/playbook', fn: 'api' },
  { method: 'GET', path: '/api/schedules', fn: 'api' },
  { method: 'POST', path: '/api/schedules', fn: 'api' },
  { method: 'GET', path: '/api/schedules/{id}', fn: 'api' },
  { method: 'DELETE', path: '/api/schedules/{id}', fn: 'api' },
  { method: 'GET', path: '/api/oncall', fn: 'api' },
  { method: 'GET', path: '/api/openapi.json', fn: 'api' },
  // The web dashboard's page and files, public (src/handlers/api-web.ts); config.json before {file}.
  { method: 'GET', path: '/', fn: 'api' },
  { method: 'GET', path: '/app/config.json', fn: 'api' },
  { method: 'GET', path: '/app/{file}', fn: 'api' },
  { method: 'POST', path: '/ingest/{source}', fn: 'ingest' },
  // A heartbeat's ping: two segments, so `/ingest/{source}` (one segment) never takes it, in either order.
  { method: 'POST', path: '/ingest/heartbeat/{name}', fn: 'ingest' },
  { method: 'POST', path: '/slack/events', fn: 'bot' },
];

/** The route and path parameters of a request, if any route serves it. */
export function matchRoute(
  method: string,
  path: string,
): { route: Route; params: Record<string, string> } | undefined {
  for (const route of ROUTES) {
    if (route.method !== method) continue;
    const names: string[] = [];
    const pattern = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    const match = new RegExp(`^${pattern}$`).exec(path);
    if (match)
      return { route, params: Object.fromEntries(names.map((name, i) => [name, match[i + 1] ?? ''])) };
  }
  return undefined;
}
