import type { Alert, Route } from '../alert.js';
import { prioritize, route, routeService } from '../alert.js';
import { boundLabels, LIMITS, own } from '../bounds.js';
import type { Config } from '../config.js';
import { DomainError } from '../errors.js';
import { snapshotEscalation } from '../escalation.js';
import { type TaskGroup, taskGroupOf } from '../group.js';
import { plausibleTime } from '../plausible-time.js';
import type { TaskRepository } from '../ports.js';
import { authorize, type Role } from '../rbac.js';
import { fail, ok, type Result } from '../result.js';
import { issueKeyOf } from '../similar.js';
import { deadlines, snapshotSla } from '../sla.js';
import {
  formatTaskId,
  type Link,
  MAX_LINKS,
  type Priority,
  type Task,
  type TaskKind,
  type TaskSource,
} from '../task.js';
import { type ChangeContext, stamp, type TimelineEntry } from '../timeline.js';
import type { Deps } from './deps.js';
import type { OnCallAssignment } from './oncall.js';

export interface NewTask {
  readonly title: string;
  readonly description: string;
  readonly priority: Priority;
  readonly route: Route;
  readonly source: TaskSource;
  readonly kind: TaskKind;
  readonly fingerprint: string | null;
  readonly assignee: string | null;
  /** Why it opens assigned, when a rule chose the assignee (on call for a team). */
  readonly assignedBy?: Task['assignedBy'];
  readonly labels: Readonly<Record<string, string>>;
  readonly links: readonly Link[];
  /** When it happened: the SLA clocks start then (for an alert, the plausible time its sender gave). */
  readonly seenAt: string;
  /** What the sender's clock said, when it is not `seenAt` (see src/core/plausible-time.ts). */
  readonly reportedAt?: string;
  readonly occurrenceKey?: string;
  /** The Alertmanager group a group task stands for, as its first notification described it. */
  readonly group?: TaskGroup;
  /** The source's class of the problem, part of the task's issue key. */
  readonly issueClass?: string;
}

/**
 * Alert and hand-made tasks learn from earlier tasks of the same issue; chores (a schedule's) are the same
 * work every time by design, not a recurring issue. A hand-made task has no class, so it shares its key with
 * hand-made tasks of the same service and title (and with class-less alerts saying the same), which is what
 * a person means by "this happened before".
 */
const hasIssue = (kind: TaskKind): boolean => kind !== 'chore';

/** The first version of a task, with the SLA policy snapshotted onto it. */
export function buildTask(
  id: string,
  input: NewTask,
  config: Config,
  ctx: ChangeContext,
): { task: Task; entries: TimelineEntry[] } {
  const now = ctx.now.toISOString();
  const sla = snapshotSla(config);
  const runbook = own(config.services, input.route.service)?.runbook;
  const withRunbook = runbook !== undefined && !input.links.some((l) => l.url === runbook);
  // Within the task's 20 links: a sender's twentieth gives way to the runbook.
  const links = withRunbook
    ? [...input.links.slice(0, MAX_LINKS - 1), { label: 'Runbook', url: runbook }]
    : [...input.links];
  // Alerts and tasks people open escalate; a chore is planned work, nobody is paged for it.
  const escalation =
    input.kind === 'chore'
      ? undefined
      : snapshotEscalation(config, input.route.service, input.priority, ctx.now);
  const task: Task = {
    id,
    title: input.title,
    description: input.description,
    status: 'open',
    priority: input.priority,
    service: input.route.service,
    team: input.route.team,
    source: input.source,
    kind: input.kind,
    assignee: input.assignee,
    ...(input.assignedBy ? { assignedBy: input.assignedBy } : {}),
    channel: input.route.channel,
    fingerprint: input.fingerprint,
    ...(hasIssue(input.kind)
      ? { issueKey: issueKeyOf(input.route.service, input.title, input.issueClass) }
      : {}),
    occurrences: 1,
    ...(input.occurrenceKey ? { occurrenceKey: input.occurrenceKey } : {}),
    flapCount: 0,
    firstSeenAt: input.seenAt,
    lastSeenAt: input.seenAt,
    ...(input.reportedAt ? { reportedAt: input.reportedAt } : {}),
    snoozedUntil: null,
    // From when it happened, not when TMS heard of it: the time Alertmanager held it back counts against the SLA.
    ...deadlines(sla, input.priority, input.seenAt),
    createdAt: now,
    createdBy: ctx.actor.id,
    updatedAt: now,
    acknowledgedAt: null,
    acknowledgedBy: null,
    resolvedAt: null,
    resolvedBy: null,
    resolution: null,
    labels: { ...input.labels },
    links: links.slice(0, 20),
    sla,
    ...(input.group ? { group: input.group } : {}),
    ...(escalation ? { escalation } : {}),
    version: 1,
  };
  const entries = stamp(
    id,
    1,
    [
      {
        type: 'opened',
        title: task.title,
        priority: task.priority,
        service: task.service,
        assignee: task.assignee,
        ...(task.links.length > 0 ? { links: task.links } : {}),
      },
    ],
    ctx,
  );
  return { task, entries };
}

