import type { Alert } from '../alert.js';
import { record } from '../bounds.js';
import { applyAction } from '../lifecycle.js';
import type { AlertGroupIndex, AlertGroupRecord, FingerprintIndex, TaskRepository } from '../ports.js';
import { clockStart } from '../sla.js';
import { type Task, UNRESOLVED } from '../task.js';
import { formatDuration } from '../time.js';
import type { ChangeContext } from '../timeline.js';
import { type Deps, MAX_ATTEMPTS } from './deps.js';

/**
 * Alertmanager in `grouping: alert` mode sends no resolve for an alert it silences or inhibits, nor for one that
 * ends while muted: the alert is simply no longer listed in its group's notifications. Each notification is
 * compared with the group's previous one (an `AlertGroupRecord`): a task whose alert is no longer listed gets
 * `unreportedSince` and a line saying so; one listed again loses it (in ingest, `reportedAgain`); with
 * `sources.alertmanager.staleAfter`, the sweeper resolves what stayed unreported that long.
 */

/** The most tasks a group record remembers (members and unreported together): a bounded item. */
export const MAX_GROUP_MEMBERS = 2_000;
export const UNREPORTED_NOTE = 'No longer reported by Alertmanager (silenced, inhibited or ended)';
export const REPORTED_AGAIN_NOTE = 'Reported by Alertmanager again';

type GroupDeps = Deps<TaskRepository & FingerprintIndex & AlertGroupIndex>;

/** One notification of a group, complete (not truncated): its alerts, in order, and what each came to. */
export interface GroupNotification {
  readonly key: string;
  /** Per alert of the notification: firing or not. */
  readonly firing: readonly boolean[];
}

const sourceCtx = (now: Date): ChangeContext => ({
  actor: { type: 'source', id: 'alertmanager' },
  via: 'ingest',
  now,
});

/**
 * After a notification's alerts were recorded (`outcomes`, in the order of its alerts): tasks the previous
 * notification listed as firing and this one does not list are marked unreported; the record then holds this
 * notification's firing tasks. Written by version, so two notifications at once (both HA peers) both count.
 */
export async function trackAlertGroup(
  deps: GroupDeps,
  notification: GroupNotification,
  /** What each alert came to (an IngestOutcome): its task, if it has one. */
  outcomes: readonly { readonly taskId: string | null }[],
): Promise<void> {
  const ids = (keep: (i: number) => boolean) =>
    new Set(outcomes.flatMap((o, i) => (o.taskId && keep(i) ? [o.taskId] : [])));
  const listed = ids(() => true);
  const firing = [...ids((i) => notification.firing[i] === true)];
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const now = deps.clock.now();
    const previous = await deps.store.alertGroup(notification.key);
    const unreported = record(
      Object.entries(previous?.unreported ?? {}).filter(([id]) => !listed.has(id) && !firing.includes(id)),
    );
    for (const id of previous?.members ?? []) {
      if (listed.has(id) || Object.hasOwn(unreported, id)) continue;
      if (await markUnreported(deps, id, now)) unreported[id] = now.toISOString();
    }
    const members = firing.slice(0, MAX_GROUP_MEMBERS);
    const room = MAX_GROUP_MEMBERS - members.length;
    // Over the bound, the longest unreported are kept: they are the next to go stale.
    const kept = Object.entries(unreported)
      .sort(([, a], [, b]) => (a < b ? -1 : 1))
      .slice(0, room);
    // The usual notification lists what the previous one did: nothing to write (and nothing for HA peers
    // and concurrent deliveries of the group to contend on).
    if (previous && sameMembers(previous, members, kept)) return;
    const next: AlertGroupRecord = {
      key: notification.key,
      members,
      unreported: record(kept),
      version: (previous?.version ?? 0) + 1,
    };
    if ((await deps.store.saveAlertGroup(next)) === 'saved') return;
  }
}

