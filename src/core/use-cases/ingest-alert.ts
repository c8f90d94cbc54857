import { type Alert, decide, prioritize, route } from '../alert.js';
import { priorityRank } from '../config.js';
import { type AlertGroup, newlyFiring, sameGroup, type TaskGroup, taskGroupOf } from '../group.js';
import { applyAction, type LifecycleAction } from '../lifecycle.js';
import { lastEnd, occurrenceAt, recentOccurrence, windowMatches } from '../maintenance.js';
import { type PlausibleTime, plausibleTime } from '../plausible-time.js';
import type {
  FingerprintIndex,
  FingerprintRecord,
  MaintenanceStore,
  OccurrenceEntry,
  OccurrenceFields,
  TaskRepository,
  UnreadTask,
} from '../ports.js';
import { silences } from '../silence.js';
import { clockStart, deadlines } from '../sla.js';
import { formatTaskId, type Task } from '../task.js';
import type { ChangeContext } from '../timeline.js';
import { reportedAgain } from './alert-groups.js';
import { backoff, CLAIM_STALE_MS, ContentionError, type Deps, MAX_ATTEMPTS } from './deps.js';
import { onCallAssignment } from './oncall.js';
import { taskFromAlert } from './open-task.js';

/** Which alert of which delivery this is, so its changes carry its token (see `deliveryToken`). */
export interface DeliveryOf {
  readonly token: string;
  /**
   * Set (to when the delivery was received) when the delivery is re-driven, so it may have been processed,
   * wholly or in part, by a run that died before marking it: its alert is then looked for on its tasks first.
   */
  readonly redriven?: string;
}

/** How far before its receipt a delivery's changes are looked for: the clocks of two hosts may differ a little. */
const CLOCK_SKEW_MS = 60_000;
const DELIVERED_BEFORE = 'delivered before';

/** An open task as a process last wrote it for a fingerprint: enough to count a repeat without reading it. */
interface KnownTask extends UnreadTask {
  readonly id: string;
  /** `openedAt` of the task: occurrences are counted from then. */
  readonly openedAt: number;
  readonly occurrenceKey?: string;
}

/** How many fingerprints a process remembers the open task of (the oldest written is forgotten first). */
const KNOWN_TASKS = 10_000;

/**
 * Per store (a process, a container): fingerprint → its open task, as this process last wrote it. A repeat
 * counts on that task without reading the fingerprint or the task: safe because the count is conditional on
 * all a read would have checked (`UnreadTask`), and refused it takes the normal path.
 */
const knownTasks = new WeakMap<object, Map<string, KnownTask>>();

function known(deps: AlertDeps): Map<string, KnownTask> {
  const tasks = knownTasks.get(deps.store) ?? new Map<string, KnownTask>();
  knownTasks.set(deps.store, tasks);
  return tasks;
}

function remember(deps: AlertDeps, task: Task): void {
  if (!task.fingerprint) return;
  const tasks = known(deps);
  tasks.delete(task.fingerprint);
  tasks.set(task.fingerprint, {
    id: task.id,
    fingerprint: task.fingerprint,
    resolveDueAt: task.resolveDueAt,
    openedAt: openedAt(task),
    ...(task.occurrenceKey ? { occurrenceKey: task.occurrenceKey } : {}),
  });
  if (tasks.size > KNOWN_TASKS) tasks.delete(tasks.keys().next().value as string);
}

/**
 * The task that already has a change made by this alert of this delivery, if any: the fingerprint's open task
 * and its last resolved one are read newest first, back to the delivery's receipt (the rare path pays).
 */
async function countedBefore(
  deps: AlertDeps,
  alert: Alert,
  token: string,
  receivedAt: string,
): Promise<string | undefined> {
  const record = await deps.store.fingerprint(alert.fingerprint);
  const since = new Date(Date.parse(receivedAt) - CLOCK_SKEW_MS).toISOString();
  for (const id of new Set([record?.openTaskId, record?.lastTaskId])) {
    if (id && (await deps.store.hasDelivery(id, token, since))) return id;
  }
  return undefined;
}

