import type { Config } from '../config.js';
import type { Priority, Task } from '../task.js';
import type { TaskFacts } from './facts.js';

/**
 * Pre-aggregated counters: for each scope (an alert's fingerprint, a service, a channel, everything) one
 * item per hour, holding what happened in it: events in 5-minute slots (for trends), tasks opened,
 * acknowledged and resolved with their summed durations and SLA outcomes, per priority too, and (for
 * services and channels) events and flaps per task (for the noisiest and flakiest). A report over a window
 * reads that window's hours and nothing else, however many events they hold.
 */

export const SLOT_MS = 5 * 60_000;
export const HOUR_MS = 60 * 60_000;
/** `fp:<fingerprint>`, `svc:<service>`, `ch:<channel>` or `all`. */
export type Scope = string;
export const scopes = {
  fingerprint: (fingerprint: string): Scope => `fp:${fingerprint}`,
  service: (service: string): Scope => `svc:${service}`,
  channel: (channel: string): Scope => `ch:${channel}`,
  all: 'all' as Scope,
};

/** The hour an instant falls in, as the hourly items name it: `2026-12-02T09`. */
export const hourOf = (at: string | number | Date): string =>
  // Task times are ISO 8601 in UTC already: the hour is their first 13 characters.
  typeof at === 'string' && at.length >= 20 && at.endsWith('Z') && at[10] === 'T'
    ? at.slice(0, 13)
    : new Date(at).toISOString().slice(0, 13);
export const hourStart = (hour: string): number => Date.parse(`${hour}:00:00.000Z`);

/** Counter names, shared by the fold and every report that reads them. */
export const C = {
  events: 'events',
  slot: (at: number) => `slot.${String(Math.floor((at % HOUR_MS) / SLOT_MS) * 5).padStart(2, '0')}`,
  opened: 'opened',
  /** Alert tasks opened or reopened: the failures MTBF counts. */
  failures: 'failures',
  acked: 'acked',
  ackMs: 'ackMs',
  resolved: 'resolved',
  resolveMs: 'resolveMs',
  /** Time to resolve of alert tasks only: the downtime MTBF leaves out. */
  downMs: 'downMs',
  ackMet: 'ackMet',
  ackMissed: 'ackMissed',
  resolveMet: 'resolveMet',
  resolveMissed: 'resolveMissed',
  reopened: 'reopened',
  flaps: 'flaps',
  flaky: 'flaky',
  autoResolved: 'autoResolved',
  byPriority: (name: string, priority: Priority) => `${name}.${priority}`,
  taskEvents: (taskId: string) => `task.${taskId}.events`,
  taskFlaps: (taskId: string) => `task.${taskId}.flaps`,
  serviceEvents: (service: string) => `service.${service}.events`,
} as const;

/** String sets of the channel items: the tasks opened and resolved in the hour, for the digest's links. */
export const SETS = { opened: 'openedIds', resolved: 'resolvedIds' } as const;

/** What one change adds to one scope's hour. */
export interface Contribution {
  readonly scope: Scope;
  readonly hour: string;
  readonly taskId: string;
  /** The task version that made the change: an item counts each task's changes once, in version order. */
  readonly version: number;
  readonly counters: Readonly<Record<string, number>>;
  readonly sets: Readonly<Record<string, readonly string[]>>;
}

class Builder {
  readonly #items = new Map<
    string,
    { scope: Scope; hour: string; counters: Record<string, number>; sets: Record<string, Set<string>> }
  >();
  constructor(
    private readonly taskId: string,
    private readonly version: number,
  ) {}

  add(scope: Scope, at: string, name: string, value: number): void {
    if (value === 0) return;
    const item = this.#item(scope, at);
    item.counters[name] = (item.counters[name] ?? 0) + value;
  }

  addToSet(scope: Scope, at: string, name: string, value: string): void {
    const item = this.#item(scope, at);
    const set = item.sets[name] ?? new Set();
    set.add(value);
    item.sets[name] = set;
  }

  #item(scope: Scope, at: string) {
    const hour = hourOf(at);
    const key = `${scope}|${hour}`;
    let item = this.#items.get(key);
    if (!item) {
      item = { scope, hour, counters: {}, sets: {} };
      this.#items.set(key, item);
    }
    return item;
  }

  build(): Contribution[] {
    return [...this.#items.values()].map((item) => ({
      scope: item.scope,
      hour: item.hour,
      taskId: this.taskId,
      version: this.version,
      counters: item.counters,
      sets: Object.fromEntries(Object.entries(item.sets).map(([name, set]) => [name, [...set]])),
    }));
  }
}

