import type { WebClient } from '@slack/web-api';
import { type CardInsight, renderCard } from '../bot/card.js';
import { SlackCallFailed, slackFailure } from '../bot/slack-errors.js';
import { escapeMrkdwn, link, mention, messageText, mrkdwn, slackDate } from '../bot/text.js';
import { type NameOf, peopleIn, timelineText } from '../bot/timeline-text.js';
import type {
  AggregateStore,
  CardRecord,
  CardState,
  CardStore,
  Notifier,
  SeenStore,
  StoredInsight,
} from '../core/ports.js';
import { isSlackUserId, type Task } from '../core/task.js';
import type { TimelineEntry } from '../core/timeline.js';
import type { Deps } from '../core/use-cases/deps.js';
import { logger } from '../runtime/logger.js';
import { historyOf, insightOf } from './history.js';

/** Card sync names people in a thread by their display names; the bot's Directory is what answers. */
export interface UserNames {
  nameOf(userId: string): Promise<string>;
}

export interface CardSyncDeps extends Deps {
  readonly cards: CardStore & SeenStore;
  readonly slack: WebClient;
  readonly directory: UserNames;
  /** The notification topic: a P1 is announced there once its card (and so its link) exists. */
  readonly notifier?: Notifier;
  /** The aggregator's statistics: what fixed an alert before, how long similar tasks take. */
  readonly aggregates?: AggregateStore;
}

/** A writer that holds a card longer than this is taken to have died; the card is due again after it. */
const LEASE_MS = 30_000;
/** Slack allows about one message per second per channel: a card is not edited more often than this. */
export const MIN_EDIT_INTERVAL_MS = 1_000;
/** A rate limit this short is waited out in place; a longer one leaves the card to the next tick. */
const INLINE_WAIT_MS = 2_000;
/** Repeats of an alert are summarized in the thread at most this often; the card shows the live count. */
export const OCCURRENCE_SUMMARY_EVERY_MS = 10 * 60_000;
const MAX_PASSES = 3;

export interface SyncOptions {
  /** Render once even at the same version (the SLA clock moved on while the task did not). */
  readonly force?: boolean;
  /**
   * The task as a stream record wrote it: the card is rendered from it without reading the task, unless the
   * card already shows this version (nothing to do) or someone saw a newer one.
   */
  readonly latest?: Task;
  /**
   * Versions whose change tells nobody anything in the thread (a repeat, an alert opened unassigned): when
   * every version the thread has not covered is one of these, the timeline is not read.
   */
  readonly quiet?: ReadonlySet<number>;
}

/** A history line read this long ago is read again at the card's next edit; a status change reads it at once. */
const INSIGHT_MS = 10 * 60_000;

/** `rate_limited`: behind, because Slack asked to wait (the card is retried once that time has passed). */
export type SyncOutcome = 'synced' | 'busy' | 'behind' | 'rate_limited' | 'gone';

/**
 * Brings a task's card up to date: posts it the first time, edits it in place after, writes each change as
 * one quiet line in its thread, and sends a direct message to whoever was assigned by someone else.
 * Slack failures never throw: the card records its error and when to try again (the sweeper's
 * `reconcile-cards` job does), so a state change is never blocked or lost because Slack said no.
 */
