import * as z from 'zod';
import { MAX_PAGE } from '../core/pagination.js';
import { ROLES } from '../core/rbac.js';
import { Schedule, ScheduleRun, ScheduleStatus } from '../core/schedule.js';
import { STATUSES, Task } from '../core/task.js';
import { TimelineEntry } from '../core/timeline.js';
import { MAX_SERIES_POINTS, SERIES_STEPS } from '../core/use-cases/reports.js';
import { ROUTES, type Route } from '../routes.js';
import { REQUEST_BODIES } from './api-schemas.js';

/**
 * The OpenAPI 3.1 document of `/api/*` (and `/healthz`), generated from the zod schemas that validate the
 * requests and describe the task, so the document cannot drift from what the handlers accept.
 *
 * Why zod's own `z.toJSONSchema()` and not `@asteasolutions/zod-to-openapi`: OpenAPI 3.1's schema objects are
 * JSON Schema 2020-12, which is what toJSONSchema emits (`.strict()` as `additionalProperties: false`, `.meta`'s
 * `examples`, records as `propertyNames` + `additionalProperties`, nullable as `anyOf [… , null]`, regexes as
 * `pattern`); the library would add a dependency (and its registry API) for the conversion zod already does.
 * The paths around the schemas are small and written here, next to the routes they must cover (a test holds
 * them to ROUTES).
 */

/** The error shape of every TMS route (src/http/respond.ts `problem`, `fromError`). */
const ErrorBody = z
  .object({
    error: z
      .object({
        code: z.string().describe('A stable code such as INVALID_INPUT, TASK_NOT_FOUND, VERSION_CONFLICT'),
        message: z.string().describe('What is wrong, for a person; a 400 names the field first'),
        context: z
          .record(z.string(), z.unknown())
          .optional()
          .describe('Which task, who, what (domain errors)'),
      })
      .strict(),
  })
  .meta({
    examples: [
      {
        error: { code: 'INVALID_INPUT', message: 'title: Too small: expected string to have >=1 characters' },
      },
    ],
  });

const Card = z
  .object({
    channel: z.string().nullable(),
    ts: z.string().nullable(),
    permalink: z.string().nullable(),
    version: z.number().int().describe('The task version the Slack card shows'),
    upToDate: z.boolean(),
    lastError: z.string().nullable(),
    retryAt: z.string().nullable(),
  })
  .strict();

// The success shapes, as the handlers build them (src/handlers/api.ts, api-insights.ts, api-writes.ts).
const Health = z.object({ ok: z.literal(true) }).strict();
const TaskAnswer = z.object({ task: Task }).strict();
const TaskPage = z
  .object({
    tasks: z.array(Task),
    next: z.string().nullable().describe('The cursor of the next page, null on the last'),
  })
  .strict();
const Me = z
  .object({
    actor: z
      .object({ type: z.enum(['user', 'system']), id: z.string() })
      .strict()
      .describe('Who the timeline records: the Slack user, or TMS itself for TMS_API_TOKEN'),
    role: z.enum(ROLES),
  })
  .strict();
const TaskDetail = z.object({ task: Task, timeline: z.array(TimelineEntry), card: Card.nullable() }).strict();
const Trends = z
  .object({
    trends: z.array(
      z
        .object({
          service: z.string(),
          title: z.string(),
          taskId: z.string().nullable(),
          recent: z.number(),
          expected: z.number(),
          startedAt: z
            .string()
            .nullable()
            .describe('null when the trend is read now and no episode records it yet'),
        })
        .strict(),
    ),
  })
  .strict();
const figures = {
  opened: z.number().int(),
  acknowledged: z.number().int(),
  resolved: z.number().int(),
  mttaMs: z.number().nullable(),
  mttrMs: z.number().nullable(),
  mtbfMs: z.number().nullable(),
  slaMet: z.number().nullable().describe('SLA adherence (0..1), null when no deadline ended in the window'),
};
const Metrics = z
  .object({
    window: z.string(),
    ...figures,
    series: z
      .array(
        z
          .object({
            from: z
              .string()
              .describe('The bucket’s start: a step boundary in UTC, or the window’s first hour'),
            to: z.string().describe('Its end: the next step boundary, or now for the last'),
            ...figures,
          })
          .strict(),
      )
      .optional()
      .describe(
        'Only with `step`: the same figures per bucket of the window, oldest first (null where none)',
      ),
  })
  .strict();
