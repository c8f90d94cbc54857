import type { BotDeps } from '../bot/context.js';
import { escapeMrkdwn, slackDate } from '../bot/text.js';
import { Alert, routeService } from '../core/alert.js';
import { cut } from '../core/bounds.js';
import type { ScheduleConfig } from '../core/config.js';
import type { ScheduleStore } from '../core/ports.js';
import {
  checkSchedule,
  configScheduleId,
  everyText,
  newSchedule,
  planRun,
  type RunSummary,
  type Schedule,
  type ScheduleRun,
  statusAfter,
  upcomingRuns,
} from '../core/schedule.js';
import { readIsoIn } from '../core/schedule-time.js';
import { formatTaskId } from '../core/task.js';
import type { ChangeContext } from '../core/timeline.js';
import { ingestAlert } from '../core/use-cases/ingest-alert.js';
import { buildTask } from '../core/use-cases/open-task.js';
import { logger } from '../runtime/logger.js';

/**
 * The executor of schedules (issue 18), a job of the per-minute sweep: on AWS EventBridge's schedule, locally
 * the stack's tick (`TMS_TICK`, `POST /_sandbox/tick`, `npm run tick`).
 *
 * Each sweep first brings the config's `schedules:` into the store, then runs what is due, found in the due
 * index (never a scan). A run is keyed by (schedule, the time it was due) and its item is its lease: a tick
 * delivered twice, or two sweepers at once, run it once, and a sweeper killed mid-run leaves it to the next one
 * once its lease runs out, which carries on with what the first recorded (the task number it was about to use,
 * so a chore's task is opened once). Only then is the schedule moved on, conditionally on the run it just
 * did, so a second sweeper that lost the race changes nothing. A run missed while TMS was down runs once,
 * late, and says so; the schedule then goes on from its first occurrence after now.
 *
 * What each action does: `task` opens a chore task (kind `chore`, source `schedule`, label `schedule: <id>`)
 * whose card is posted as any task's; `message` posts the reminder into its channel; `webhook` POSTs a signed
 * JSON body (src/adapters/http/webhook-sender.ts), retried with backoff. A run that fails for good is kept
 * with its error and opens a task about it (one per schedule, counted per failed run, resolved by the next
 * run that succeeds).
 */

export interface ScheduleSweep {
  readonly ran: number;
  readonly failed: number;
  /** Due runs another sweeper holds right now. */
  readonly busy: number;
  /** Runs that stopped on a fault (Slack or the store down): taken over once their lease runs out. */
  readonly errors: number;
  readonly synced: { readonly added: number; readonly removed: number };
}

type ScheduleJobDeps = BotDeps & { readonly schedules: ScheduleStore };

/** A sweeper that holds a run longer than this is taken to have died (a sweep ends within a minute). */
const LEASE_MS = 2 * 60_000;
/** At most this many runs a sweep, a few at a time: webhooks may take their timeout, thrice. */
const DUE_PER_SWEEP = 25;
const IN_PARALLEL = 5;
/**
 * No new batch is begun after this much of a sweep (real time: the Lambda's own budget, whatever the clock of
 * the schedules says): a batch of webhooks may take 40 s (three attempts of 10 s, two waits of at most 5 s),
 * and the sweep has 55. What is left is due still, and the next minute's sweep runs it; a run cut short all the
 * same is taken over once its lease ends, and given up after MAX_BEGUN.
 */
const START_BUDGET_MS = 10_000;
const ERROR_MAX = 500;
/**
 * A run begun this often and never finished (each sweeper stopped mid-run: killed, or a fault each time) is
 * given up on, failed, with a task about it: one schedule that always breaks cannot hold a place among the due
 * forever, nor run its action again every two minutes.
 */
const MAX_BEGUN = 3;