/**
 * A notification whose body was delivered before (Alertmanager names no notification, so a retry and a later
 * notification listing the same alerts are the same body): its alerts were counted then, but what it lists now
 * still matters. An alert it lists as firing whose task is marked unreported is reported again; the group is
 * compared as for any notification. Reads one fingerprint per alert; writes only what changed.
 */
export async function notifiedAgain(
  deps: GroupDeps,
  notification: GroupNotification,
  alerts: readonly Pick<Alert, 'fingerprint'>[],
): Promise<void> {
  const outcomes: { taskId: string | null }[] = [];
  for (const [index, alert] of alerts.entries()) {
    const taskId = (await deps.store.fingerprint(alert.fingerprint))?.openTaskId ?? null;
    if (taskId && notification.firing[index]) {
      const task = await deps.store.get(taskId);
      if (task?.unreportedSince && task.status !== 'resolved')
        await reportedAgain(deps, task, deps.clock.now());
    }
    outcomes.push({ taskId });
  }
  await trackAlertGroup(deps, notification, outcomes);
}

/** Marks an open task unreported (once): true when it is now marked, false when it is resolved or gone. */
async function markUnreported(deps: GroupDeps, id: string, now: Date): Promise<boolean> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const task = await deps.store.get(id);
    if (!task || task.status === 'resolved') return false;
    if (task.unreportedSince) return true;
    const applied = applyAction(task, { type: 'comment', text: UNREPORTED_NOTE }, sourceCtx(now));
    if (!applied.ok) return false;
    const marked: Task = { ...applied.value.task, unreportedSince: now.toISOString() };
    if ((await deps.store.save(marked, applied.value.entries, task.version)) === 'saved') return true;
  }
  return false;
}

/**
 * The task's alert is listed again: the mark comes off, with a line saying so. No delivery token on it: it is
 * not the alert's occurrence, which is counted (or found a repeat) after it. The task as saved, or undefined
 * when someone changed it first (read it again).
 */
export async function reportedAgain(
  deps: Deps<TaskRepository>,
  task: Task,
  now: Date,
): Promise<Task | undefined> {
  const applied = applyAction(task, { type: 'comment', text: REPORTED_AGAIN_NOTE }, sourceCtx(now));
  if (!applied.ok) return undefined;
  const { unreportedSince: _, ...rest } = applied.value.task;
  const cleared = rest as Task;
  return (await deps.store.save(cleared, applied.value.entries, task.version)) === 'saved'
    ? cleared
    : undefined;
}

/** The sweeper's job: resolves tasks unreported for longer than `staleAfter`; how many it resolved. */
export async function resolveStaleUnreported(deps: GroupDeps, now: Date, limit = 25): Promise<number> {
  const staleAfter = deps.config.sources.alertmanager.staleAfter;
  if (staleAfter === undefined) return 0;
  const cutoff = new Date(now.getTime() - staleAfter).toISOString();
  let resolved = 0;
  for (const key of await deps.store.unreportedAlertGroups(cutoff, limit)) {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const group = await deps.store.alertGroup(key);
      if (!group) break;
      const stale = Object.entries(group.unreported).filter(([, since]) => since < cutoff);
      for (const [id] of stale)
        if (await resolveQuiet(deps, id, cutoff, now, (t) => unreportedResolution(t, cutoff, staleAfter)))
          resolved++;
      const left = record(Object.entries(group.unreported).filter(([, since]) => since >= cutoff));
      const saved = await deps.store.saveAlertGroup({
        ...group,
        unreported: left,
        version: group.version + 1,
      });
      if (saved === 'saved') break;
    }
  }
  return resolved;
}

/** A task that went unreported before `cutoff`: why it is resolved now; undefined when it is not stale. */
function unreportedResolution(task: Task, cutoff: string, staleAfter: number): string | undefined {
  if (!task.unreportedSince || task.unreportedSince >= cutoff) return undefined;
  return `No longer reported by Alertmanager since ${task.unreportedSince} (silenced, inhibited or ended without a resolve): resolved after ${formatDuration(staleAfter)} (sources.alertmanager.staleAfter)`;
}

