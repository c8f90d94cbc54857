import { randomUUID } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { KnownBlock, WebClient } from '@slack/web-api';
import type { DynamoDBRecord } from 'aws-lambda';
import * as z from 'zod';
import { toTask } from '../adapters/dynamo/task-store.js';
import { renderCard } from '../bot/card.js';
import { REFUSED_FOR_GOOD, slackFailure } from '../bot/slack-errors.js';
import { mention, mrkdwn } from '../bot/text.js';
import { groupMembers } from '../core/escalation.js';
import type { Escalation, PageTarget } from '../core/escalation-policy.js';
import type { Escalator, Notifier, SeenStore } from '../core/ports.js';
import { Task } from '../core/task.js';
import type { Deps } from '../core/use-cases/deps.js';
import {
  escalationCheck,
  failEscalation,
  type Page,
  recordSent,
  takeEscalationStep,
} from '../core/use-cases/escalate.js';
import { logger } from '../runtime/logger.js';
import { changeOf } from './aggregator.js';
import type { EscalationStepRequest } from './escalation-machine.js';
import { once } from './once.js';

/**
 * Escalation's side effects (issue 19): the step function the state machine's Task states invoke, the
 * notifications a step sends (a DM with the card's buttons, the team channel with @here, the notification
 * topic), and the stream's part: an execution started when a task that escalates opens (or reopens), and
 * stopped, with everyone it notified told, the moment the task is acknowledged or resolved.
 */
export interface EscalationDeps extends Deps {
  readonly seen: SeenStore;
  readonly slack: WebClient;
  readonly notifier?: Notifier;
}

/** How long a page being sent holds its marker: past the step function's 30 s timeout, then anyone may send it. */
const PAGE_LEASE_MS = 35_000;

/** A page is held by another caller: the stream record is tried again later. */
export class PageInFlightError extends Error {
  override readonly name = 'PageInFlightError';
}

/** A notification is sent once per (task, run, step, recipient); its marker outlives any escalation. */
const MARKER_DAYS = 30;
const markerExpiry = (now: Date) => new Date(now.getTime() + MARKER_DAYS * 86_400_000).toISOString();

const STEP_REQUEST = z.discriminatedUnion('op', [
  z.strictObject({
    op: z.literal('check'),
    taskId: z.string().min(1).max(40),
    run: z.number().int().positive(),
  }),
  z.strictObject({
    op: z.literal('step'),
    taskId: z.string().min(1).max(40),
    run: z.number().int().positive(),
  }),
  z.strictObject({
    op: z.literal('fail'),
    taskId: z.string().min(1).max(40),
    run: z.number().int().positive(),
    error: z.string().max(2_000).optional(),
    cause: z.string().max(100_000).optional(),
  }),
]);

/** A step request that is not one the state machine sends: a fault of the caller, not worth retrying. */
export class EscalationRequestError extends Error {
  override readonly name = 'EscalationRequestError';
}

/** The step function: what the Task state asked (`op`), done through the core, answered for the Choice states. */
export async function runEscalationStep(
  deps: EscalationDeps,
  input: unknown,
): Promise<Record<string, string | number | boolean>> {
  const parsed = STEP_REQUEST.safeParse(input);
  if (!parsed.success)
    throw new EscalationRequestError(`not an escalation step request: ${z.prettifyError(parsed.error)}`);
  const request: EscalationStepRequest = parsed.data as EscalationStepRequest;
  switch (request.op) {
    case 'check': {
      const check = await escalationCheck(deps, request.taskId, request.run);
      return check.state === 'paused' ? { state: 'paused', seconds: check.seconds } : { state: check.state };
    }
    case 'step': {
      const taken = await takeEscalationStep(deps, { taskId: request.taskId, run: request.run });
      if (!taken.ok) return { next: 'stopped' };
      const sent = taken.value.page ? await sendPage(deps, taken.value.page) : undefined;
      if (sent === 'busy') return { next: 'wait', seconds: PAGE_LEASE_MS / 1000 };
      return taken.value.next === 'wait'
        ? { next: 'wait', seconds: taken.value.seconds }
        : { next: taken.value.next };
    }
    case 'fail': {
      const error = [request.error, causeOf(request.cause)].filter(Boolean).join(': ') || 'unknown error';
      logger.error('escalation step failed for good', { taskId: request.taskId, run: request.run, error });
      return { recorded: await failEscalation(deps, request.taskId, request.run, error) };
    }
  }
}

/** A Lambda error's cause is JSON (`{"errorMessage": …}`); its message is what the task should say. */
function causeOf(cause: string | undefined): string | undefined {
  if (!cause) return undefined;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage.slice(0, 300);
  } catch {
    // not JSON: said as it is
  }
  return cause.slice(0, 300);
}

