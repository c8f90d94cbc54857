import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { own } from '../core/bounds.js';
import { type LifecycleAction, snoozeUntil } from '../core/lifecycle.js';
import { authorize } from '../core/rbac.js';
import { actOnTask } from '../core/use-cases/act-on-task.js';
import { openTask } from '../core/use-cases/open-task.js';
import { CreateTaskBody, TaskActionBody } from '../http/api-schemas.js';
import { type Caller, changeContextOf } from '../http/identity.js';
import { readJsonBody } from '../http/request-body.js';
import { fromError, type HttpResult, json, problem } from '../http/respond.js';
import type { HouseDeps } from '../runtime/deps.js';

/**
 * The writes of `/api/*`: the use cases Slack's `/tms new`, buttons and subcommands call, with the caller's
 * role for RBAC and the caller on the timeline (`via: api`). The card follows from the stored change, as it
 * does for Slack's, so the route answers once the task is saved.
 */

/** `POST /api/tasks`: a task opened by hand, in a configured service's channel or the default one. */
export async function createTaskRoute(
  deps: HouseDeps,
  event: APIGatewayProxyEventV2,
  caller: Caller,
): Promise<HttpResult> {
  // A viewer is told before the body is read, by the same table openTask checks.
  const allowed = authorize(caller.role, 'create', caller.actor.id);
  if (!allowed.ok) return fromError(allowed.error);
  const body = readJsonBody(event, CreateTaskBody);
  if (!body.ok) return body.refusal;
  const { title, description, priority, service, assignee, labels } = body.value;
  // As Slack's form and `/tms new` take it: a configured service, else the task would go to nobody's channel.
  if (
    service !== undefined &&
    !own(deps.config.services, service) &&
    service !== deps.config.defaults.service
  )
    return problem(
      400,
      'INVALID_INPUT',
      `service: "${service}" is not a configured service (known: ${knownServices(deps).join(', ')})`,
    );
  const opened = await openTask(deps, {
    title,
    ...(description !== undefined ? { description } : {}),
    ...(priority ? { priority } : {}),
    ...(service ? { service } : {}),
    assignee: assignee ?? null,
    ...(labels ? { labels } : {}),
    role: caller.role,
    ctx: { ...changeContextOf(caller), now: deps.clock.now() },
  });
  if (!opened.ok) return fromError(opened.error);
  return json(201, { task: opened.value }, { location: `/api/tasks/${opened.value.id}` });
}

/** `POST /api/tasks/{id}/actions`: one lifecycle command, as the card's button or the subcommand sends it. */
export async function taskActionRoute(
  deps: HouseDeps,
  event: APIGatewayProxyEventV2,
  caller: Caller,
): Promise<HttpResult> {
  const body = readJsonBody(event, TaskActionBody);
  if (!body.ok) return body.refusal;
  const command = commandOf(body.value, deps.clock.now());
  if ('refusal' in command) return command.refusal;
  const acted = await actOnTask(deps, {
    taskId: decoded(event.pathParameters?.id ?? ''),
    command,
    role: caller.role,
    ctx: changeContextOf(caller),
  });
  if (!acted.ok) return fromError(acted.error);
  return json(200, { task: acted.value.task });
}

/** The lifecycle command an action asks for, as Slack's controls map theirs (src/bot/listeners). */
function commandOf(body: TaskActionBody, now: Date): LifecycleAction | { readonly refusal: HttpResult } {
  switch (body.action) {
    case 'acknowledge':
    case 'claim':
    case 'start':
    case 'reopen':
    case 'unsnooze':
      return { type: body.action };
    case 'resolve':
      return { type: 'resolve', resolution: body.note ?? null };
    case 'comment':
      return { type: 'comment', text: body.note ?? '' };
    case 'snooze': {
      const until = snoozeUntil(body.duration ?? '', now);
      if (!until.ok) return { refusal: problem(400, 'INVALID_INPUT', `duration: ${until.error.message}`) };
      return { type: 'snooze', until: until.value };
    }
    case 'escalate':
      return {
        refusal: problem(
          409,
          'NOT_AVAILABLE_YET',
          'escalate is not available yet: TMS has no escalation of its own to start (it is planned); acknowledge or claim the task, or page the team',
          {},
        ),
      };
  }
}

const knownServices = (deps: HouseDeps): string[] =>
  [...new Set([...Object.keys(deps.config.services), deps.config.defaults.service])].slice(0, 10);

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // not valid percent-encoding: it will not parse as a task id either
  }
}
