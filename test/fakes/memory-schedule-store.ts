import type { RunLease, ScheduleStore } from '../../src/core/ports.js';
import type { RunSummary, Schedule, ScheduleRun, ScheduleStatus } from '../../src/core/schedule.js';

interface HeldRun {
  run: ScheduleRun;
  holder: string;
  leaseUntil: string;
}

/** The ScheduleStore in memory, for unit tests; held to the same contract as the DynamoDB adapter. */
export class MemoryScheduleStore implements ScheduleStore {
  readonly schedules = new Map<string, Schedule>();
  readonly runs = new Map<string, HeldRun>();

  async createSchedule(schedule: Schedule): Promise<void> {
    if (this.schedules.has(schedule.id)) throw new Error(`schedule ${schedule.id} exists already`);
    this.schedules.set(schedule.id, structuredClone(schedule));
  }

  async getSchedule(id: string): Promise<Schedule | undefined> {
    const schedule = this.schedules.get(id);
    return schedule && structuredClone(schedule);
  }

  async listSchedules(): Promise<Schedule[]> {
    // As the adapter orders them: by next run, those without one last, then by id.
    const order = (s: Schedule) => `${s.nextRunAt ?? '~'}#${s.id}`;
    return [...this.schedules.values()]
      .sort((a, b) => (order(a) < order(b) ? -1 : 1))
      .map((s) => structuredClone(s));
  }

  async dueSchedules(now: string, limit: number): Promise<Schedule[]> {
    return (await this.listSchedules())
      .filter((s) => s.nextRunAt !== null && s.nextRunAt <= now)
      .slice(0, limit);
  }

  async deleteSchedule(id: string): Promise<boolean> {
    return this.schedules.delete(id);
  }

  async advanceSchedule(
    id: string,
    expectedNextRunAt: string,
    change: { nextRunAt: string | null; lastRun: RunSummary; status: ScheduleStatus },
  ): Promise<boolean> {
    const schedule = this.schedules.get(id);
    if (!schedule || schedule.nextRunAt !== expectedNextRunAt) return false;
    this.schedules.set(id, { ...schedule, ...structuredClone(change), version: schedule.version + 1 });
    return true;
  }

  async beginRun(run: ScheduleRun, holder: string, leaseUntil: string, now: string): Promise<RunLease> {
    const key = `${run.scheduleId}#${run.scheduledFor}`;
    const held = this.runs.get(key);
    if (!held) {
      const { begun: _begun, ...starting } = run;
      const begun = { ...structuredClone(starting), begun: 1 };
      this.runs.set(key, { run: begun, holder, leaseUntil });
      return { outcome: 'begun', run: structuredClone(begun) };
    }
    if (held.run.status !== 'running') return { outcome: 'done', run: structuredClone(held.run) };
    if (held.leaseUntil > now) return { outcome: 'in-progress' };
    const taken = { ...held.run, begun: (held.run.begun ?? 0) + 1 };
    this.runs.set(key, { run: taken, holder, leaseUntil });
    return { outcome: 'begun', run: structuredClone(taken) };
  }

  async noteRunTask(
    scheduleId: string,
    scheduledFor: string,
    holder: string,
    taskId: string,
  ): Promise<boolean> {
    const held = this.runs.get(`${scheduleId}#${scheduledFor}`);
    if (!held || held.holder !== holder || held.run.status !== 'running') return false;
    held.run = { ...held.run, taskId };
    return true;
  }

  async finishRun(run: ScheduleRun, holder: string): Promise<boolean> {
    const key = `${run.scheduleId}#${run.scheduledFor}`;
    const held = this.runs.get(key);
    if (!held || held.holder !== holder || held.run.status !== 'running') return false;
    this.runs.set(key, { run: structuredClone(run), holder, leaseUntil: held.leaseUntil });
    return true;
  }

  async listRuns(scheduleId: string, limit: number): Promise<ScheduleRun[]> {
    return [...this.runs.values()]
      .map((held) => held.run)
      .filter((run) => run.scheduleId === scheduleId)
      .sort((a, b) => (a.scheduledFor < b.scheduledFor ? 1 : -1))
      .slice(0, limit)
      .map((run) => structuredClone(run));
  }
}