/** Ingest reads and writes tasks and the fingerprint index; the delivery inbox is its caller's (the pipeline). */
type AlertDeps = Deps<TaskRepository & FingerprintIndex>;

export type IngestOutcome =
  | {
      readonly result: 'created' | 'appended' | 'reopened' | 'acknowledged' | 'resolved' | 'noted';
      readonly taskId: string;
    }
  | { readonly result: 'ignored'; readonly taskId: string | null; readonly reason: string };

/**
 * An alert becomes a task, or a repeat of one, with PagerDuty's dedup_key semantics:
 * - while the fingerprint has an open task, a trigger appends to it (occurrences, last seen);
 * - after it is resolved, a trigger opens a new task, unless it fires within `dedup.reopenWithin`
 *   (then the same task reopens and its flap count rises);
 * - acknowledge and resolve act on the open task and never create one.
 *
 * Without transactions: the fingerprint record is claimed (conditional write) before a task is opened,
 * then bound to the task id before the task is written, so two deliveries at the same moment open one
 * task, and a writer that dies at any step leaves a state the next delivery completes. A fingerprint never
 * seen (nor claimed) is claimed and bound in one write (`openFingerprint`): dying after it leaves a binding to a
 * task not written, which the next delivery writes. A repeat of a task this process wrote is counted on it
 * unread, on the conditions a read would have checked (`UnreadTask`); refused, it is read as usual.
 */