export async function syncCard(
  deps: CardSyncDeps,
  taskId: string,
  options: SyncOptions = {},
): Promise<SyncOutcome> {
  const { cards, clock } = deps;
  const token = deps.newId();
  const started = clock.now();
  const now = started.toISOString();
  const leaseUntil = new Date(started.getTime() + LEASE_MS).toISOString();
  const { latest } = options;
  const below = latest && !options.force ? latest.version : undefined;
  let leased: CardRecord | undefined;
  for (let attempt = 0; attempt < MAX_PASSES && !leased; attempt++) {
    leased = await cards.leaseCard(taskId, token, now, leaseUntil, below);
    if (leased || below === undefined) break;
    // Refused: the card shows this version already, or another writer holds it; that writer is told to show
    // it (else, released meanwhile, the lease is asked for again).
    const card = await cards.card(taskId);
    if (card && card.shownVersion >= below) return 'synced';
    const held = card?.lease !== undefined && (card.leaseUntil ?? '') >= now;
    if (held && ((card.wanted ?? 0) >= below || (await cards.wantCard(taskId, below, now)))) return 'busy';
  }
  if (!leased) return 'busy';
  let state = stateOf(leased);
  // The stream's image is the task as written: read again only when someone saw a newer version than it.
  let task =
    latest && latest.version >= Math.max(leased.wanted ?? 0, leased.shownVersion)
      ? latest
      : await deps.store.get(taskId);
  if (!task) {
    // Deleted: its card says so (the stream's REMOVE record may not have come, or not yet).
    await retireLeased(deps, token, leased, {
      id: taskId,
      ...(leased.deletedBy ? { by: leased.deletedBy } : {}),
      ...(leased.deletedAt ? { at: leased.deletedAt } : {}),
      version: Math.max(leased.shownVersion, leased.wanted ?? 0),
    });
    return 'gone';
  }
  try {
    for (let pass = 1; ; pass++) {
      // Coalesce: a card edited less than a second ago waits out the rest of it, then shows the latest version.
      const since = state.renderedAt ? clock.now().getTime() - Date.parse(state.renderedAt) : Infinity;
      if (state.ts && (task.version > state.shownVersion || options.force) && since < MIN_EDIT_INTERVAL_MS) {
        await deps.sleep(MIN_EDIT_INTERVAL_MS - since);
        task = (await deps.store.get(taskId)) ?? task;
      }
      // `force`: render once even at the same version (the SLA clock moved on while the task did not).
      if (task.version > state.shownVersion || (options.force && pass === 1 && state.ts))
        state = await render(deps, task, state);
      state = await thread(deps, task, state, leaseUntil, options.quiet);
      await announce(deps, task, state, leaseUntil);
      const behind = task.version > state.shownVersion;
      const next: CardState = {
        ...state,
        attempts: 0,
        lastError: undefined,
        retryAt: behind ? new Date(clock.now().getTime() + MIN_EDIT_INTERVAL_MS).toISOString() : undefined,
      };
      if (await cards.releaseCard(taskId, token, next)) return behind ? 'behind' : 'synced';
      // Not written: another writer saw a newer version while this one rendered (the lease is still this
      // one's), or the lease ran out and another writer has the card now.
      if ((await cards.card(taskId))?.lease !== token) return 'busy';
      if (pass >= MAX_PASSES) {
        await cards.releaseCard(taskId, token, {
          ...next,
          retryAt: new Date(clock.now().getTime() + MIN_EDIT_INTERVAL_MS).toISOString(),
        });
        return 'behind';
      }
      task = (await deps.store.get(taskId)) ?? task;
    }
  } catch (error) {
    if (!(error instanceof SlackCallFailed)) {
      await cards.releaseCard(taskId, token, {
        ...state,
        retryAt: new Date(clock.now().getTime() + 5_000).toISOString(),
      });
      throw error;
    }
    const attempts = state.attempts + 1;
    // Slack's Retry-After when it gave one; else back off, up to a quarter of an hour.
    const wait = error.failure.retryAfterMs ?? Math.min(15 * 60_000, 2_000 * 2 ** attempts);
    logger.warn('card not brought up to date; will retry', {
      taskId,
      method: error.method,
      error: error.failure.error,
      attempts,
      retryInMs: wait,
    });
    await cards.releaseCard(taskId, token, {
      ...state,
      attempts,
      lastError: `${error.method}: ${error.failure.error}`,
      retryAt: new Date(clock.now().getTime() + wait).toISOString(),
    });
    return error.failure.error === 'ratelimited' ? 'rate_limited' : 'behind';
  }
}

/** A task as its REMOVE record last had it: who deleted it and when, when the deleter said so. */
export interface DeletedTask {
  readonly id: string;
  readonly by?: string;
  readonly at?: string;
  readonly title?: string;
  /** The version it was deleted at (0 when unknown). */
  readonly version: number;
}

/**
 * The card of a deleted task, edited in place to say so, with no buttons: a button left on it would act on a
 * task that is no longer there. Kept rather than deleted, so the channel's history still shows there was one,
 * and who removed it. Its record then shows past the task's last version, so no record of the task replayed
 * later (a retried batch) renders it again. A card never posted has nothing to retire. Throws when the card
 * cannot be taken or edited now (another writer holds it, Slack refused): its records are then retried.
 */