export async function runSchedules(deps: BotDeps, now: Date): Promise<ScheduleSweep | 'no store'> {
  if (!deps.schedules) return 'no store';
  const withStore = deps as ScheduleJobDeps;
  const synced = await syncConfigSchedules(withStore, now);
  const due = await withStore.schedules.dueSchedules(now.toISOString(), DUE_PER_SWEEP);
  let ran = 0;
  let failed = 0;
  let busy = 0;
  let errors = 0;
  const began = performance.now();
  for (let i = 0; i < due.length && performance.now() - began < START_BUDGET_MS; i += IN_PARALLEL) {
    const outcomes = await Promise.all(
      due.slice(i, i + IN_PARALLEL).map((schedule) =>
        runOnce(withStore, schedule, now).catch((error: unknown) => {
          // Left as it is: its lease runs out and a later sweep runs it (a store fault, Slack down).
          logger.error('schedule run did not finish; a later sweep takes it over', {
            schedule: schedule.id,
            error,
          });
          return 'error' as const;
        }),
      ),
    );
    for (const outcome of outcomes) {
      if (outcome === 'completed') ran++;
      else if (outcome === 'failed') failed++;
      else if (outcome === 'busy') busy++;
      else if (outcome === 'error') errors++;
    }
  }
  return { ran, failed, busy, errors, synced };
}

/** The config's `schedules:` as store items: each entry by an id its content gives; gone from the config, gone. */
export async function syncConfigSchedules(
  deps: ScheduleJobDeps,
  now: Date,
): Promise<{ added: number; removed: number }> {
  const wanted = new Map<string, ScheduleConfig>();
  for (const entry of deps.config.schedules) wanted.set(configScheduleId(entry), entry);
  const stored = (await deps.schedules.listSchedules()).filter((s) => s.origin === 'config');
  const have = new Set(stored.map((s) => s.id));
  let added = 0;
  let removed = 0;
  for (const [id, entry] of wanted) {
    if (have.has(id)) continue;
    const schedule = fromConfig(deps, id, entry, now);
    if (!schedule) continue;
    try {
      await deps.schedules.createSchedule(schedule);
      added++;
    } catch (error) {
      // Another sweeper made it first: the same id, so the same entry.
      if (!(await deps.schedules.getSchedule(id))) throw error;
    }
  }
  for (const schedule of stored) {
    if (wanted.has(schedule.id)) continue;
    if (await deps.schedules.deleteSchedule(schedule.id)) removed++;
  }
  return { added, removed };
}

function fromConfig(
  deps: ScheduleJobDeps,
  id: string,
  entry: ScheduleConfig,
  now: Date,
): Schedule | undefined {
  const at = readIsoIn(entry.at, entry.timezone);
  const services = [...Object.keys(deps.config.services), deps.config.defaults.service];
  const checked = at.ok
    ? checkSchedule(
        {
          title: entry.title,
          at: at.value,
          timezone: entry.timezone,
          action: entry.action,
          ...(entry.every !== undefined ? { every: entry.every } : {}),
          ...(entry.channel !== undefined ? { channel: entry.channel } : {}),
          ...(entry.url !== undefined ? { url: entry.url } : {}),
          ...(entry.priority !== undefined ? { priority: entry.priority } : {}),
          ...(entry.service !== undefined ? { service: entry.service } : {}),
          ...(entry.assignee !== undefined ? { assignee: entry.assignee } : {}),
        },
        services,
      )
    : at;
  // The config was checked as it loaded (src/core/config.ts); this is the same check, for what it cannot see.
  if (!checked.ok) {
    logger.warn('a schedule of the config is not valid; it is left out', {
      title: entry.title,
      error: checked.error,
    });
    return undefined;
  }
  const schedule = newSchedule(checked.value, { id, createdBy: 'config', createdAt: now, origin: 'config' });
  // A chore the config has named since January starts from its next occurrence, not from January.
  const [next] = upcomingRuns(schedule, now, 1);
  return next
    ? { ...schedule, nextRunAt: next.toISOString() }
    : { ...schedule, nextRunAt: null, status: 'completed' };
}

