import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { authorize } from '../core/rbac.js';
import { ScheduleStatus, shownTo } from '../core/schedule.js';
import { isTimeZone, readIsoIn } from '../core/schedule-time.js';
import {
  createSchedule,
  listSchedules,
  readSchedule,
  removeSchedule,
  type ScheduleDeps,
} from '../core/use-cases/schedules.js';
import { checkWebhookUrl } from '../core/webhook-target.js';
import { CreateScheduleBody } from '../http/api-schemas.js';
import type { Caller } from '../http/identity.js';
import { readJsonBody } from '../http/request-body.js';
import { fromError, type HttpResult, json, problem } from '../http/respond.js';
import type { HouseDeps } from '../runtime/deps.js';
import { logger } from '../runtime/logger.js';

/**
 * The schedules of `/api/*` (issue 18): the use cases `/tms schedule`, `/tms schedules` and `/tms unschedule`
 * call, with the caller's role. Making one needs what opening a task needs (`create`); reading them, `view`
 * (checked for every route by the api handler); removing one, its maker or an admin, and never one from the
 * config. The executor that runs them is src/jobs/schedules.ts.
 */

/** The zone a time written without an offset is read in, when the request names none: as Slack's where unknown. */
const DEFAULT_TIMEZONE = 'UTC';

/** `POST /api/schedules`: 201 and the schedule, due first at its `nextRunAt`. */
export async function createScheduleRoute(
  deps: HouseDeps,
  event: APIGatewayProxyEventV2,
  caller: Caller,
): Promise<HttpResult> {
  // A viewer is told before the body is read, by the table createSchedule checks too.
  const allowed = authorize(caller.role, 'create', caller.actor.id);
  if (!allowed.ok) return fromError(allowed.error);
  const body = readJsonBody(event, CreateScheduleBody);
  if (!body.ok) return body.refusal;
  const { at, timezone = DEFAULT_TIMEZONE, action = 'task', url, ...rest } = body.value;
  // The zone first: `at` is read in it.
  if (!isTimeZone(timezone))
    return invalid(`timezone: "${timezone.slice(0, 64)}" is not a time zone such as Europe/Berlin or UTC`);
  const first = readIsoIn(at, timezone);
  if (!first.ok) return invalid(`at: ${first.error}`);
  // The URL's form is checked here; the addresses its host resolves to are checked when the webhook is sent
  // (they may change in between, so a check now would prove nothing then).
  if (url !== undefined) {
    const target = checkWebhookUrl(url);
    if (!target.ok) return invalid(`url: ${target.error}`);
  }
  const made = await createSchedule(
    scheduleDeps(deps),
    { ...rest, at: first.value, timezone, action, ...(url !== undefined ? { url } : {}) },
    { user: caller.actor.id, role: caller.role, origin: 'api' },
  );
  if (!made.ok) return fromError(made.error);
  const schedule = made.value;
  return json(201, { schedule }, { location: `/api/schedules/${schedule.id}` });
}

/** `GET /api/schedules[?status=]`: every schedule, or those in one state, soonest next run first. */
export async function listSchedulesRoute(
  deps: HouseDeps,
  event: APIGatewayProxyEventV2,
  caller: Caller,
): Promise<HttpResult> {
  const asked = event.queryStringParameters?.status?.trim();
  const status = asked ? ScheduleStatus.safeParse(asked) : undefined;
  if (status && !status.success)
    return invalid(`status: "${asked?.slice(0, 40)}" is not one of ${ScheduleStatus.options.join(', ')}`);
  const viewer = { user: caller.actor.id, role: caller.role };
  return json(200, { schedules: (await listSchedules(deps, status?.data)).map((s) => shownTo(s, viewer)) });
}

/** `GET /api/schedules/{id}`: the schedule and its latest runs, newest first. */
export async function readScheduleRoute(
  deps: HouseDeps,
  event: APIGatewayProxyEventV2,
  caller: Caller,
): Promise<HttpResult> {
  const id = scheduleIdOf(event);
  if (!id.ok) return id.refusal;
  const read = await readSchedule(deps, id.value);
  if (!read.ok) return fromError(read.error);
  const viewer = { user: caller.actor.id, role: caller.role };
  return json(200, { ...read.value, schedule: shownTo(read.value.schedule, viewer) });
}

/** `DELETE /api/schedules/{id}`: 204; its runs stay for their history, and no run of it starts again. */
export async function deleteScheduleRoute(
  deps: HouseDeps,
  event: APIGatewayProxyEventV2,
  caller: Caller,
): Promise<HttpResult> {
  const id = scheduleIdOf(event);
  if (!id.ok) return id.refusal;
  const removed = await removeSchedule(deps, id.value, { user: caller.actor.id, role: caller.role });
  if (!removed.ok) return fromError(removed.error);
  // A schedule has no timeline: the log is where its removal stays on record, with who removed it.
  logger.info('schedule removed', {
    scheduleId: removed.value.id,
    actor: caller.actor,
    via: caller.via,
    title: removed.value.title,
    createdBy: removed.value.createdBy,
  });
  return { statusCode: 204 };
}

/** What the use cases need, from the house: webhooks can be made only where they can be sent (and signed). */
const scheduleDeps = (deps: HouseDeps): ScheduleDeps => ({
  schedules: deps.schedules,
  clock: deps.clock,
  config: deps.config,
  newId: deps.newId,
  webhooksEnabled: deps.webhooksEnabled,
});

/**
 * The path's schedule id, `SCH-` and eight base-36 characters; read case-insensitively, as a person may copy
 * it in capitals. What is not one is a 400, as for a task id; one that is but names nothing, a 404.
 */
function scheduleIdOf(
  event: APIGatewayProxyEventV2,
): { ok: true; value: string } | { ok: false; refusal: HttpResult } {
  const raw = decoded(event.pathParameters?.id ?? '');
  const match = /^sch-([0-9a-z]{8})$/i.exec(raw.trim());
  if (!match?.[1])
    return {
      ok: false,
      refusal: invalid(`"${raw.slice(0, 40)}" is not a schedule id such as SCH-1a2b3c4d`),
    };
  return { ok: true, value: `SCH-${match[1].toLowerCase()}` };
}

const invalid = (message: string) => problem(400, 'INVALID_INPUT', message);

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // not valid percent-encoding: it will not parse as a schedule id either
  }
}