export async function retireCard(deps: CardSyncDeps, deleted: DeletedTask): Promise<'retired' | 'none'> {
  const { cards, clock } = deps;
  const token = deps.newId();
  const started = clock.now();
  const leased = await cards.leaseCard(
    deleted.id,
    token,
    started.toISOString(),
    new Date(started.getTime() + LEASE_MS).toISOString(),
  );
  if (!leased) throw new Error(`the card of ${deleted.id} is held by another writer`);
  return retireLeased(deps, token, leased, {
    ...deleted,
    ...(deleted.by ? {} : leased.deletedBy ? { by: leased.deletedBy } : {}),
    ...(deleted.at ? {} : leased.deletedAt ? { at: leased.deletedAt } : {}),
  });
}

/** Retires a card this writer holds (`token`): see `retireCard`. */
async function retireLeased(
  deps: CardSyncDeps,
  token: string,
  leased: CardRecord,
  deleted: DeletedTask,
): Promise<'retired' | 'none'> {
  const { cards, clock } = deps;
  const state = stateOf(leased);
  const done: CardState = {
    ...state,
    shownVersion: Math.max(state.shownVersion, deleted.version + 1),
    threadVersion: Math.max(state.threadVersion, deleted.version + 1),
    attempts: 0,
    lastError: undefined,
    retryAt: undefined,
  };
  if (!state.ts || !state.channel) {
    await cards.releaseCard(deleted.id, token, done);
    return 'none';
  }
  const who = deleted.by ? mention(deleted.by) : 'someone';
  const when = deleted.at ? ` ${slackDate(deleted.at)}` : '';
  const text = `${deleted.id} was deleted by ${who}${when}`;
  const blocks = [
    {
      type: 'section',
      text: { type: 'mrkdwn', text: `:wastebasket: *${deleted.id}* was deleted by ${who}${when}` },
    },
    ...(deleted.title
      ? [{ type: 'context', elements: [{ type: 'mrkdwn', text: `It was: ${mrkdwn(deleted.title, 300)}` }] }]
      : []),
  ];
  try {
    await call(deps, 'chat.update', () =>
      deps.slack.chat.update({ channel: state.channel as string, ts: state.ts as string, text, blocks }),
    );
  } catch (error) {
    const gone = error instanceof SlackCallFailed && error.failure.error;
    // The message or its channel is gone already: nothing is left offering the task's buttons.
    if (gone !== 'message_not_found' && !(gone && CHANNEL_GONE.has(gone))) {
      await cards.releaseCard(deleted.id, token, {
        ...state,
        attempts: state.attempts + 1,
        lastError: gone ? `chat.update: ${gone}` : String(error),
      });
      throw error;
    }
  }
  await cards.releaseCard(deleted.id, token, { ...done, renderedAt: clock.now().toISOString() });
  return 'retired';
}

function stateOf(record: CardRecord): CardState {
  const { taskId: _id, lease: _lease, leaseUntil: _until, wanted: _wanted, ...state } = record;
  return state;
}

/**
 * One Web API call: a short rate limit is waited out once, for all of the Retry-After Slack gave (never less:
 * Slack refuses a call made before it again); any other failure is a SlackCallFailed.
 */
async function call<T>(deps: CardSyncDeps, method: string, run: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const failure = slackFailure(error);
      if (failure.error === 'ratelimited' && attempt === 0 && (failure.retryAfterMs ?? 0) <= INLINE_WAIT_MS) {
        await deps.sleep(failure.retryAfterMs ?? 1_000);
        continue;
      }
      throw new SlackCallFailed(method, failure);
    }
  }
}

const CHANNEL_GONE = new Set(['channel_not_found', 'is_archived']);

/**
 * History's word on the card, never a reason for it to fall behind. Read once when the card is posted, again
 * when the task's status changes (a task reopened shows what fixed it the last time) or the reading is older
 * than INSIGHT_MS, and kept on the card item in between, so an edit for a repeat reads nothing.
 */
async function insight(
  deps: CardSyncDeps,
  task: Task,
  state: CardState,
  now: Date,
): Promise<StoredInsight | undefined> {
  const kept = state.insight;
  if (kept && kept.status === task.status && now.getTime() - Date.parse(kept.at) < INSIGHT_MS) return kept;
  if (!deps.aggregates) return kept;
  try {
    const { suggestion, typicalMs } = insightOf(await historyOf(deps.aggregates, task, now, true), task);
    return { suggestion, typicalMs, status: task.status, at: now.toISOString() };
  } catch (error) {
    logger.warn('history not read for the card', { taskId: task.id, error });
    return kept;
  }
}

