import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { encodeCursor, parseListParams } from '../core/pagination.js';
import type { CardRecord } from '../core/ports.js';
import { authorize } from '../core/rbac.js';
import { parseTaskId } from '../core/task.js';
import { identify } from '../http/identity.js';
import { openApiDocument } from '../http/openapi.js';
import { fromError, type HttpResult, json, problem } from '../http/respond.js';
import { buildDeps, dashboardSiteOf, type Env, type HouseDeps } from '../runtime/deps.js';
import type { Secrets } from '../runtime/secrets.js';
import { metricsRoute, playbookRoute, trendsRoute } from './api-insights.js';
import { oncallRoute } from './api-oncall.js';
import {
  createScheduleRoute,
  deleteScheduleRoute,
  listSchedulesRoute,
  readScheduleRoute,
} from './api-schedules.js';
import { lambdaWebAssets, makeWebRoutes, type WebPort } from './api-web.js';
import { createTaskRoute, deleteTaskRoute, etag, patchTaskRoute, taskActionRoute } from './api-writes.js';

/**
 * The API: `GET /healthz`, the tasks (`GET /api/tasks`, `GET /api/tasks/{id}`), the insights, the writes
 * (`POST /api/tasks`, `PATCH` and `DELETE /api/tasks/{id}`, `POST /api/tasks/{id}/actions`), the caller
 * (`GET /api/me`), the schedules (`/api/schedules`, src/handlers/api-schedules.ts), who is on call
 * (`GET /api/oncall`, src/handlers/api-oncall.ts) and their OpenAPI document
 * (`GET /api/openapi.json`).
 * Who calls is src/http/identity.ts's: on AWS the Cognito claims the JWT authorizer verified; locally
 * `TMS_API_TOKEN` (an admin) or a JWT signed with `TMS_JWT_SECRET` (`npm run token`).
 */
export const makeApiHandler = (deps: HouseDeps, web?: WebPort) => {
  const webRoute = web ? makeWebRoutes(web) : undefined;
  return async function handler(event: APIGatewayProxyEventV2): Promise<HttpResult> {
    try {
      if (event.routeKey === 'GET /healthz') return json(200, { ok: true });
      // The dashboard's files, public (src/handlers/api-web.ts): served before anyone is identified.
      const page = await webRoute?.(event);
      if (page) return page;
      // On Lambda only the authorizer's claims count; the local stack checks its own tokens.
      const identified = await identify(
        event,
        deps.secrets,
        deps.clock.now(),
        deps.functionName === undefined,
      );
      if (!identified.ok) return identified.refusal;
      const { caller } = identified;
      // Every role may read; a write route checks its own action with authorize(caller.role, …, caller.actor.id).
      const reading = authorize(caller.role, 'view', caller.actor.id);
      if (!reading.ok) return fromError(reading.error);
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
          const [timeline, card] = await Promise.all([deps.store.timeline(id), deps.cards.card(id)]);
          return json(
            200,
            { task, timeline, card: card ? cardView(card, task.version) : null },
            { etag: etag(task.version) },
          );
        }
        case 'PATCH /api/tasks/{id}':
          return await patchTaskRoute(deps, event, caller);
        case 'DELETE /api/tasks/{id}':
          return await deleteTaskRoute(deps, event, caller);
        // Who the caller is to TMS, as every route reads it: a client shows the controls their role allows.
        case 'GET /api/me':
          return json(200, { actor: caller.actor, role: caller.role });
        case 'POST /api/tasks':
          return await createTaskRoute(deps, event, caller);
        case 'POST /api/tasks/{id}/actions':
          return await taskActionRoute(deps, event, caller);
        case 'GET /api/trends':
          return await trendsRoute(deps, event);
        case 'GET /api/metrics':
          return await metricsRoute(deps, event);
        case 'GET /api/services/{service}/playbook':
          return await playbookRoute(deps, event);
        case 'GET /api/schedules':
          return await listSchedulesRoute(deps, event, caller);
        case 'POST /api/schedules':
          return await createScheduleRoute(deps, event, caller);
        case 'GET /api/schedules/{id}':
          return await readScheduleRoute(deps, event, caller);
        case 'DELETE /api/schedules/{id}':
          return await deleteScheduleRoute(deps, event, caller);
        case 'GET /api/oncall':
          return await oncallRoute(deps, event);
        // Behind the token as all of /api/* is (DESIGN): it names no secret, but the contract makes no exception.
        case 'GET /api/openapi.json':
          return json(200, openApiDocument());
        default:
          return problem(404, 'NOT_FOUND', `No route ${event.routeKey}`);
      }
    } catch (error) {
      return fromError(error);
    }
  };
};

/** The Lambda's handler, built once per container from its environment (src/runtime/lambda-entry.ts). */
export const fromEnvironment = (env: Env, secrets: Secrets) =>
  makeApiHandler(buildDeps(env, { secrets }), { assets: lambdaWebAssets(env), site: dashboardSiteOf(env) });

/** Where the task's Slack card is and whether it shows the latest version (it is a projection, reconciled). */
function cardView(card: CardRecord, version: number) {
  return {
    channel: card.channel ?? null,
    ts: card.ts ?? null,
    permalink: card.permalink ?? null,
    version: card.shownVersion,
    upToDate: card.shownVersion >= version,
    lastError: card.lastError ?? null,
    retryAt: card.retryAt ?? null,
  };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // not valid percent-encoding: it will not parse as an id either
  }
}
