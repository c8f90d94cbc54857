import type { Config } from '../config.js';
import { DomainError } from '../errors.js';
import type { ScheduleStore } from '../ports.js';
import { authorize, type Role } from '../rbac.js';
import { fail, ok, type Result } from '../result.js';
import {
  checkSchedule,
  newSchedule,
  type Schedule,
  type ScheduleRequest,
  type ScheduleRun,
  type ScheduleStatus,
  scheduleIdFrom,
  upcomingRuns,
} from '../schedule.js';
import { HORIZON_MS } from '../schedule-time.js';
import type { Clock } from '../time.js';

/**
 * What Slack and the API do with schedules (issue 18), in one place: who may, what is checked, and what is
 * kept. The executor that runs them is src/jobs/schedules.ts.
 */
export interface ScheduleDeps {
  readonly schedules: ScheduleStore;
  readonly clock: Clock;
  readonly config: Config;
  readonly newId: () => string;
  /** Whether webhooks can be signed (TMS_WEBHOOK_SECRET is set): a webhook schedule is refused otherwise. */
  readonly webhooksEnabled: boolean;
}

export interface Maker {
  readonly user: string;
  readonly role: Role;
  readonly origin: 'slack' | 'api';
}

const invalid = (message: string) => fail(new DomainError('INVALID_INPUT', message));

/**
 * Makes a schedule: allowed to whoever may open tasks, checked as every way of making one is. A first run in the
 * past is refused for a one-off; a recurring one starts from its first run after now.
 */
export async function createSchedule(
  deps: ScheduleDeps,
  request: ScheduleRequest,
  maker: Maker,
): Promise<Result<Schedule, DomainError>> {
  const allowed = authorize(maker.role, 'create', maker.user);
  if (!allowed.ok) return allowed;
  const services = [...Object.keys(deps.config.services), deps.config.defaults.service];
  const checked = checkSchedule(request, services);
  if (!checked.ok) return invalid(checked.error);
  if (checked.value.action === 'webhook' && !deps.webhooksEnabled)
    return invalid(
      'webhooks are not set up here: TMS_WEBHOOK_SECRET, the key they are signed with, is not set',
    );
  const now = deps.clock.now();
  if (checked.value.at.getTime() - now.getTime() > HORIZON_MS)
    return invalid('the first run is more than ten years ahead: a schedule starts within ten years');
  // Ids are 32 random bits: a clash is rare, and answered with another id rather than a refusal.
  for (let attempt = 0; ; attempt++) {
    const made = newSchedule(checked.value, {
      id: scheduleIdFrom(deps.newId()),
      createdBy: maker.user,
      createdAt: now,
      origin: maker.origin,
    });
    const [next] = upcomingRuns(made, now, 1);
    if (!next) return invalid(`${made.at} has passed: a schedule that runs once is due ahead`);
    const schedule: Schedule = { ...made, nextRunAt: next.toISOString() };
    try {
      await deps.schedules.createSchedule(schedule);
      return ok(schedule);
    } catch (error) {
      if (attempt >= 2 || !(await deps.schedules.getSchedule(schedule.id))) throw error;
    }
  }
}

/** Every schedule, or those in one state, soonest next run first. */
export async function listSchedules(
  deps: Pick<ScheduleDeps, 'schedules'>,
  status?: ScheduleStatus,
): Promise<Schedule[]> {
  const all = await deps.schedules.listSchedules();
  return status ? all.filter((s) => s.status === status) : all;
}

/** A schedule and its latest runs, newest first. */
export async function readSchedule(
  deps: Pick<ScheduleDeps, 'schedules'>,
  id: string,
  runs = 20,
): Promise<Result<{ schedule: Schedule; runs: ScheduleRun[] }, DomainError>> {
  const schedule = await deps.schedules.getSchedule(id);
  if (!schedule) return notFound(id);
  return ok({ schedule, runs: await deps.schedules.listRuns(id, runs) });
}

/**
 * Removes a schedule: its maker or an admin may; one from the config is removed by editing the config (it
 * would come back at the next sweep). Its runs stay, for its history.
 */
export async function removeSchedule(
  deps: Pick<ScheduleDeps, 'schedules'>,
  id: string,
  remover: { readonly user: string; readonly role: Role },
): Promise<Result<Schedule, DomainError>> {
  const schedule = await deps.schedules.getSchedule(id);
  if (!schedule) return notFound(id);
  if (schedule.origin === 'config')
    return fail(
      new DomainError('NOT_ALLOWED', `${id} comes from the config's schedules: remove it there`, {
        action: 'delete',
      }),
    );
  if (remover.role !== 'admin' && !(remover.role === 'developer' && schedule.createdBy === remover.user))
    return fail(
      new DomainError('NOT_ALLOWED', `Only its maker or an admin can remove ${id}`, {
        action: 'delete',
        user: remover.user,
        role: remover.role,
      }),
    );
  if (!(await deps.schedules.deleteSchedule(id))) return notFound(id);
  return ok(schedule);
}

const notFound = (id: string) =>
  fail(new DomainError('SCHEDULE_NOT_FOUND', `There is no schedule ${id.slice(0, 40)}`, { input: id }));