type RunOutcome = 'completed' | 'failed' | 'busy' | 'moved on';

const later = (a: Date, b: Date): Date => (a > b ? a : b);

async function runOnce(deps: ScheduleJobDeps, schedule: Schedule, sweptAt: Date): Promise<RunOutcome> {
  // Read when this run starts, not when the sweep did: a later batch starts seconds after, and its lease with it.
  const now = later(deps.clock.now(), sweptAt);
  const scheduledFor = schedule.nextRunAt;
  if (scheduledFor === null) return 'moved on';
  const plan = planRun(schedule, new Date(scheduledFor), now);
  const holder = deps.newId();
  const start: ScheduleRun = {
    scheduleId: schedule.id,
    scheduledFor,
    status: 'running',
    startedAt: now.toISOString(),
    ...(plan.late ? { late: true, skipped: plan.skipped } : {}),
  };
  const lease = await deps.schedules.beginRun(
    start,
    holder,
    new Date(now.getTime() + LEASE_MS).toISOString(),
    now.toISOString(),
  );
  if (lease.outcome === 'in-progress') return 'busy';
  if (lease.outcome === 'done') {
    // It ran, and whoever ran it stopped before moving the schedule on: only that is left to do.
    await advance(deps, schedule, lease.run, plan.next);
    return 'moved on';
  }
  const ended =
    (lease.run.begun ?? 1) > MAX_BEGUN
      ? await giveUp(deps, schedule, lease.run, now)
      : await perform(deps, schedule, lease.run, holder, now);
  if (!(await deps.schedules.finishRun(ended, holder))) return 'busy';
  await advance(deps, schedule, ended, plan.next);
  if (ended.status === 'completed' && schedule.lastRun?.status === 'failed')
    await recovered(deps, schedule, now);
  return ended.status === 'completed' ? 'completed' : 'failed';
}

async function advance(deps: ScheduleJobDeps, schedule: Schedule, run: ScheduleRun, next: Date | null) {
  const lastRun: RunSummary = {
    scheduledFor: run.scheduledFor,
    status: run.status,
    ...(run.finishedAt ? { finishedAt: run.finishedAt } : {}),
    ...(run.error ? { error: run.error } : {}),
    ...(run.taskId ? { taskId: run.taskId } : {}),
  };
  await deps.schedules.advanceSchedule(schedule.id, run.scheduledFor, {
    nextRunAt: next?.toISOString() ?? null,
    lastRun,
    status: statusAfter(run.status, next),
  });
}

/** Does what the schedule says, once; a failure that retrying will not mend ends the run failed, with a task about it. */
async function perform(
  deps: ScheduleJobDeps,
  schedule: Schedule,
  run: ScheduleRun,
  holder: string,
  now: Date,
): Promise<ScheduleRun> {
  const finished = (fields: Partial<ScheduleRun>): ScheduleRun => ({
    ...run,
    ...fields,
    finishedAt: deps.clock.now().toISOString(),
  });
  if (schedule.action === 'task') {
    const taskId = run.taskId ?? formatTaskId(await deps.store.nextTaskNumber());
    // Recorded before the task is made: whoever takes this run over makes the same one (a second create is refused).
    if (!run.taskId && !(await deps.schedules.noteRunTask(schedule.id, run.scheduledFor, holder, taskId)))
      return finished({ status: 'failed', error: 'another sweeper took the run over' });
    await openChore(deps, schedule, run, taskId, now);
    return finished({ status: 'completed', taskId });
  }
  const done =
    schedule.action === 'message'
      ? await postReminder(deps, schedule, run)
      : await callWebhook(deps, schedule, run);
  const attempts = done.attempts !== undefined ? { attempts: done.attempts } : {};
  if (done.ok) return finished({ status: 'completed', ...attempts });
  const error = cut(done.error, ERROR_MAX);
  const failedRun = { ...run, ...attempts };
  const taskId = await reportFailure(deps, schedule, failedRun, error, now);
  return finished({ status: 'failed', error, ...attempts, ...(taskId ? { taskId } : {}) });
}