async function render(deps: CardSyncDeps, task: Task, state: CardState): Promise<CardState> {
  const now = deps.clock.now();
  const known = await insight(deps, task, state, now);
  const extra: { insight?: CardInsight } = known
    ? { insight: { suggestion: known.suggestion, typicalMs: known.typicalMs } }
    : {};
  if (known) state = { ...state, insight: known };
  if (state.ts && state.channel) {
    const { text, blocks } = renderCard(task, { now, ...noteFor(task, state.channel), ...extra });
    try {
      await call(deps, 'chat.update', () =>
        deps.slack.chat.update({ channel: state.channel as string, ts: state.ts as string, text, blocks }),
      );
      return { ...state, shownVersion: task.version, renderedAt: now.toISOString() };
    } catch (error) {
      const gone = error instanceof SlackCallFailed && error.failure.error;
      // The card was deleted, or its channel went away: post it again rather than lose it. Its thread
      // starts afresh from here (people were told of earlier changes once already).
      if (gone !== 'message_not_found' && !(gone && CHANNEL_GONE.has(gone))) throw error;
      logger.warn('card message is gone; posting it again', { taskId: task.id, error: gone });
      state = { ...state, ts: undefined, channel: undefined, permalink: undefined };
    }
  }
  return post(deps, task, state, now, extra);
}

function noteFor(task: Task, channel: string): { note?: string } {
  return channel === task.channel
    ? {}
    : { note: `:information_source: Posted here because TMS cannot post in ${channelRef(task.channel)}.` };
}

const channelRef = (id: string) => (/^[CG][A-Z0-9]{2,}$/.test(id) ? `<#${id}>` : escapeMrkdwn(id));

/**
 * Posts the card in the task's channel (public channels need no invitation: the app has chat:write.public);
 * a private channel the bot is not in, or one archived or gone, gets it in the default channel instead.
 */
async function post(
  deps: CardSyncDeps,
  task: Task,
  state: CardState,
  now: Date,
  extra: { insight?: CardInsight },
): Promise<CardState> {
  const fallback = deps.config.defaults.channel;
  const targets = task.channel === fallback ? [task.channel] : [task.channel, fallback];
  let lastFailure: SlackCallFailed | undefined;
  for (const channel of targets) {
    const { text, blocks } = renderCard(task, { now, ...noteFor(task, channel), ...extra });
    try {
      const posted = await call(deps, 'chat.postMessage', () =>
        deps.slack.chat.postMessage({ channel, text, blocks }),
      );
      const ts = posted.ts as string;
      const where = posted.channel ?? channel;
      let permalink: string | undefined;
      try {
        permalink = (await deps.slack.chat.getPermalink({ channel: where, message_ts: ts })).permalink;
      } catch (error) {
        logger.warn('chat.getPermalink failed', { taskId: task.id, error: slackFailure(error).error });
      }
      return {
        ...state,
        channel: where,
        ts,
        ...(permalink ? { permalink } : {}),
        shownVersion: task.version,
        renderedAt: now.toISOString(),
      };
    } catch (error) {
      if (!(error instanceof SlackCallFailed)) throw error;
      lastFailure = error;
      const movable = CHANNEL_GONE.has(error.failure.error) || error.failure.error === 'not_in_channel';
      if (!movable) throw error;
      logger.warn('cannot post the card in its channel', {
        taskId: task.id,
        channel,
        error: error.failure.error,
      });
    }
  }
  throw lastFailure ?? new SlackCallFailed('chat.postMessage', { error: 'no_channel' });
}