/** The channels a task is reported in: its own, and its team's (a team's digest covers its services). */
export function reportChannels(
  task: Pick<Task, 'channel' | 'team'>,
  config: Pick<Config, 'teams'>,
): string[] {
  const team = task.team ? config.teams[task.team]?.channel : undefined;
  return team && team !== task.channel ? [task.channel, team] : [task.channel];
}

/**
 * The hourly items a change adds to, and what it adds: a pure function of the change's facts and the
 * channels it is reported in (`reportChannels`).
 */
export function contributionsOf(
  { task, facts }: TaskFacts,
  channels: readonly string[] = [task.channel],
): Contribution[] {
  const b = new Builder(task.id, task.version);
  const channelScopes = channels.map(scopes.channel);
  const everywhere: Scope[] = [
    ...(task.fingerprint ? [scopes.fingerprint(task.fingerprint)] : []),
    scopes.service(task.service),
    ...channelScopes,
    scopes.all,
  ];
  const perTask = [scopes.service(task.service), ...channelScopes];
  const p = task.priority;
  const both = (scope: Scope, at: string, name: string, value: number) => {
    b.add(scope, at, name, value);
    b.add(scope, at, C.byPriority(name, p), value);
  };
  for (const fact of facts) {
    for (const scope of everywhere) {
      switch (fact.type) {
        case 'occurred':
          b.add(scope, fact.at, C.events, fact.count);
          b.add(scope, fact.at, C.slot(Date.parse(fact.at)), fact.count);
          if (perTask.includes(scope)) b.add(scope, fact.at, C.taskEvents(task.id), fact.count);
          if (scope === scopes.all) b.add(scope, fact.at, C.serviceEvents(task.service), fact.count);
          break;
        case 'opened':
          both(scope, fact.at, C.opened, 1);
          if (task.kind === 'alert') both(scope, fact.at, C.failures, 1);
          if (fact.flaky) b.add(scope, fact.at, C.flaky, 1);
          if (channelScopes.includes(scope)) b.addToSet(scope, fact.at, SETS.opened, task.id);
          break;
        case 'acknowledged':
          if (fact.byPerson) {
            both(scope, fact.at, C.acked, 1);
            both(scope, fact.at, C.ackMs, fact.tookMs);
          }
          both(scope, fact.at, fact.met ? C.ackMet : C.ackMissed, 1);
          break;
        case 'resolved':
          both(scope, fact.at, C.resolved, 1);
          both(scope, fact.at, C.resolveMs, fact.tookMs);
          if (task.kind === 'alert') both(scope, fact.at, C.downMs, fact.tookMs);
          both(scope, fact.at, fact.met ? C.resolveMet : C.resolveMissed, 1);
          if (fact.ackMet !== null) both(scope, fact.at, fact.ackMet ? C.ackMet : C.ackMissed, 1);
          if (fact.automatic) b.add(scope, fact.at, C.autoResolved, 1);
          if (channelScopes.includes(scope)) b.addToSet(scope, fact.at, SETS.resolved, task.id);
          break;
        case 'reopened':
          b.add(scope, fact.at, C.reopened, 1);
          if (task.kind === 'alert') both(scope, fact.at, C.failures, 1);
          if (fact.flap) {
            b.add(scope, fact.at, C.flaps, 1);
            if (perTask.includes(scope)) b.add(scope, fact.at, C.taskFlaps(task.id), 1);
          }
          break;
      }
    }
  }
  return b.build();
}

/**
 * Everything a batch adds to one scope's hour, and which change of which task each part came from. How a store
 * lays an hour out (DynamoDB spreads it over several items by task: src/adapters/dynamo/aggregate-store.ts) is
 * the store's concern.
 */
export interface ItemDelta {
  readonly scope: Scope;
  readonly hour: string;
  readonly counters: Record<string, number>;
  readonly sets: Record<string, string[]>;
  /** Per task, the lowest version among its contributions: the item must not have counted it yet. */
  readonly tasks: Record<string, number>;
  readonly contributions: readonly Contribution[];
}

/** Which scope's hour a contribution or delta is for. */
export const itemKey = (c: Pick<Contribution, 'scope' | 'hour'>): string => `${c.scope}|${c.hour}`;