const Playbook = z
  .object({
    service: z.string(),
    runbook: z.string().nullable(),
    issues: z.array(
      z
        .object({
          title: z.string().nullable(),
          times: z.number().int(),
          medianTtrMs: z.number().nullable(),
          fixes: z.array(z.object({ note: z.string(), count: z.number().int() }).strict()),
          lastTaskId: z.string().nullable(),
        })
        .strict(),
    ),
  })
  .strict();

const ScheduleAnswer = z.object({ schedule: Schedule }).strict();
const ScheduleList = z.object({ schedules: z.array(Schedule) }).strict();
const ScheduleDetail = z
  .object({ schedule: Schedule, runs: z.array(ScheduleRun).describe('Its latest runs, newest first') })
  .strict();

const OncallList = z
  .object({
    oncall: z.array(
      z
        .object({
          team: z.string(),
          now: z
            .object({ user: z.string(), until: z.string().describe('Until when, without a break') })
            .strict(),
          next: z.object({ user: z.string(), from: z.string() }).strict().describe('The next other person'),
        })
        .strict(),
    ),
  })
  .strict();

type Schema = Record<string, unknown>;

/** A zod schema as an OpenAPI 3.1 schema object: JSON Schema 2020-12 without its `$schema` (the document's). */
function schemaOf(schema: z.ZodType, io: 'input' | 'output'): Schema {
  // `unrepresentable: 'any'`: a refinement (TaskActionBody's superRefine) has no JSON Schema; the fields do.
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Schema;
  return rest;
}

const ERROR_WHY: Record<number, string> = {
  400: 'Not a valid request: the message names the field or parameter',
  401: 'No bearer token, or one that is not valid',
  403: 'The caller has no TMS role, or the role may not do this',
  404: 'No such task, schedule, service, team or route',
  409: 'A lifecycle or version conflict (the core’s code), or an Idempotency-Key in use',
  413: 'The body is over the bound',
  415: 'The body is not application/json',
  422: 'The Idempotency-Key was used for another request body',
  503: 'A transient fault; retry after the Retry-After seconds',
};

interface Operation {
  readonly summary: string;
  /** The success answer; no `schema` for one without a body (204). */
  readonly ok: { readonly status: number; readonly description: string; readonly schema?: string };
  /** Headers of the success answer. */
  readonly okHeaders?: Readonly<Record<string, { readonly description: string; readonly schema: Schema }>>;
  /** Another success status with the same shape (a create replayed by its Idempotency-Key). */
  readonly alsoOk?: { readonly status: number; readonly description: string };
  /** What the body's JSON Schema cannot say: the zod refinements across fields. */
  readonly bodyRules?: string;
  readonly errors: readonly number[];
  readonly query?: readonly Parameter[];
  readonly path?: readonly Parameter[];
  readonly headers?: readonly Parameter[];
  readonly open?: true;
}

interface Parameter {
  readonly name: string;
  readonly description: string;
  readonly schema: Schema;
  readonly required?: boolean;
}

const serviceQuery: Parameter = {
  name: 'service',
  description: 'A service TMS knows (config or tasks); all when absent',
  schema: { type: 'string' },
};
const windowQuery = (fallback: string): Parameter => ({
  name: 'window',
  description: `A duration such as 1h or 7d (default ${fallback})`,
  schema: { type: 'string' },
});
const versionTag = {
  description: 'The task’s version, quoted ("3"): what If-Match takes',
  schema: { type: 'string', pattern: '^"[1-9]\\d*"$' },
};
const taskId: Parameter = {
  name: 'id',
  description: 'A task id: TMS-42 or 42',
  schema: { type: 'string', pattern: '^(?:[Tt][Mm][Ss]-)?[1-9]\\d{0,9}$' },
  required: true,
};

const scheduleId: Parameter = {
  name: 'id',
  description: 'A schedule id such as SCH-1a2b3c4d',
  schema: { type: 'string', pattern: '^[Ss][Cc][Hh]-[0-9A-Za-z]{8}$' },
  required: true,
};