/** An alert's new task; `assigned`: whom it goes to from the start (the team's on-call), else nobody. */
export function taskFromAlert(
  id: string,
  alert: Alert,
  config: Config,
  ctx: ChangeContext,
  assigned?: OnCallAssignment,
) {
  const seen = plausibleTime(alert.occurredAt, { receivedAt: alert.receivedAt ?? ctx.now });
  return buildTask(
    id,
    {
      title: alert.title,
      description: alert.description,
      priority: prioritize(alert, config),
      route: route(alert, config),
      source: alert.source,
      kind: 'alert',
      fingerprint: alert.fingerprint,
      assignee: assigned?.assignee ?? null,
      ...(assigned ? { assignedBy: assigned.assignedBy } : {}),
      labels: alert.labels,
      links: alert.links,
      seenAt: seen.at,
      ...(seen.reported ? { reportedAt: seen.reported } : {}),
      ...(alert.occurrenceKey ? { occurrenceKey: alert.occurrenceKey } : {}),
      ...(alert.group ? { group: taskGroupOf(alert.group, ctx.now.toISOString()) } : {}),
      ...(alert.issueClass ? { issueClass: alert.issueClass } : {}),
    },
    config,
    ctx,
  );
}

export interface OpenTaskRequest {
  readonly title: string;
  readonly description?: string;
  readonly priority?: Priority;
  /** A named service routes the task to the service's channel. */
  readonly service?: string;
  /** Where the request came from (the slash command's channel): used when no service is named. */
  readonly channel?: string;
  readonly assignee?: string | null;
  /** Kept whole or refused: a person who named a label is told, not left without it (alerts' are cut). */
  readonly labels?: Readonly<Record<string, string>>;
  readonly role: Role;
  readonly ctx: ChangeContext;
}

/** A task a person opens by hand (`/tms new`, the API). */
export async function openTask(
  deps: Deps<TaskRepository>,
  request: OpenTaskRequest,
): Promise<Result<Task, DomainError>> {
  const allowed = authorize(request.role, 'create', request.ctx.actor.id);
  if (!allowed.ok) return allowed;
  const title = request.title.trim();
  if (title === '') return fail(new DomainError('INVALID_INPUT', 'A task needs a title'));
  if (title.length > 300) return fail(new DomainError('INVALID_INPUT', 'A title has at most 300 characters'));
  const labels = boundLabels(request.labels ?? {});
  if (labels.dropped > 0)
    return fail(
      new DomainError(
        'INVALID_INPUT',
        `labels: at most ${LIMITS.labelBytes / 1024} KB of labels in all (${labels.droppedKeys.slice(0, 5).join(', ')} did not fit)`,
      ),
    );
  const { config } = deps;
  const named = request.service ? routeService(request.service, config) : undefined;
  const base = routeService(config.defaults.service, config);
  const taskRoute: Route = named ?? { ...base, channel: request.channel ?? base.channel };
  const id = formatTaskId(await deps.store.nextTaskNumber());
  const { task, entries } = buildTask(
    id,
    {
      title,
      description: request.description?.trim() ?? '',
      priority: request.priority ?? config.defaults.priority,
      route: taskRoute,
      source: request.ctx.via === 'slack' ? 'slack' : 'api',
      kind: 'manual',
      fingerprint: null,
      assignee: request.assignee ?? null,
      labels: labels.labels,
      links: [],
      seenAt: request.ctx.now.toISOString(),
    },
    config,
    request.ctx,
  );
  await deps.store.create(task, entries);
  return ok(task);
}