/** Why a person gets the page: the line the DM opens with. */
function pageLine(task: Task, page: Page, target: PageTarget): string {
  const step = task.escalation ? ` (escalation step ${page.step} of ${task.escalation.steps.length})` : '';
  const team = task.team ? mrkdwn(task.team, 60) : 'its team';
  const why =
    target.kind === 'user' && target.as === 'oncall'
      ? `, as the on-call for ${team}`
      : target.kind === 'user' && target.as === 'next'
        ? `, as the next on-call for ${team}`
        : target.kind === 'group'
          ? ', through your user group'
          : '';
  const by = page.by ? `${mention(page.by)} escalated ` : '';
  return `:rotating_light: ${by}*${task.id}* needs someone${why}${step}: ${mrkdwn(task.title, 150)} (${task.priority}, ${mrkdwn(task.service, 60)}). Acknowledge it to stop the escalation.`;
}

/** The card's blocks under a line of its own: what a DM or a channel page shows, with the card's buttons. */
function pageMessage(task: Task, line: string, now: Date): { text: string; blocks: KnownBlock[] } {
  const card = renderCard(task, { now });
  const head: KnownBlock = { type: 'section', text: { type: 'mrkdwn', text: line } };
  return { text: line, blocks: [head, ...card.blocks].slice(0, 50) };
}

/**
 * Sends a step's notifications, each once (a marker per recipient), then records the step sent with whom it
 * reached. A recipient Slack refuses for good is passed over (and logged); a failure that may pass (Slack
 * down, rate limited, the topic unreachable) is thrown after the others were tried, so the state machine
 * retries the step, which sends only what is left.
 */
export async function sendPage(deps: EscalationDeps, page: Page): Promise<string[] | 'busy'> {
  const now = deps.clock.now();
  const { task } = page;
  const reached: string[] = [];
  // Acknowledged (or resolved) since the step was recorded: nobody more is paged for it.
  const fresh = await deps.store.get(task.id);
  if (fresh?.status !== 'open') {
    await recordSent(deps, { taskId: task.id, run: page.run, step: page.step, round: page.round }, []);
    return [];
  }
  let transient: unknown;
  let busy = false;
  const send = async (key: string, work: () => Promise<void>) => {
    const marker = `${task.id}:${page.run}:${page.round}:${page.step}:${key}`;
    const token = randomUUID();
    const claim = {
      token,
      now: now.toISOString(),
      leaseUntil: new Date(now.getTime() + PAGE_LEASE_MS).toISOString(),
    };
    const begun = await deps.seen.begin('escalation-page', marker, claim);
    if (begun === 'done') {
      reached.push(key);
      return;
    }
    // Another caller is sending it right now (or died doing so, until its lease runs out): not known sent.
    if (begun === 'in-progress') {
      busy = true;
      return;
    }
    try {
      await work();
    } catch (error) {
      await deps.seen.release('escalation-page', marker, token);
      const failure = slackFailure(error);
      if (REFUSED_FOR_GOOD.has(failure.error))
        logger.warn('escalation recipient refused by Slack; passed over', {
          taskId: task.id,
          key,
          error: failure.error,
        });
      else transient ??= error;
      return;
    }
    await deps.seen.complete('escalation-page', marker, token, markerExpiry(now));
    reached.push(key);
  };
  for (const target of page.targets) {
    const line = pageLine(task, page, target);
    switch (target.kind) {
      case 'user':
        await send(target.id, async () => {
          await deps.slack.chat.postMessage({ channel: target.id, ...pageMessage(task, line, now) });
        });
        break;
      case 'group': {
        let members: string[] = [];
        try {
          const listed = await deps.slack.usergroups.users.list({ usergroup: target.id });
          members = groupMembers(listed.users ?? []);
        } catch (error) {
          const failure = slackFailure(error);
          if (REFUSED_FOR_GOOD.has(failure.error))
            logger.warn('escalation user group unknown to Slack', { taskId: task.id, group: target.id });
          else transient ??= error;
        }
        for (const member of members)
          await send(member, async () => {
            await deps.slack.chat.postMessage({ channel: member, ...pageMessage(task, line, now) });
          });
        break;
      }
      case 'channel':
        await send(`channel:${target.id}`, async () => {
          const message = pageMessage(task, `<!here> ${line}`, now);
          await deps.slack.chat.postMessage({ channel: target.id, ...message, unfurl_links: false });
        });
        break;
      case 'sns':
        if (!deps.notifier) {
          logger.warn('escalation step names sns, but no notification topic is configured', {
            taskId: task.id,
          });
          break;
        }
        await send('sns', async () => {
          await deps.notifier?.publish({
            subject: `${task.id} ${task.priority} escalated: ${task.title}`,
            message: [
              `${task.id} (${task.priority}, ${task.service}) is still unacknowledged: escalation step ${page.step}.`,
              task.title,
              ...(task.description ? [task.description] : []),
            ].join('\n'),
            attributes: { taskId: task.id, priority: task.priority, event: 'escalated' },
          });
        });
        break;
    }
  }
  if (transient) throw transient;
  // A page another caller holds is not recorded sent: the step looks again once that lease is over.
  if (busy) return 'busy';
  const keys = reached.filter((key) => key.length <= 40);
  await recordSent(deps, { taskId: task.id, run: page.run, step: page.step, round: page.round }, keys);
  return keys;
}

