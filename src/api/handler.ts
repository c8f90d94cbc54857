import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { encodeCursor, parseListParams } from '../core/pagination.js';
import { parseTaskId } from '../core/task.js';
import { bearer, fromError, type HttpResult, json, problem, sameSecret } from '../http/respond.js';
import { context } from '../runtime/context.js';
import { secret } from '../runtime/secrets.js';

/**
 * The read API: `GET /healthz`, `GET /api/tasks`, `GET /api/tasks/{id}`. On AWS a Cognito JWT authorizer
 * in front of `/api/*` has already checked the caller; locally the bearer token is `TMS_API_TOKEN`.
 */
export async function handler(event: APIGatewayProxyEventV2): Promise<HttpResult> {
  try {
    if (event.routeKey === 'GET /healthz') return json(200, { ok: true });
    const authorized = 'authorizer' in event.requestContext && event.requestContext.authorizer !== undefined;
    if (!authorized && !sameSecret(bearer(event), secret('TMS_API_TOKEN'))) {
      return problem(401, 'UNAUTHENTICATED', 'Send Authorization: Bearer <TMS_API_TOKEN>');
    }
    const deps = context();
    switch (event.routeKey) {
      case 'GET /api/tasks': {
        const query = parseListParams(event.queryStringParameters ?? {});
        if (!query.ok) return fromError(query.error);
        const page = await deps.store.list(query.value);
        return json(200, { tasks: page.tasks, next: encodeCursor(page.next) });
      }
      case 'GET /api/tasks/{id}': {
        const raw = event.pathParameters?.id ?? '';
        const id = parseTaskId(safeDecode(raw));
        if (!id) return problem(400, 'INVALID_INPUT', `"${raw}" is not a task id such as TMS-42 or 42`);
        const task = await deps.store.get(id);
        if (!task) return problem(404, 'TASK_NOT_FOUND', `There is no task ${id}`);
        return json(200, { task, timeline: await deps.store.timeline(id) });
      }
      default:
        return problem(404, 'NOT_FOUND', `No route ${event.routeKey}`);
    }
  } catch (error) {
    return fromError(error);
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // not valid percent-encoding: it will not parse as an id either
  }
}