export async function ingestAlert(
  deps: AlertDeps,
  alert: Alert,
  delivery?: DeliveryOf,
): Promise<IngestOutcome> {
  const { store } = deps;
  if (delivery?.redriven) {
    const counted = await countedBefore(deps, alert, delivery.token, delivery.redriven);
    if (counted) return ignored(counted, DELIVERED_BEFORE);
  }
  if (alert.action === 'trigger' && deps.silences) {
    // Held back by a silence: recorded on the silence (and in the raw archive), no task, nothing posted.
    const now = deps.clock.now().toISOString();
    const where = route(alert, deps.config);
    const silence = (await deps.silences.activeSilences(now)).find((s) => silences(s, alert, where));
    if (silence) {
      await deps.silences.countSilenced(silence.id, now);
      return ignored(
        await heardWhileSilenced(deps, alert),
        `silenced by ${silence.id} until ${silence.endsAt}`,
      );
    }
  }
  if (deps.windows && (alert.action === 'trigger' || alert.action === 'resolve')) {
    const held = await heldByWindow(deps, deps.windows, alert);
    if (held) return held;
  }
  const contextNow = (): ChangeContext => ({
    actor: { type: 'source', id: alert.source },
    via: 'ingest',
    now: deps.clock.now(),
    ...(delivery ? { delivery: delivery.token } : {}),
  });
  // A trigger first tries what costs least: a repeat on the task this process knows, then a new task bound in
  // one write. Either refused leaves the record (or nothing) to decide on as usual.
  let given: { record?: FingerprintRecord } | undefined;
  if (alert.action === 'trigger') {
    const first = await withoutReading(deps, alert, contextNow());
    if (first && 'result' in first) return first;
    given = first;
  }
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const ctx = contextNow();
    const record = given ? given.record : await store.fingerprint(alert.fingerprint);
    given = undefined;
    const open = record?.openTaskId ? await store.get(record.openTaskId) : undefined;

    if (record?.openTaskId && !open) {
      // Bound to a task that was deleted (its deleter died before letting go, or a reopen bound it as the delete
      // went through): let go of it, and decide again. Never write a deleted task back under its old id.
      if (await store.deletion(record.openTaskId)) {
        await store.forgetTask(alert.fingerprint, record.openTaskId);
        continue;
      }
      // Bound to an id whose task was never written (its writer died, or is writing it now).
      if (alert.action !== 'trigger') return ignored(null, 'no open task for this alert');
      const assigned = await onCallOf(deps, alert, ctx);
      const { task, entries } = taskFromAlert(record.openTaskId, alert, deps.config, ctx, assigned);
      if ((await store.create(task, entries)) === 'created') return { result: 'created', taskId: task.id };
      continue;
    }
    if (open?.status === 'resolved') {
      // Resolved, but the fingerprint was not released (its writer died in between): finish that first.
      await store.releaseFingerprint(alert.fingerprint, open.id, open.resolvedAt ?? ctx.now.toISOString());
      continue;
    }

    const lastResolved = !open && alert.action === 'trigger' ? await lastTask(deps, record) : undefined;
    const decision = decide(alert, open, lastResolved, ctx.now, deps.config);
    switch (decision.type) {
      case 'ignore':
        return ignored(open?.id ?? null, decision.reason);
      case 'append': {
        if (decision.task.unreportedSince) {
          // Its group's notifications had stopped listing it (alert mode): listed again, the mark comes off.
          await reportedAgain(deps, decision.task, ctx.now);
          continue;
        }
        const counted = await recordOccurrence(deps, decision.task, alert, ctx);
        if (counted === 'repeat') return ignored(decision.task.id, REPEAT);
        if (counted) {
          remember(deps, counted);
          await raisedByGroup(deps, counted, alert, ctx);
          return { result: 'appended', taskId: decision.task.id };
        }
        continue; // resolved meanwhile: decide again
      }
      case 'acknowledge': {
        const at = timeOf(alert, ctx, clockStart(decision.task, 'ack')).at;
        const outcome = await change(deps, decision.task, { type: 'acknowledge', at }, ctx);
        if (outcome === 'saved') return { result: 'acknowledged', taskId: decision.task.id };
        if (typeof outcome === 'object') return ignored(decision.task.id, outcome.reason);
        await deps.sleep(backoff(attempt));
        continue;
      }
      case 'note': {
        const text = alert.summary ?? alert.title;
        const outcome = await change(deps, decision.task, { type: 'comment', text }, ctx);
        if (outcome === 'saved') return { result: 'noted', taskId: decision.task.id };
        if (typeof outcome === 'object') return ignored(decision.task.id, outcome.reason);
        await deps.sleep(backoff(attempt));
        continue;
      }
      case 'resolve': {
        const task = decision.task;
        // Alertmanager's `endsAt`: when it recovered, not when the resolve was delivered a group interval later.
        const at = timeOf(alert, ctx, resolvableFrom(task)).at;
        const resolve = { type: 'resolve', resolution: alert.summary ?? null, at } as const;
        const outcome = await change(deps, task, resolve, ctx, groupOf(alert, ctx));
        if (outcome === 'saved') {
          known(deps).delete(alert.fingerprint);
          await store.releaseFingerprint(alert.fingerprint, task.id, at);
          return { result: 'resolved', taskId: task.id };
        }
        if (typeof outcome === 'object') return ignored(task.id, outcome.reason);
        await deps.sleep(backoff(attempt));
        continue;
      }
      case 'create':
      case 'reopen': {
        const token = deps.newId();
        const staleBefore = new Date(ctx.now.getTime() - CLAIM_STALE_MS).toISOString();
        const claimed = await store.claimFingerprint(
          alert.fingerprint,
          token,
          ctx.now.toISOString(),
          staleBefore,
        );
        if (!claimed) {
          await deps.sleep(backoff(attempt)); // another delivery is opening the task right now
          continue;
        }
        const outcome = await openUnderClaim(deps, alert, claimed, token, ctx);
        if (outcome) return outcome;
        await store.dropClaim(alert.fingerprint, token);
        continue;
      }
    }
  }
  throw new ContentionError(
    `Could not record the alert ${alert.fingerprint} under contention; it will be retried`,
    {
      fingerprint: alert.fingerprint,
    },
  );
}