/** How the end is said to those the escalation reached: who acknowledged (or resolved) it. */
function endLine(task: Task): string {
  const resolved = task.status === 'resolved';
  const who = resolved ? task.resolvedBy : task.acknowledgedBy;
  const how = resolved ? 'resolved' : 'acknowledged';
  return `:white_check_mark: *${task.id}* was ${how}${who ? ` by ${mention(who)}` : ''}: ${mrkdwn(task.title, 150)}. Its escalation has stopped; you can stand down.`;
}

/**
 * Everyone the escalation's run notified is told it ended, once each (the person who ended it excepted): a DM
 * to each person, a line in each channel paged, a message on the topic when it was paged.
 */
export async function tellNotified(deps: EscalationDeps, task: Task): Promise<number> {
  const escalation = task.escalation;
  if (!escalation || escalation.notified.length === 0) return 0;
  const now = deps.clock.now();
  const actor = task.status === 'resolved' ? task.resolvedBy : task.acknowledgedBy;
  const text = endLine(task);
  let told = 0;
  for (const key of escalation.notified) {
    if (key === actor) continue;
    let outcome: 'done' | 'skipped';
    try {
      outcome = await once(
        deps,
        'escalation-told',
        `${task.id}:${escalation.run}:${key}`,
        markerExpiry(now),
        async () => {
          if (key === 'sns') {
            await deps.notifier?.publish({
              subject: `${task.id} ${task.status === 'resolved' ? 'resolved' : 'acknowledged'}: ${task.title}`,
              message: `${task.id} (${task.priority}, ${task.service}) was ${task.status === 'resolved' ? 'resolved' : 'acknowledged'}${actor ? ` by ${actor}` : ''}: ${task.title}. Its escalation has stopped.`,
              attributes: { taskId: task.id, priority: task.priority, event: 'escalation_stopped' },
            });
            return;
          }
          const channel = key.startsWith('channel:') ? key.slice('channel:'.length) : key;
          await deps.slack.chat.postMessage({ channel, text, unfurl_links: false });
        },
      );
    } catch (error) {
      const failure = slackFailure(error);
      if (!REFUSED_FOR_GOOD.has(failure.error)) throw error;
      logger.warn('escalation end not told: Slack refuses the recipient', {
        taskId: task.id,
        key,
        error: failure.error,
      });
      continue;
    }
    if (outcome === 'done') told += 1;
  }
  return told;
}

/**
 * The stream's part, per task record: an execution is started when a task that escalates opens or reopens
 * (a new run), and stopped when the task stops being open (acknowledged, in progress, resolved) or is
 * deleted, the people it notified told. Throws when the escalator or Slack failed, so the record is retried
 * (a start of a run already started, a stop of one already stopped, and a second telling are no change).
 */
export async function onTaskChange(
  deps: EscalationDeps & { readonly escalator: Escalator },
  record: DynamoDBRecord,
): Promise<void> {
  const change = record.eventName === 'REMOVE' ? undefined : changeOf(record);
  const before = change ? change.before : removed(record);
  const after = change?.after;
  const was = before?.escalation;
  const is = after?.escalation;
  if (after && is && is.state === 'running' && after.status === 'open' && was?.run !== is.run)
    await deps.escalator.start(after.id, is.run);
  // A page a person asked for (recorded by the bot or the API) is sent from here, once.
  const pending = is?.pending;
  if (after && is && pending?.by && !samePage(was?.pending, pending)) {
    const sent = await sendPage(deps, { task: after, run: is.run, ...pending });
    if (sent === 'busy') throw new PageInFlightError(`${after.id}: a page is being sent by another caller`);
  }
  // Pages recorded sent after the task stopped being open (sent just before the acknowledgement): those people
  // are told too (each once, through the markers).
  if (after && is && was && after.status !== 'open' && before?.status !== 'open' && is.run === was.run) {
    if (is.notified.some((key) => !was.notified.includes(key))) await tellNotified(deps, after);
    return;
  }
  if (!before || !was || before.status !== 'open') return;
  // Ended by a person's last step: its execution may be waiting out a step already taken.
  if (after && is?.endedBy && is.run === was.run && was.state === 'running' && is.state !== 'running') {
    await deps.escalator.stop(after.id, was.run, `its escalation ${is.state}`);
    return;
  }
  if (!after) {
    await deps.escalator.stop(before.id, was.run, 'the task was deleted');
    return;
  }
  if (after.status !== 'open' && is?.run === was.run) {
    await deps.escalator.stop(after.id, was.run, `the task was ${after.status.replace('_', ' ')}`);
    await tellNotified(deps, after);
  }
}

/** The task a REMOVE record deleted, as its old image had it (undefined for anything else, or an unreadable image). */
function removed(record: DynamoDBRecord): Task | undefined {
  const image = record.eventName === 'REMOVE' ? record.dynamodb?.OldImage : undefined;
  if (!image) return undefined;
  try {
    const parsed = Task.safeParse(toTask(unmarshall(image as Record<string, AttributeValue>)));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

const samePage = (a: Escalation['pending'], b: Escalation['pending']): boolean =>
  a?.step === b?.step && a?.round === b?.round && a?.by === b?.by;