/** The thread: one line per change since the last line, repeats summarized, and a DM to each person assigned by someone else. */
async function thread(
  deps: CardSyncDeps,
  task: Task,
  state: CardState,
  leaseUntil: string,
  quiet?: ReadonlySet<number>,
): Promise<CardState> {
  if (!state.ts || !state.channel) return state;
  const now = deps.clock.now();
  const entries = quietSince(state.threadVersion, task.version, quiet)
    ? []
    : await deps.store.timeline(task.id, state.threadVersion);
  // The card itself says the task opened and how often it fired; the thread tells what people did.
  const told = entries.filter((e) => e.type !== 'opened' && e.type !== 'occurred');
  const nameOf = await namesIn(deps, told);
  const lines = told.map((entry) => timelineText(entry, nameOf));
  let { occurrencesReported, occurrencesReportedAt } = state;
  const last = occurrencesReportedAt ? Date.parse(occurrencesReportedAt) : -Infinity;
  if (task.occurrences > occurrencesReported && now.getTime() - last >= OCCURRENCE_SUMMARY_EVERY_MS) {
    const more = task.occurrences - occurrencesReported;
    lines.push(
      `:repeat: Fired again${more > 1 ? ` ${more} times` : ''} (${task.occurrences} in all), last ${slackDate(task.lastSeenAt)}`,
    );
    occurrencesReported = task.occurrences;
    occurrencesReportedAt = now.toISOString();
  }
  for (const entry of entries) {
    const to = entry.type === 'assigned' ? entry.to : entry.type === 'opened' ? entry.assignee : null;
    if (!isSlackUserId(to) || to === entry.actor.id) continue;
    const by = entry.actor.type === 'user' ? await deps.directory.nameOf(entry.actor.id) : entry.actor.id;
    const where = state.permalink ? link(state.permalink, task.id) : `*${task.id}*`;
    // Each direct message once: should the thread line after it fail, the retry does not send it again.
    const key = `${task.id}:${entry.version}:${entry.seq}:${to}`;
    const expires = new Date(now.getTime() + 30 * 86_400_000).toISOString();
    const claim = markerClaim(deps, leaseUntil);
    if ((await deps.cards.begin('assigned-dm', key, claim)) !== 'begun') continue;
    try {
      await call(deps, 'chat.postMessage', () =>
        deps.slack.chat.postMessage({
          channel: to,
          text: `${mrkdwn(by, 100)} assigned you ${where}: ${mrkdwn(task.title, 150)} (${task.priority})`,
        }),
      );
    } catch (error) {
      await deps.cards.release('assigned-dm', key, claim.token);
      throw error;
    }
    await deps.cards.complete('assigned-dm', key, claim.token, expires);
  }
  if (lines.length > 0) {
    await call(deps, 'chat.postMessage', () =>
      deps.slack.chat.postMessage({
        channel: state.channel as string,
        thread_ts: state.ts as string,
        text: messageText(lines.join('\n')),
      }),
    );
  }
  const threadVersion = quietSince(state.threadVersion, task.version, quiet)
    ? Math.max(state.threadVersion, task.version)
    : Math.max(state.threadVersion, ...entries.map((e) => e.version));
  return {
    ...state,
    threadVersion,
    occurrencesReported,
    ...(occurrencesReportedAt ? { occurrencesReportedAt } : {}),
  };
}

/** Whether every version after `from` up to `to` is known to have changed nothing the thread tells. */
function quietSince(from: number, to: number, quiet: ReadonlySet<number> | undefined): boolean {
  if (!quiet || to <= from || to - from > quiet.size) return false;
  for (let v = from + 1; v <= to; v++) if (!quiet.has(v)) return false;
  return true;
}

/** People named by their display names, never pinged: the thread is a record, not a notification. */
async function namesIn(deps: CardSyncDeps, entries: readonly TimelineEntry[]): Promise<NameOf> {
  const names = new Map<string, string>();
  for (const id of new Set(entries.flatMap(peopleIn))) names.set(id, await deps.directory.nameOf(id));
  return (id) => mrkdwn(names.get(id) ?? id, 100);
}

/**
 * A P1 goes to the notification topic (on AWS: SNS, for email, SMS, a pager) once, with its card's link. A
 * failed publish is retried with the card, and never holds the card itself back.
 */