/** Holding the claim, nobody else opens a task for this fingerprint: decide again on the record as claimed. */
async function openUnderClaim(
  deps: AlertDeps,
  alert: Alert,
  record: FingerprintRecord,
  token: string,
  ctx: ChangeContext,
): Promise<IngestOutcome | undefined> {
  const { store, config } = deps;
  const last = await lastTask(deps, record);

  if (last && last.status !== 'resolved') {
    // Reopened by a person whose bind did not happen: it is the open task.
    if (!(await store.bindFingerprint(alert.fingerprint, token, last.id))) return undefined;
    return outcomeOf(await recordOccurrence(deps, last, alert, ctx), last.id);
  }

  const decision = decide(alert, undefined, last, ctx.now, config);
  if (decision.type === 'reopen') {
    const fired = timeOf(
      alert,
      ctx,
      decision.task.resolvedAt ? Date.parse(decision.task.resolvedAt) : undefined,
    );
    const reopen = {
      type: 'reopen',
      flap: true,
      ...occurrence(alert),
      at: fired.at,
      ...(fired.reported ? { reportedAt: fired.reported } : {}),
    } as const;
    // Firing again: whatever its group's notifications said of it before it was resolved no longer holds.
    const { unreportedSince: _, ...reported } = decision.task;
    const outcome = await change(deps, reported as Task, reopen, ctx, groupOf(alert, ctx));
    if (outcome !== 'saved') return undefined;
    await store.bindFingerprint(alert.fingerprint, token, decision.task.id);
    return { result: 'reopened', taskId: decision.task.id };
  }

  const id = formatTaskId(await store.nextTaskNumber());
  if (!(await store.bindFingerprint(alert.fingerprint, token, id))) return undefined; // our claim went stale
  return writeBound(deps, id, flakyMarked(alert, last, ctx.now), ctx);
}

/** The task the fingerprint was just bound to, written; undefined when that could not be done (decide again). */
async function writeBound(
  deps: AlertDeps,
  id: string,
  alert: Alert,
  ctx: ChangeContext,
): Promise<IngestOutcome | undefined> {
  const assigned = await onCallOf(deps, alert, ctx);
  const { task, entries } = taskFromAlert(id, alert, deps.config, ctx, assigned);
  // `exists` means a concurrent delivery saw the binding first and wrote the task: ours is then a repeat.
  if ((await deps.store.create(task, entries)) === 'created') {
    remember(deps, task);
    return { result: 'created', taskId: id };
  }
  const written = await deps.store.get(id);
  if (!written) return undefined;
  return outcomeOf(await recordOccurrence(deps, written, alert, ctx), id);
}

/**
 * A trigger before any read: a repeat counted on the open task this process knows for the fingerprint (not for
 * a group's alert, whose summary is compared with the task's first), else a new task bound in one write. The
 * outcome; else the fingerprint's record as the refused bind returned it, or undefined to read it.
 */
async function withoutReading(
  deps: AlertDeps,
  alert: Alert,
  ctx: ChangeContext,
): Promise<IngestOutcome | { record?: FingerprintRecord } | undefined> {
  const cached = alert.group ? undefined : known(deps).get(alert.fingerprint);
  // A copy of the occurrence this process counted last (an HA peer's) is told apart by reading, at no write.
  // An alert from before the task's first sight moves the task's clocks back: that is for the read path.
  const early = cached !== undefined && Date.parse(timeOf(alert, ctx).at) < cached.openedAt;
  if (
    cached &&
    !early &&
    (alert.occurrenceKey === undefined || alert.occurrenceKey !== cached.occurrenceKey)
  ) {
    const seen = timeOf(alert, ctx, cached.openedAt);
    const counted = await deps.store.recordOccurrence(
      cached.id,
      seen.at,
      ctx.now.toISOString(),
      alert.occurrenceKey,
      occurredEntry(cached.id, alert, ctx),
      // Unread, its `reportedAt` is unknown: dropped when this occurrence's clock agrees (a no-op if none).
      { reportedAt: seen.reported ?? null },
      cached,
    );
    if (counted === 'repeat') return ignored(cached.id, REPEAT);
    if (counted) {
      remember(deps, counted);
      return { result: 'appended', taskId: cached.id };
    }
    known(deps).delete(alert.fingerprint); // resolved, reopened or changed since: read it
    return undefined;
  }
  if (cached) return undefined; // it had an open task a moment ago: no new one to bind
  const id = formatTaskId(await deps.store.nextTaskNumber());
  const staleBefore = new Date(ctx.now.getTime() - CLAIM_STALE_MS).toISOString();
  const opened = await deps.store.openFingerprint(alert.fingerprint, id, staleBefore);
  if (!opened.bound) return { ...(opened.record ? { record: opened.record } : {}) };
  return writeBound(deps, id, alert, ctx);
}