/** What each route does and answers; a route of ROUTES under /api missing here fails the document's test. */
const OPERATIONS: Readonly<Record<string, Operation>> = {
  'GET /healthz': {
    summary: 'Liveness probe',
    ok: { status: 200, description: 'Alive', schema: 'Health' },
    errors: [],
    open: true,
  },
  'GET /api/tasks': {
    summary: 'List tasks, newest first',
    ok: { status: 200, description: 'A page of tasks', schema: 'TaskPage' },
    errors: [400, 401, 403, 503],
    query: [
      {
        name: 'status',
        description: `${STATUSES.join(', ')} (comma-separated), unresolved or all`,
        schema: { type: 'string' },
      },
      { name: 'service', description: 'Only this service’s tasks', schema: { type: 'string' } },
      { name: 'assignee', description: 'Only tasks held by this Slack user', schema: { type: 'string' } },
      {
        name: 'limit',
        description: `Page size, 1 to ${MAX_PAGE}`,
        schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE },
      },
      { name: 'cursor', description: 'The `next` of the previous page', schema: { type: 'string' } },
    ],
  },
  'GET /api/tasks/{id}': {
    summary: 'A task with its timeline and where its Slack card is',
    ok: { status: 200, description: 'The task', schema: 'TaskDetail' },
    okHeaders: { ETag: versionTag },
    errors: [400, 401, 403, 404, 503],
    path: [taskId],
  },
  'PATCH /api/tasks/{id}': {
    summary: 'Change a task’s title, description, priority, assignee or labels, as one change',
    ok: { status: 200, description: 'The task after the change', schema: 'TaskAnswer' },
    okHeaders: { ETag: versionTag },
    bodyRules:
      'At least one field. Each replaces what the task has (labels whole); a field that already has its value changes nothing. Priority and assignee go through the lifecycle and roles as in Slack (a developer lowers the priority of, or reassigns, only a task they hold or nobody does), and so do title, description and labels (`edit`: an admin, or a developer on a task they hold or nobody does). A 409 VERSION_CONFLICT carries the version now in `error.context.version` and the ETag header.',
    errors: [400, 401, 403, 404, 409, 413, 415, 503],
    path: [taskId],
    headers: [
      {
        name: 'If-Match',
        description:
          'The version last read, as its ETag gave it ("3"; W/"3" and 3 are read the same): the change is refused with 409 VERSION_CONFLICT if the task moved on. Without it the change applies to the task as it is.',
        schema: { type: 'string' },
      },
    ],
  },
  'DELETE /api/tasks/{id}': {
    summary: 'Delete a task, its timeline and its hold on its alert (admins)',
    ok: {
      status: 204,
      description:
        'Deleted: its Slack card now says who deleted it; the alert firing again opens a new task. Statistics already counted stay.',
    },
    errors: [400, 401, 403, 404, 503],
    path: [taskId],
  },
  'GET /api/me': {
    summary: 'Who the caller is to TMS, and their role',
    ok: { status: 200, description: 'The caller', schema: 'Me' },
    errors: [401, 403],
  },
  'POST /api/tasks': {
    summary: 'Open a task, as /tms new does',
    ok: { status: 201, description: 'Opened', schema: 'TaskAnswer' },
    alsoOk: { status: 200, description: 'The task the first request with this Idempotency-Key opened' },
    errors: [400, 401, 403, 409, 413, 415, 422, 503],
    headers: [
      {
        name: 'Idempotency-Key',
        description: 'A retry with the same key within a day gets the task the first request opened',
        schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,255}$' },
      },
    ],
  },
  'POST /api/tasks/{id}/actions': {
    summary: 'Act on a task as its Slack buttons do',
    ok: { status: 200, description: 'The task after the action', schema: 'TaskAnswer' },
    bodyRules:
      '`note` only with resolve (optional) and comment (required); `duration` (such as 30m, 2h, 1d, at most a week) only with snooze, which needs it',
    errors: [400, 401, 403, 404, 409, 413, 415, 503],
    path: [taskId],
  },
  'GET /api/trends': {
    summary: 'What is trending, as /tms trends',
    ok: { status: 200, description: 'The trends', schema: 'Trends' },
    errors: [400, 401, 403, 404, 503],
    query: [serviceQuery, windowQuery('the trends window')],
  },
  'GET /api/metrics': {
    summary: 'MTTA, MTTR, MTBF and SLA adherence, as /tms stats',
    ok: { status: 200, description: 'The figures (null where there is no data)', schema: 'Metrics' },
    errors: [400, 401, 403, 404, 503],
    query: [
      serviceQuery,
      windowQuery('7d'),
      {
        name: 'step',
        description: `Adds \`series\`, the figures per bucket of ${Object.keys(SERIES_STEPS).join(', ')} (aligned in UTC); window / step at most ${MAX_SERIES_POINTS} (a 400 beyond)`,
        schema: { type: 'string', enum: Object.keys(SERIES_STEPS) },
      },
    ],
  },
  'GET /api/services/{service}/playbook': {
    summary: 'A service’s recurring issues and what fixed them, as /tms playbook',
    ok: { status: 200, description: 'The playbook', schema: 'Playbook' },
    errors: [400, 401, 403, 404, 503],
    path: [
      { name: 'service', description: 'A service TMS knows', schema: { type: 'string' }, required: true },
    ],
  },
  'GET /api/schedules': {
    summary: 'List schedules, soonest next run first, as /tms schedules',
    ok: { status: 200, description: 'The schedules', schema: 'ScheduleList' },
    errors: [400, 401, 403, 503],
    query: [
      {
        name: 'status',
        description: `Only schedules in this state: ${ScheduleStatus.options.join(', ')}`,
        schema: { type: 'string', enum: ScheduleStatus.options },
      },
    ],
  },
  'POST /api/schedules': {
    summary: 'Make a schedule (a chore, a reminder or a webhook), as /tms schedule',
    ok: { status: 201, description: 'Made, due first at its nextRunAt', schema: 'ScheduleAnswer' },
    okHeaders: { Location: { description: 'The schedule’s path', schema: { type: 'string' } } },
    bodyRules:
      'Whoever may open a task may make one. `at` without an offset is local time in `timezone` (default UTC); a schedule that runs once must be due ahead. `channel` goes with action message (required), `url` with action webhook (required; http(s), no credentials; private and loopback addresses are refused when it is sent unless the config’s webhooks.allowHosts names the host); webhooks need TMS_WEBHOOK_SECRET. `service` is a configured one.',
    errors: [400, 401, 403, 413, 415, 503],
  },
  'GET /api/schedules/{id}': {
    summary: 'A schedule with its latest runs',
    ok: { status: 200, description: 'The schedule', schema: 'ScheduleDetail' },
    errors: [400, 401, 403, 404, 503],
    path: [scheduleId],
  },
  'DELETE /api/schedules/{id}': {
    summary: 'Remove a schedule (its maker or an admin; one from the config is removed there)',
    ok: { status: 204, description: 'Removed: it runs no more; its runs are kept for their history' },
    errors: [400, 401, 403, 404, 503],
    path: [scheduleId],
  },
  'GET /api/oncall': {
    summary: 'Who is on call for each team, until when, and who is next, as /tms oncall (overrides counted)',
    ok: { status: 200, description: 'Each team with a rotation, or the one named', schema: 'OncallList' },
    errors: [400, 401, 403, 404, 503],
    query: [
      {
        name: 'team',
        description: 'Only this team (404 when it has no rotation)',
        schema: { type: 'string' },
      },
    ],
  },
  'GET /api/openapi.json': {
    summary: 'This document',
    ok: { status: 200, description: 'The OpenAPI 3.1 document of /api/*', schema: 'OpenApi' },
    errors: [401, 403],
  },
};

