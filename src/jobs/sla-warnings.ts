import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { BotDeps } from '../bot/context.js';
import { slackFailure } from '../bot/slack-errors.js';
import { link, mention, messageText, mrkdwn, slackDate } from '../bot/text.js';
import {
  readableDuration,
  typicalTime,
  type WarningLevel,
  warningLevel,
} from '../core/aggregates/resolutions.js';
import type { Notifier } from '../core/ports.js';
import { type SlaStage, slaClock } from '../core/sla.js';
import { type Task, UNRESOLVED } from '../core/task.js';
import { logger } from '../runtime/logger.js';
import type { FactMetrics } from '../runtime/metrics.js';
import { syncCard } from './card-sync.js';
import { type History, historyOf } from './history.js';
import { once } from './once.js';

/** How long a warning is remembered: longer than any SLA window. */
const REMEMBER_MS = 30 * 86_400_000;
const PAGE = 100;

/**
 * The sweeper's SLA job: every unresolved, unsnoozed task whose ack or resolve deadline is at risk (or
 * predicted to be, from how long similar tasks took) or breached gets one warning per stage and state in its channel, naming the assignee (else the team's user
 * group), and its card is redrawn so its clock shows it. A P1 or P2 breach is also published to the
 * notification topic. A warning that could not be posted is tried again on the next run.
 */
export async function warnSla(
  deps: BotDeps & { notifier?: Notifier },
  now: Date,
): Promise<{ checked: number; warned: number }> {
  let before: number | null = null;
  let checked = 0;
  let warned = 0;
  do {
    const page = await deps.store.list({ statuses: UNRESOLVED, limit: PAGE, before });
    for (const task of page.tasks) {
      checked++;
      warned += await warnTask(deps, task, now);
    }
    before = page.next;
  } while (before !== null);
  return { checked, warned };
}

async function warnTask(deps: BotDeps & { notifier?: Notifier }, task: Task, now: Date): Promise<number> {
  if (task.snoozedUntil && Date.parse(task.snoozedUntil) > now.getTime()) return 0;
  let warned = 0;
  let history: History | undefined;
  for (const stage of ['ack', 'resolve'] as const satisfies readonly SlaStage[]) {
    const clock = slaClock(task, stage, now);
    if (clock.state === 'met' || clock.state === 'missed') continue;
    // History is read only for a stage that is not already at risk by the clock (and once per task).
    if (clock.state === 'ok') history ??= await historyOf(deps.aggregates, task, now).catch(() => undefined);
    const typicalMs = clock.state === 'ok' && history ? typicalTime(history, stage)?.ms : undefined;
    const level = warningLevel(clock, typicalMs);
    if (!level) continue;
    // Once per task, stage, state and deadline: a reopened task (new deadlines) is warned about again.
    const key = `${task.id}:${stage}:${level.state}:${clock.dueAt}`;
    const expires = new Date(now.getTime() + REMEMBER_MS).toISOString();
    try {
      const outcome = await once(deps, 'sla-warning', key, expires, () =>
        post(deps, task, stage, level, clock.dueAt, clock.remainingMs),
      );
      if (outcome === 'done') {
        if (level.state === 'breached') recordBreach(deps.metrics, task, stage);
        warned++;
      }
    } catch (error) {
      logger.warn('SLA warning not sent; the next sweep tries again', {
        taskId: task.id,
        stage,
        error: slackFailure(error).error,
      });
      continue;
    }
    // After the post and apart from it: a publish that fails is tried again on the next sweep, alone.
    if (level.state === 'breached' && (task.priority === 'P1' || task.priority === 'P2') && deps.notifier)
      await publishBreach(deps, deps.notifier, task, stage, clock.dueAt, key, expires);
  }
  if (warned > 0) await syncCard(deps, task.id, { force: true }).catch(() => 'behind');
  return warned;
}

async function post(
  deps: BotDeps,
  task: Task,
  stage: SlaStage,
  level: WarningLevel,
  dueAt: string,
  remainingMs: number,
): Promise<void> {
  const card = await deps.cards.card(task.id);
  const usergroup = task.team ? deps.config.teams[task.team]?.usergroup : undefined;
  const who = task.assignee ? mention(task.assignee) : usergroup ? `<!subteam^${usergroup}>` : '';
  const what = stage === 'ack' ? 'acknowledge' : 'resolve';
  const name = card?.permalink ? link(card.permalink, task.id) : `*${task.id}*`;
  const minutes = Math.max(1, Math.round(remainingMs / 60_000));
  const title = mrkdwn(task.title, 120);
  const left = minutes >= 120 ? readableDuration(remainingMs) : `${minutes} min`;
  const text =
    level.state === 'breached'
      ? `:rotating_light: ${name} (${task.priority}) ${title}: the time to ${what} ran out ${slackDate(dueAt, '{date_short_pretty} {time}')}. ${who}`.trim()
      : level.typicalMs !== undefined
        ? `:warning: ${name} (${task.priority}) ${title}: ${left} left to ${what} (due ${slackDate(dueAt, '{time}')}), and similar tasks took ${readableDuration(level.typicalMs)} (75th percentile). ${who}`.trim()
        : `:warning: ${name} (${task.priority}) ${title}: ${left} left to ${what} (due ${slackDate(dueAt, '{time}')}). ${who}`.trim();
  await deps.slack.chat.postMessage({ channel: card?.channel ?? task.channel, text: messageText(text) });
}

/** `SlaBreached` in CloudWatch (namespace TMS): per service, per priority, per stage, and in all (the alarm's). */
function recordBreach(sink: FactMetrics, task: Task, stage: SlaStage): void {
  sink.addDimensions({ Service: task.service });
  sink.addDimensions({ Priority: task.priority });
  sink.addDimensions({ Stage: stage });
  // And with no dimension but the application's own: the one series the SLA alarm watches.
  sink.addDimensions({});
  sink.addMetric('SlaBreached', MetricUnit.Count, 1);
  sink.publishStoredMetrics();
}

async function publishBreach(
  deps: BotDeps,
  notifier: Notifier,
  task: Task,
  stage: SlaStage,
  dueAt: string,
  key: string,
  expires: string,
): Promise<void> {
  try {
    await once(deps, 'sla-breach-published', key, expires, async () => {
      const permalink = (await deps.cards.card(task.id))?.permalink;
      await notifier.publish({
        subject: `${task.priority} ${task.id} ${stage === 'ack' ? 'not acknowledged' : 'not resolved'} in time: ${task.title}`,
        message: [
          `${task.id} (${task.priority}, ${task.service}) breached its ${stage} deadline at ${dueAt}.`,
          task.title,
          ...(permalink ? [`Card: ${permalink}`] : []),
        ].join('\n'),
        attributes: { taskId: task.id, priority: task.priority, event: `sla_${stage}_breached` },
      });
    });
  } catch (error) {
    logger.warn('SLA breach not published; the next sweep tries again', { taskId: task.id, stage, error });
  }
}