const REPEAT = 'the same occurrence was recorded already';

/**
 * A new task goes to whoever is on call for its team as it opens (issue 19): one query for the overrides, and
 * only here, on the way to a new task; a repeat or a reopen keeps whom the task has.
 */
const onCallOf = (deps: AlertDeps, alert: Alert, ctx: ChangeContext) =>
  onCallAssignment(deps, route(alert, deps.config).team, ctx.now);

/** A failure that comes back within this long after its source saw it pass is flaky, not fixed. */
export const FLAKY_WITHIN_MS = 24 * 3_600_000;

/**
 * Marks the alert flaky when its previous task was resolved by the source itself (a passing build, a
 * resolved alarm) and it fails again within a day: a key that alternates fail/pass. The card says so.
 */
function flakyMarked(alert: Alert, last: Task | undefined, now: Date): Alert {
  const passedAt =
    last?.resolvedBy === alert.source && last.resolvedAt ? Date.parse(last.resolvedAt) : undefined;
  if (passedAt === undefined || now.getTime() - passedAt > FLAKY_WITHIN_MS) return alert;
  return { ...alert, labels: { ...alert.labels, flaky: `after ${last?.id}` } };
}

function outcomeOf(counted: Task | 'repeat' | undefined, taskId: string): IngestOutcome | undefined {
  if (counted === 'repeat') return ignored(taskId, REPEAT);
  return counted ? { result: 'appended', taskId } : undefined;
}

const occurrence = (alert: Alert) => (alert.occurrenceKey ? { occurrenceKey: alert.occurrenceKey } : {});

/**
 * A repeat of the alert of an open task: checked against the lifecycle, then counted in one atomic write,
 * so a storm of one alert costs one write per delivery and never a retry. Another delivery of the task's
 * latest occurrence (an HA peer's copy, the jobs of one failed run) is seen on the task as read, and costs
 * no write at all.
 */
async function recordOccurrence(
  deps: AlertDeps,
  open: Task,
  alert: Alert,
  ctx: ChangeContext,
): Promise<Task | 'repeat' | undefined> {
  if (alert.group) {
    const regrouped = await regroup(deps, open, alert.group, alert.occurrenceKey, ctx);
    if (regrouped !== 'count') return regrouped;
  } else if (alert.occurrenceKey && open.occurrenceKey === alert.occurrenceKey) return 'repeat';
  const seen = timeOf(alert, ctx, openedAt(open));
  const at = seen.at;
  if (!applyAction(open, { type: 'occur', at }, ctx).ok) return undefined;
  const firstSeen = seenBefore(open, alert, ctx);
  // The entry is written in the same item write as the count, so a crash cannot count it without its line.
  const occurred = occurredEntry(open.id, alert, ctx);
  // What the sender's clock said, kept while it disagrees; dropped once a later occurrence agrees.
  const reportedAt = seen.reported ?? (open.reportedAt ? null : undefined);
  return deps.store.recordOccurrence(open.id, at, ctx.now.toISOString(), alert.occurrenceKey, occurred, {
    ...(reportedAt !== undefined ? { reportedAt } : {}),
    ...(alert.group ? { group: taskGroupOf(alert.group, ctx.now.toISOString()) } : {}),
    ...(firstSeen ? { firstSeen } : {}),
  });
}

/**
 * An occurrence from before the task's first sight, when the queue delivered its alert after a later one (SQS
 * does not keep order, and chunks of a delivery run side by side): the task was seen first then, so its first
 * sight and its SLA clocks move back to it, as if the alerts had come in order. Not once the task was reopened
 * (its clocks started again at the reopen, which an old occurrence does not move).
 */
function seenBefore(open: Task, alert: Alert, ctx: ChangeContext): OccurrenceFields['firstSeen'] {
  const first = Date.parse(open.firstSeenAt);
  if (clockStart(open, 'resolve') > first) return undefined;
  const happened = timeOf(alert, ctx).at;
  if (Date.parse(happened) >= first) return undefined;
  const due = deadlines(open.sla, open.priority, happened);
  return {
    was: open.firstSeenAt,
    dueWas: { ackDueAt: open.ackDueAt, resolveDueAt: open.resolveDueAt },
    at: happened,
    ...due,
  };
}