async function announce(deps: CardSyncDeps, task: Task, state: CardState, leaseUntil: string): Promise<void> {
  if (task.priority !== 'P1' || !deps.notifier || !state.ts) return;
  const expires = new Date(deps.clock.now().getTime() + 30 * 86_400_000).toISOString();
  const claim = markerClaim(deps, leaseUntil);
  if ((await deps.cards.begin('p1-announced', task.id, claim)) !== 'begun') return;
  try {
    const raised = await raisedToP1(deps, task);
    await deps.notifier.publish({
      subject: raised ? `${task.id} raised to P1: ${task.title}` : `P1 ${task.id} opened: ${task.title}`,
      message: [
        raised
          ? `${task.id} (${task.service}) was raised from ${raised.from} to P1 by ${await nameOfActor(deps, raised)} at ${raised.at}; it opened ${task.createdAt}.`
          : `${task.id} (P1, ${task.service}) opened ${task.createdAt}.`,
        task.title,
        ...(task.description ? [task.description] : []),
        ...(state.permalink ? [`Card: ${state.permalink}`] : []),
      ].join('\n'),
      attributes: { taskId: task.id, priority: 'P1', event: raised ? 'p1_raised' : 'p1_opened' },
    });
  } catch (error) {
    await deps.cards.release('p1-announced', task.id, claim.token);
    throw new SlackCallFailed('sns.Publish', { error: (error as Error).name || 'publish_failed' });
  }
  await deps.cards.complete('p1-announced', task.id, claim.token, expires);
}

/**
 * The change that made a task P1 when it opened at a lower priority: the announcement then says it was raised,
 * not that it opened (minutes after it did). Read once per task, when it is announced.
 */
async function raisedToP1(
  deps: CardSyncDeps,
  task: Task,
): Promise<Extract<TimelineEntry, { type: 'priority_changed' }> | undefined> {
  if (task.version === 1) return undefined; // as written when it opened: it opened at P1
  const timeline = await deps.store.timeline(task.id);
  const opened = timeline.find((e) => e.type === 'opened');
  if (!opened || opened.priority === 'P1') return undefined;
  return timeline.findLast(
    (e): e is Extract<TimelineEntry, { type: 'priority_changed' }> =>
      e.type === 'priority_changed' && e.to === 'P1',
  );
}

/** Who made a change, by name for a person (a notification is read outside Slack), else the actor's id. */
async function nameOfActor(deps: CardSyncDeps, entry: TimelineEntry): Promise<string> {
  return isSlackUserId(entry.actor.id) ? deps.directory.nameOf(entry.actor.id) : entry.actor.id;
}

/**
 * A direct message or a P1 announcement is in progress until the card's lease ends, as its writer is: one
 * killed halfway leaves it to the next writer, which can only take the card once that lease has ended.
 */
function markerClaim(deps: CardSyncDeps, leaseUntil: string) {
  return { token: deps.newId(), now: deps.clock.now().toISOString(), leaseUntil };
}

/**
 * Sweeper job: cards whose last attempt failed or whose writer died, brought up to date; then cards that are
 * behind their task with nothing scheduled to bring them up to date, which is what a stream record that never
 * arrived leaves (the local stack killed before delivering it; on AWS a record expired after 24 h or a batch
 * set aside after its retries). Those are found by comparing each task's version with what its card shows,
 * a bounded page of tasks per tick (see `CardStore.cardsBehind`).
 */
export async function reconcileCards(
  deps: CardSyncDeps,
  now: Date,
  limit = 25,
  auditPage = 50,
): Promise<{ due: number; behind: number; synced: number }> {
  const due = await deps.cards.dueCards(now.toISOString(), limit);
  const done = new Set<string>();
  let synced = 0;
  let waiting = false;
  /** Syncs one card; false once Slack asked to wait (the rest are left to the next tick, not refused one by one). */
  const sync = async (taskId: string): Promise<boolean> => {
    done.add(taskId);
    try {
      const outcome = await syncCard(deps, taskId);
      if (outcome === 'synced') synced++;
      if (outcome === 'rate_limited') waiting = true;
    } catch (error) {
      logger.error('card reconcile failed', { taskId, error });
    }
    return !waiting;
  };
  for (const taskId of due) if (!(await sync(taskId))) break;
  const behind = waiting ? [] : (await deps.cards.cardsBehind(auditPage)).filter((id) => !done.has(id));
  if (behind.length > 0) logger.warn('cards behind their task with no retry scheduled', { tasks: behind });
  // A few every tick even in a storm of due cards; the rest are found again by the next tick.
  for (const taskId of behind.slice(0, Math.max(5, limit - due.length))) if (!(await sync(taskId))) break;
  return { due: due.length, behind: behind.length, synced };
}