/** A run that sweeper after sweeper began and none finished: failed, with a task about it, so the schedule goes on. */
async function giveUp(
  deps: ScheduleJobDeps,
  schedule: Schedule,
  run: ScheduleRun,
  now: Date,
): Promise<ScheduleRun> {
  const error = `${MAX_BEGUN} sweepers began this run and none finished it (each stopped on a fault or was stopped: the sweeper's logs say which); given up, so the schedule goes on`;
  const taskId = await reportFailure(deps, schedule, run, error, now);
  return {
    ...run,
    status: 'failed',
    error,
    ...(taskId && !run.taskId ? { taskId } : {}),
    finishedAt: deps.clock.now().toISOString(),
  };
}

function lateNote(schedule: Schedule, run: ScheduleRun): string {
  if (!run.late) return '';
  const skipped = run.skipped ?? 0;
  const more =
    skipped > 0
      ? ` ${skipped}${skipped >= 1_000 ? '+' : ''} later occurrence${skipped === 1 ? '' : 's'} that also passed meanwhile ${skipped === 1 ? 'was' : 'were'} not run again.`
      : '';
  return `This run was due ${run.scheduledFor.slice(0, 16).replace('T', ' ')} UTC, while TMS was not running: it ran once, late, at ${run.startedAt.slice(0, 16).replace('T', ' ')} UTC.${more} The schedule (${everyText(schedule.every)}) goes on from its next occurrence.`;
}

async function openChore(
  deps: ScheduleJobDeps,
  schedule: Schedule,
  run: ScheduleRun,
  taskId: string,
  now: Date,
) {
  const { config } = deps;
  const base = routeService(schedule.service ?? config.defaults.service, config);
  const route = schedule.service || !schedule.channel ? base : { ...base, channel: schedule.channel };
  const ctx: ChangeContext = { actor: { type: 'schedule', id: schedule.id }, via: 'schedule', now };
  const description = [
    `A chore of schedule ${schedule.id} (${everyText(schedule.every)}, in ${schedule.timezone}), due ${run.scheduledFor.slice(0, 16).replace('T', ' ')} UTC.`,
    lateNote(schedule, run),
    `\`/tms schedules\` lists it; \`/tms unschedule ${schedule.id}\` stops it.`,
  ]
    .filter(Boolean)
    .join('\n');
  const { task, entries } = buildTask(
    taskId,
    {
      title: schedule.title,
      description,
      priority: schedule.priority ?? config.defaults.priority,
      route,
      source: 'schedule',
      kind: 'chore',
      fingerprint: null,
      assignee: schedule.assignee ?? null,
      labels: { schedule: schedule.id, ...(run.late ? { late: 'true' } : {}) },
      links: [],
      seenAt: run.scheduledFor < now.toISOString() ? run.scheduledFor : now.toISOString(),
    },
    config,
    ctx,
  );
  // `exists`: the holder before this one made it and died before it could say so.
  await deps.store.create(task, entries);
}

/** How an action went: `attempts` counts a webhook's calls. */
type Done =
  | { readonly ok: true; readonly attempts?: number }
  | { readonly ok: false; readonly error: string; readonly attempts?: number };

const TRANSIENT_SLACK = new Set([
  'ratelimited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'team_added_to_org',
]);