function occurredEntry(taskId: string, alert: Alert, ctx: ChangeContext): OccurrenceEntry {
  return {
    type: 'occurred',
    taskId,
    at: ctx.now.toISOString(),
    actor: ctx.actor,
    via: ctx.via,
    ...(ctx.delivery ? { delivery: ctx.delivery } : {}),
    ...summary(alert),
  };
}

/**
 * How often a group's unchanged summary is written again: `notifiedAt` then says when Alertmanager last
 * notified the group (it does every `repeat_interval` while the group fires), so a group it stopped notifying
 * (silenced or inhibited whole) can be told apart; the other HA peer's copy a moment later costs no write.
 */
export const GROUP_REFRESH_MS = 60_000;

const due = (group: TaskGroup, now: Date): boolean =>
  now.getTime() - Date.parse(group.notifiedAt) >= GROUP_REFRESH_MS;

/**
 * A later notification of a group task's group: `count` when an alert of the group started firing (a new
 * occurrence, counted with the summary); else the summary alone is written when it says something new (alerts
 * resolved, or fell out of the group: silenced, inhibited), and a copy that says nothing new is a repeat.
 */
async function regroup(
  deps: AlertDeps,
  open: Task,
  said: AlertGroup,
  occurrenceKey: string | undefined,
  ctx: ChangeContext,
): Promise<'repeat' | 'count' | undefined> {
  const sameFiring = occurrenceKey !== undefined && open.occurrenceKey === occurrenceKey;
  if (!sameFiring && newlyFiring(open.group, said)) return 'count';
  if (open.group && sameGroup(open.group, said) && !due(open.group, ctx.now)) return 'repeat';
  const now = ctx.now.toISOString();
  if (await deps.store.updateGroup(open.id, taskGroupOf(said, now), now, occurrenceKey)) return 'repeat';
  // Not written: resolved meanwhile (then decide again), or a newer summary is on the task already.
  return (await deps.store.get(open.id))?.status === 'resolved' ? undefined : 'repeat';
}

/**
 * A group task takes the priority of its most severe firing alert when a more severe one joins (a critical
 * alert in a group of warnings pages as a critical one would on its own); it is never lowered, since a person
 * may have set it. One try: should the task have changed meanwhile, the group's next notification raises it.
 */
async function raisedByGroup(deps: AlertDeps, task: Task, alert: Alert, ctx: ChangeContext): Promise<void> {
  if (!alert.group) return;
  const wanted = prioritize(alert, deps.config);
  if (priorityRank(wanted) >= priorityRank(task.priority)) return;
  await change(deps, task, { type: 'set_priority', priority: wanted }, ctx);
}

/**
 * A silenced trigger of an open task still says its sender is reporting it: its id is the outcome's (so a group
 * comparison sees it listed, not muted in Alertmanager), and a group task hears its group (`notifiedAt`), so
 * neither `staleAfter` sweep takes a TMS silence for Alertmanager going quiet. Nothing is counted.
 */
async function heardWhileSilenced(deps: AlertDeps, alert: Alert): Promise<string | null> {
  const openId = (await deps.store.fingerprint(alert.fingerprint))?.openTaskId;
  if (!openId || !alert.group) return openId ?? null;
  const open = await deps.store.get(openId);
  const now = deps.clock.now();
  if (open?.group && !due(open.group, now)) return openId;
  if (open && open.status !== 'resolved') {
    const at = now.toISOString();
    await deps.store.updateGroup(openId, taskGroupOf(alert.group, at), at, open.occurrenceKey);
  }
  return openId;
}

/**
 * A maintenance window in force that matches holds a trigger back (kept with its window's occurrence, counted,
 * released by the sweep when it ends) as a silence would. A resolve marks what the window's latest occurrence
 * held of it not firing, so nothing opens at the end, and then goes on as usual.
 */