const RESPONSE_SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  Task,
  TimelineEntry,
  Error: ErrorBody,
  Health,
  TaskAnswer,
  TaskPage,
  TaskDetail,
  Trends,
  Metrics,
  Playbook,
  Me,
  Schedule,
  ScheduleRun,
  ScheduleAnswer,
  ScheduleList,
  ScheduleDetail,
  OncallList,
};

/** The zod schema of a route's success answer: what a test holds the handler's real answers to. */
export function successSchema(key: string): z.ZodType | undefined {
  const name = OPERATIONS[key]?.ok.schema;
  return name ? RESPONSE_SCHEMAS[name] : undefined;
}

export const routeKey = (route: Route): string => `${route.method} ${route.path}`;

/** The routes the document describes: the API function's, not ingest's or Slack's (their senders' contracts). */
export const documentedRoutes = (): Route[] =>
  ROUTES.filter((route) => route.path === '/healthz' || route.path.startsWith('/api/'));

let cached: Schema | undefined;

/** The document: pure data, built once per process. */
export function openApiDocument(): Schema {
  cached ??= build();
  return cached;
}

function build(): Schema {
  const bodies: Readonly<Record<string, z.ZodType>> = REQUEST_BODIES;
  const schemas: Record<string, Schema> = { OpenApi: { type: 'object' } };
  for (const [name, schema] of Object.entries(RESPONSE_SCHEMAS)) schemas[name] = schemaOf(schema, 'output');
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of documentedRoutes()) {
    const key = routeKey(route);
    const operation = OPERATIONS[key];
    if (!operation) throw new Error(`${key} is a route with no description in the OpenAPI document`);
    const body = bodies[key];
    const parameters = [
      ...(operation.path ?? []).map((p) => ({ in: 'path', required: true, ...parameter(p) })),
      ...(operation.query ?? []).map((p) => ({ in: 'query', ...parameter(p) })),
      ...(operation.headers ?? []).map((p) => ({ in: 'header', ...parameter(p) })),
    ];
    paths[route.path] ??= {};
    const item = paths[route.path] as Record<string, unknown>;
    item[route.method.toLowerCase()] = {
      operationId: operationId(key),
      summary: operation.summary,
      ...(operation.open ? { security: [] } : {}),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(body
        ? {
            requestBody: {
              required: true,
              ...(operation.bodyRules ? { description: operation.bodyRules } : {}),
              content: {
                'application/json': { schema: schemaOf(body, 'input'), examples: examplesOf(body) },
              },
            },
          }
        : {}),
      responses: {
        [operation.ok.status]: {
          description: operation.ok.description,
          ...(operation.okHeaders ? { headers: operation.okHeaders } : {}),
          ...(operation.ok.schema
            ? {
                content: {
                  'application/json': { schema: { $ref: `#/components/schemas/${operation.ok.schema}` } },
                },
              }
            : {}),
        },
        ...(operation.alsoOk
          ? {
              [operation.alsoOk.status]: {
                description: operation.alsoOk.description,
                content: {
                  'application/json': { schema: { $ref: `#/components/schemas/${operation.ok.schema}` } },
                },
              },
            }
          : {}),
        ...Object.fromEntries(
          operation.errors.map((status) => [status, { $ref: `#/components/responses/E${status}` }]),
        ),
      },
    };
  }
  const errorStatuses = [...new Set(Object.values(OPERATIONS).flatMap((o) => o.errors))].sort(
    (a, b) => a - b,
  );
  return {
    openapi: '3.1.1',
    info: {
      title: 'TMS',
      version: API_VERSION,
      description:
        'The task API of TMS: the same tasks, lifecycle and roles as the Slack bot. Every route but /healthz takes a bearer token: on AWS a Cognito ID token (its cognito:groups give the role), locally TMS_API_TOKEN (an admin) or a JWT from `npm run token`.',
    },
    // No servers: the document is served by the API it describes, and a relative base is that API's.
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'A Cognito ID token on AWS; locally TMS_API_TOKEN or a JWT from `npm run token`',
        },
      },
      schemas,
      responses: Object.fromEntries(
        errorStatuses.map((status) => [
          `E${status}`,
          {
            description: ERROR_WHY[status] ?? 'An error',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
          },
        ]),
      ),
    },
  };
}

/** The document's own version; the package's is 0.1.0 and not read at run time (a Lambda bundle has no package.json). */
const API_VERSION = '0.1.0';

function parameter(p: Parameter): Schema {
  return {
    name: p.name,
    description: p.description,
    ...(p.required ? { required: true } : {}),
    schema: p.schema,
  };
}

function operationId(key: string): string {
  return key
    .toLowerCase()
    .replace(/[{}]/g, '')
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
    .map((word, i) => (i === 0 ? word : word[0]?.toUpperCase() + word.slice(1)))
    .join('');
}

/** The schema's `meta` examples as OpenAPI named examples (a media type's `examples` is a map). */
function examplesOf(schema: z.ZodType): Record<string, { value: unknown }> {
  const examples = (z.globalRegistry.get(schema)?.examples ?? []) as unknown[];
  return Object.fromEntries(examples.map((value, i) => [`example${i + 1}`, { value }]));
}