async function postReminder(deps: ScheduleJobDeps, schedule: Schedule, run: ScheduleRun): Promise<Done> {
  const late = lateNote(schedule, run);
  const text = `:alarm_clock: *Reminder:* ${escapeMrkdwn(schedule.title)}${late ? `\n_${escapeMrkdwn(late)}_` : ''}`;
  try {
    await deps.slack.chat.postMessage({
      channel: schedule.channel ?? deps.config.defaults.channel,
      text,
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text } },
        {
          type: 'context',
          elements: [
            {
              type: 'mrkdwn',
              text: `${schedule.id} · ${everyText(schedule.every)} · due ${slackDate(run.scheduledFor)}`,
            },
          ],
        },
      ],
      unfurl_links: false,
    });
    return { ok: true };
  } catch (error) {
    const code = (error as { data?: { error?: string } }).data?.error;
    // Slack's own refusals (a channel gone, the bot not in it, a posting restriction, a token revoked) are not
    // mended by trying again; Slack being down or limiting is, at the next sweep.
    if (typeof code === 'string' && !TRANSIENT_SLACK.has(code))
      return { ok: false, error: `Slack refused the reminder: ${cut(code, 100)}` };
    throw error;
  }
}

async function callWebhook(deps: ScheduleJobDeps, schedule: Schedule, run: ScheduleRun): Promise<Done> {
  if (!deps.webhooks)
    return {
      ok: false,
      error: 'TMS_WEBHOOK_SECRET is not set, so the webhook cannot be signed; nothing was sent',
      attempts: 0,
    };
  const deliveryId = `${schedule.id}/${run.scheduledFor}`;
  const body = JSON.stringify({
    deliveryId,
    schedule: {
      id: schedule.id,
      title: schedule.title,
      every: schedule.every ?? null,
      timezone: schedule.timezone,
    },
    scheduledFor: run.scheduledFor,
    startedAt: run.startedAt,
    late: run.late ?? false,
    skipped: run.skipped ?? 0,
  });
  const result = await deps.webhooks.send({ url: schedule.url ?? '', body, deliveryId });
  return result.ok
    ? { ok: true, attempts: result.attempts }
    : { ok: false, error: result.error, attempts: result.attempts };
}

const failureFingerprint = (id: string) => `schedule-failed:${id}`;

/** The task about a failed run: one per schedule while it keeps failing, each failed run an occurrence of it. */
async function reportFailure(
  deps: ScheduleJobDeps,
  schedule: Schedule,
  run: ScheduleRun,
  error: string,
  now: Date,
): Promise<string | undefined> {
  const what =
    schedule.action === 'message'
      ? 'its reminder did not go out'
      : schedule.action === 'webhook'
        ? 'its webhook did not go out'
        : 'its task could not be opened';
  const outcome = await ingestAlert(
    deps,
    Alert.parse({
      source: 'tms',
      action: 'trigger',
      fingerprint: failureFingerprint(schedule.id),
      title: cut(`Schedule “${schedule.title}” failed: ${what}`, 300),
      description: [
        `The run due ${run.scheduledFor.slice(0, 16).replace('T', ' ')} UTC of ${schedule.id} (${everyText(schedule.every)}) failed: ${error}`,
        schedule.action === 'webhook'
          ? `Its webhook was tried ${run.attempts ?? 'several'} times with backoff; the next run tries again. \`/tms schedules\` shows how each run went.`
          : 'The next run tries again. `/tms schedules` shows how each run went.',
        lateNote(schedule, run),
      ]
        .filter(Boolean)
        .join('\n'),
      priority: schedule.priority ?? deps.config.defaults.priority,
      ...(schedule.service ? { service: schedule.service } : {}),
      labels: { schedule: schedule.id },
      occurredAt: now.toISOString(),
      occurrenceKey: run.scheduledFor,
      summary: cut(`The run due ${run.scheduledFor} failed: ${error}`, 300),
      issueClass: 'schedule-failed',
    }),
  );
  return outcome.taskId ?? undefined;
}

/** A run that went out after one that failed resolves the task about the failure. */
async function recovered(deps: ScheduleJobDeps, schedule: Schedule, now: Date): Promise<void> {
  await ingestAlert(
    deps,
    Alert.parse({
      source: 'tms',
      action: 'resolve',
      fingerprint: failureFingerprint(schedule.id),
      title: cut(`Schedule “${schedule.title}” ran again`, 300),
      description: `The next run of ${schedule.id} went out.`,
      occurredAt: now.toISOString(),
    }),
  );
}