async function heldByWindow(
  deps: AlertDeps,
  windows: MaintenanceStore,
  alert: Alert,
): Promise<IngestOutcome | undefined> {
  const listed = await windows.listWindows();
  if (listed.length === 0) return undefined;
  const now = deps.clock.now();
  const at = now.toISOString();
  const where = route(alert, deps.config);
  const since = now.getTime() - RESOLVE_LOOKBACK_MS;
  for (const window of listed) {
    // One that holds nothing any more (lifted, or a one-off long over) costs no matching and no occurrence math.
    const last = lastEnd(window);
    if (last && last.getTime() < since) continue;
    if (!windowMatches(window, alert, where)) continue;
    if (alert.action === 'trigger') {
      const occurrence = occurrenceAt(window, now);
      if (!occurrence) continue;
      const end = occurrence.end.toISOString();
      const occurrenceStart = occurrence.start.toISOString();
      await windows.hold({ windowId: window.id, occurrenceStart, occurrenceEnd: end, alert, at });
      await windows.countHeld(window.id, at);
      return ignored(await heardWhileSilenced(deps, alert), `${HELD_BY_WINDOW} ${window.id} until ${end}`);
    }
    const occurrence = recentOccurrence(window, now, RESOLVE_LOOKBACK_MS);
    if (occurrence && !(window.releasedThrough && window.releasedThrough >= occurrence.end.toISOString()))
      await windows.markNotFiring(window.id, occurrence.start.toISOString(), alert.fingerprint, at);
  }
  return undefined;
}

/** How an outcome says a window held the alert: it opens its task when the window ends, if still firing. */
export const HELD_BY_WINDOW = 'held by maintenance window';

/** A resolve this soon after a window's occurrence ended may come before the sweep released what it held. */
const RESOLVE_LOOKBACK_MS = 3_600_000;

/**
 * When the alert's event is counted: its sender's time when plausible, else when its delivery was received
 * (src/core/plausible-time.ts); never before `notBefore` (ms), when its task's clock started.
 */
function timeOf(alert: Alert, ctx: ChangeContext, notBefore?: number): PlausibleTime {
  return plausibleTime(alert.occurredAt, {
    receivedAt: alert.receivedAt ?? ctx.now,
    ...(notBefore !== undefined && Number.isFinite(notBefore)
      ? { notBefore: new Date(notBefore).toISOString() }
      : {}),
  });
}

/** When an open task opened, for its occurrences: its first sight, or its clock's start when it reopened since. */
const openedAt = (task: Task): number => Math.max(Date.parse(task.firstSeenAt), clockStart(task, 'resolve'));

/** The earliest a task can have recovered: after its clock started, and after it was acknowledged. */
const resolvableFrom = (task: Task): number =>
  Math.max(clockStart(task, 'resolve'), task.acknowledgedAt ? Date.parse(task.acknowledgedAt) : 0);

async function lastTask(deps: AlertDeps, record: FingerprintRecord | undefined): Promise<Task | undefined> {
  return record?.lastTaskId ? deps.store.get(record.lastTaskId) : undefined;
}

/**
 * Applies a command and saves it: `saved`, `conflict` (read again and retry), or why it was refused. `group`:
 * the Alertmanager group's summary as the alert that made the change gave it, kept with the change.
 */
async function change(
  deps: AlertDeps,
  task: Task,
  command: LifecycleAction,
  ctx: ChangeContext,
  group?: TaskGroup,
): Promise<'saved' | 'conflict' | { reason: string }> {
  const applied = applyAction(task, command, ctx);
  if (!applied.ok) return { reason: applied.error.message };
  const changed = group ? { ...applied.value.task, group } : applied.value.task;
  return deps.store.save(changed, applied.value.entries, task.version);
}

const groupOf = (alert: Alert, ctx: ChangeContext): TaskGroup | undefined =>
  alert.group ? taskGroupOf(alert.group, ctx.now.toISOString()) : undefined;

const summary = (alert: Alert) => (alert.summary ? { summary: alert.summary } : {});
const ignored = (taskId: string | null, reason: string): IngestOutcome => ({
  result: 'ignored',
  taskId,
  reason,
});