/** Groups contributions by scope and hour and adds them up: one delta per hour per batch, however many changes. */
export function mergeContributions(contributions: readonly Contribution[]): ItemDelta[] {
  const items = new Map<string, ItemDelta>();
  for (const c of contributions) {
    const key = itemKey(c);
    let item = items.get(key);
    if (!item) {
      item = {
        scope: c.scope,
        hour: c.hour,
        counters: {},
        sets: {},
        tasks: {},
        contributions: [],
      };
      items.set(key, item);
    }
    for (const [name, value] of Object.entries(c.counters))
      item.counters[name] = (item.counters[name] ?? 0) + value;
    for (const [name, values] of Object.entries(c.sets))
      item.sets[name] = [...new Set([...(item.sets[name] ?? []), ...values])];
    item.tasks[c.taskId] = Math.min(item.tasks[c.taskId] ?? Number.POSITIVE_INFINITY, c.version);
    (item.contributions as Contribution[]).push(c);
  }
  return [...items.values()];
}

/** The hourly item as a report reads it. */
export interface HourCounters {
  readonly scope: Scope;
  readonly hour: string;
  readonly counters: Readonly<Record<string, number>>;
  readonly sets: Readonly<Record<string, readonly string[]>>;
}

/**
 * The items of each hour added up into one, hours in order: what readers see, however many items a store keeps
 * an hour in.
 */
export function mergeHourItems(items: readonly HourCounters[]): HourCounters[] {
  const byHour = new Map<
    string,
    { scope: Scope; hour: string; counters: Record<string, number>; sets: Record<string, Set<string>> }
  >();
  for (const item of items) {
    const key = `${item.scope}|${item.hour}`;
    const hour = byHour.get(key) ?? { scope: item.scope, hour: item.hour, counters: {}, sets: {} };
    for (const [name, value] of Object.entries(item.counters))
      hour.counters[name] = (hour.counters[name] ?? 0) + value;
    for (const [name, values] of Object.entries(item.sets))
      hour.sets[name] = new Set([...(hour.sets[name] ?? []), ...values]);
    byHour.set(key, hour);
  }
  return [...byHour.values()]
    .sort((a, b) => a.hour.localeCompare(b.hour))
    .map((h) => ({
      scope: h.scope,
      hour: h.hour,
      counters: h.counters,
      sets: Object.fromEntries(Object.entries(h.sets).map(([name, set]) => [name, [...set].sort()])),
    }));
}

/** Counters added up over many hours (a report's window). */
export function sumCounters(hours: readonly HourCounters[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const hour of hours)
    for (const [name, value] of Object.entries(hour.counters)) total[name] = (total[name] ?? 0) + value;
  return total;
}

/** Events per 5-minute slot, by the slot's start time (ms), from hourly items. */
export function eventSlots(hours: readonly HourCounters[]): { start: number; count: number }[] {
  const slots: { start: number; count: number }[] = [];
  for (const hour of hours) {
    const start = hourStart(hour.hour);
    for (const [name, count] of Object.entries(hour.counters)) {
      const match = /^slot\.(\d\d)$/.exec(name);
      if (match) slots.push({ start: start + Number(match[1]) * 60_000, count });
    }
  }
  return slots.sort((a, b) => a.start - b.start);
}

/** Per-task counters (`task.<id>.events`) of a window, largest first. */
export function perTask(
  total: Readonly<Record<string, number>>,
  what: 'events' | 'flaps',
): { taskId: string; count: number }[] {
  const suffix = `.${what}`;
  return Object.entries(total)
    .filter(([name, count]) => name.startsWith('task.') && name.endsWith(suffix) && count > 0)
    .map(([name, count]) => ({ taskId: name.slice('task.'.length, -suffix.length), count }))
    .sort((a, b) => b.count - a.count || a.taskId.localeCompare(b.taskId));
}

/** Per-service event counts of a window (from the `all` items), largest first. */
export function perService(total: Readonly<Record<string, number>>): { service: string; count: number }[] {
  return Object.entries(total)
    .filter(([name, count]) => name.startsWith('service.') && name.endsWith('.events') && count > 0)
    .map(([name, count]) => ({ service: name.slice('service.'.length, -'.events'.length), count }))
    .sort((a, b) => b.count - a.count || a.service.localeCompare(b.service));
}