/** A group task its group last notified before `cutoff`: why it is resolved now; undefined when it is not stale. */
function silentGroupResolution(task: Task, cutoff: string, staleAfter: number): string | undefined {
  if (!task.group || task.group.notifiedAt >= cutoff) return undefined;
  return `Alertmanager has not notified this group since ${task.group.notifiedAt} (all its alerts silenced, inhibited or ended without a resolve): resolved after ${formatDuration(staleAfter)} (sources.alertmanager.staleAfter)`;
}

/**
 * Resolves a task Alertmanager went quiet about, by its source, when `why` still says it is stale as read now;
 * its fingerprint released and its occurrence forgotten (see `forgetOccurrence`). True when it resolved it.
 */
async function resolveQuiet(
  deps: GroupDeps,
  id: string,
  cutoff: string,
  now: Date,
  why: (task: Task) => string | undefined,
): Promise<boolean> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const task = await deps.store.get(id);
    if (!task || task.status === 'resolved') return false;
    // Reopened by a person since: their clock runs from then, not from what Alertmanager said before.
    if (clockStart(task, 'resolve') >= Date.parse(cutoff)) return false;
    const resolution = why(task);
    if (resolution === undefined) return false;
    const applied = applyAction(task, { type: 'resolve', resolution }, { ...sourceCtx(now), via: 'system' });
    if (!applied.ok) return false;
    const saved = await deps.store.save(
      forgetOccurrence(applied.value.task),
      applied.value.entries,
      task.version,
    );
    if (saved !== 'saved') continue;
    if (task.fingerprint) await deps.store.releaseFingerprint(task.fingerprint, task.id, now.toISOString());
    return true;
  }
  return false;
}

/**
 * `grouping: group`: a group Alertmanager stops notifying altogether (all its alerts silenced or inhibited, or
 * ended while muted) never sends the resolve that closes its task. Alertmanager notifies a firing group every
 * `repeat_interval`, and each notification moves the task's `group.notifiedAt` (a repeated, identical body
 * too: see `notifiedAgain` in the pipeline); with `sources.alertmanager.staleAfter`, a group task that heard
 * nothing that long is resolved, saying why. Reads the unresolved tasks page by page, as the SLA sweep does.
 */
export async function resolveSilentGroups(deps: GroupDeps, now: Date, limit = 25): Promise<number> {
  const { staleAfter, grouping } = deps.config.sources.alertmanager;
  if (staleAfter === undefined || grouping !== 'group') return 0;
  const cutoff = new Date(now.getTime() - staleAfter).toISOString();
  let before: number | null = null;
  let resolved = 0;
  do {
    const page = await deps.store.list({ statuses: UNRESOLVED, limit: 100, before });
    for (const task of page.tasks) {
      if (resolved >= limit) return resolved;
      if (task.source === 'alertmanager' && task.group && task.group.notifiedAt < cutoff)
        if (
          await resolveQuiet(deps, task.id, cutoff, now, (t) => silentGroupResolution(t, cutoff, staleAfter))
        )
          resolved++;
    }
    before = page.next;
  } while (before !== null);
  return resolved;
}

/**
 * A task resolved because Alertmanager went quiet forgets its occurrence: when the silence or inhibition ends,
 * Alertmanager notifies the same firing episode again (same `startsAt`, same firing set), which must open or
 * reopen a task rather than be taken for a late copy of a resolved occurrence.
 */
function forgetOccurrence(task: Task): Task {
  const { occurrenceKey: _, ...rest } = task;
  return rest as Task;
}

/** Whether a group record already holds these members (in any order) and exactly these unreported tasks. */
function sameMembers(
  previous: AlertGroupRecord,
  members: readonly string[],
  unreported: readonly (readonly [string, string])[],
): boolean {
  const had = new Set(previous.members);
  const wasUnreported = Object.entries(previous.unreported);
  return (
    had.size === new Set(members).size &&
    members.every((id) => had.has(id)) &&
    wasUnreported.length === unreported.length &&
    unreported.every(([id, since]) => previous.unreported[id] === since)
  );
}
