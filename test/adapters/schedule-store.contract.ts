import { beforeEach, describe, expect, it } from 'vitest';
import type { ScheduleStore } from '../../src/core/ports.js';
import type { Schedule, ScheduleRun } from '../../src/core/schedule.js';

const at = (minutes: number) => new Date(Date.UTC(2026, 11, 2, 9, minutes)).toISOString();

export const aSchedule = (id: string, fields: Partial<Schedule> = {}): Schedule => ({
  id,
  title: 'Rotate the TLS certificates',
  at: at(30),
  every: 'day',
  timezone: 'Europe/Berlin',
  action: 'task',
  service: 'checkout',
  status: 'scheduled',
  nextRunAt: at(30),
  lastRun: null,
  createdBy: 'U0ANA',
  createdAt: at(0),
  origin: 'slack',
  version: 1,
  ...fields,
});

const aRun = (scheduleId: string, scheduledFor: string, fields: Partial<ScheduleRun> = {}): ScheduleRun => ({
  scheduleId,
  scheduledFor,
  status: 'running',
  startedAt: at(31),
  ...fields,
});

/**
 * What every ScheduleStore promises: schedules kept as made and listed by next run, the due ones found, a
 * schedule moved on once per run, and a run that is one holder's at a time, kept with what it did. Runs over
 * the in-memory fake and over the DynamoDB adapter.
 */
export function scheduleStoreContract(name: string, makeStore: () => Promise<ScheduleStore>): void {
  describe(`${name}: the ScheduleStore contract`, () => {
    let store: ScheduleStore;
    beforeEach(async () => {
      store = await makeStore();
    });

    it('keeps a schedule as made, refuses a second with its id, and removes it once', async () => {
      // Prepare
      const schedule = aSchedule('SCH-kept0001', { url: undefined, every: '0 9 * * 1-5', priority: 'P2' });
      delete (schedule as { url?: string }).url;
      // Act
      await store.createSchedule(schedule);
      // Assess
      expect(await store.getSchedule('SCH-kept0001')).toEqual(schedule);
      await expect(store.createSchedule(aSchedule('SCH-kept0001', { title: 'other' }))).rejects.toThrow();
      expect(await store.getSchedule('SCH-kept0001')).toEqual(schedule);
      expect(await store.getSchedule('SCH-absent01')).toBeUndefined();
      expect(await store.deleteSchedule('SCH-kept0001')).toBe(true);
      expect(await store.deleteSchedule('SCH-kept0001')).toBe(false);
      expect(await store.getSchedule('SCH-kept0001')).toBeUndefined();
    });

    it('lists every schedule soonest next run first, those that will not run again last', async () => {
      // Prepare
      await store.createSchedule(aSchedule('SCH-later001', { nextRunAt: at(50) }));
      await store.createSchedule(
        aSchedule('SCH-done0001', { nextRunAt: null, status: 'completed', every: undefined }),
      );
      await store.createSchedule(aSchedule('SCH-soon0001', { nextRunAt: at(40) }));
      // Act
      const listed = await store.listSchedules();
      // Assess
      expect(listed.map((s) => s.id)).toEqual(['SCH-soon0001', 'SCH-later001', 'SCH-done0001']);
    });

    it('finds the schedules due by now, soonest first, and no more than asked', async () => {
      // Prepare
      await store.createSchedule(aSchedule('SCH-due00002', { nextRunAt: at(20) }));
      await store.createSchedule(aSchedule('SCH-due00001', { nextRunAt: at(10) }));
      await store.createSchedule(aSchedule('SCH-exact001', { nextRunAt: at(30) }));
      await store.createSchedule(aSchedule('SCH-ahead001', { nextRunAt: at(31) }));
      await store.createSchedule(aSchedule('SCH-ended001', { nextRunAt: null, status: 'completed' }));
      // Act
      const due = await store.dueSchedules(at(30), 10);
      const first = await store.dueSchedules(at(30), 1);
      // Assess
      expect(due.map((s) => s.id)).toEqual(['SCH-due00001', 'SCH-due00002', 'SCH-exact001']);
      expect(first.map((s) => s.id)).toEqual(['SCH-due00001']);
      expect(await store.dueSchedules(at(5), 10)).toEqual([]);
    });

    it('moves a schedule on once per run: a second sweeper with the same run is refused', async () => {
      // Prepare
      await store.createSchedule(aSchedule('SCH-advance1', { nextRunAt: at(10) }));
      const lastRun = {
        scheduledFor: at(10),
        status: 'completed' as const,
        finishedAt: at(11),
        taskId: 'TMS-7',
      };
      // Act
      const first = await store.advanceSchedule('SCH-advance1', at(10), {
        nextRunAt: at(40),
        lastRun,
        status: 'scheduled',
      });
      const again = await store.advanceSchedule('SCH-advance1', at(10), {
        nextRunAt: at(50),
        lastRun,
        status: 'scheduled',
      });
      // Assess
      expect([first, again]).toEqual([true, false]);
      const moved = await store.getSchedule('SCH-advance1');
      expect(moved).toMatchObject({ nextRunAt: at(40), lastRun, status: 'scheduled', version: 2 });
      expect((await store.dueSchedules(at(30), 10)).map((s) => s.id)).toEqual([]);
      expect((await store.dueSchedules(at(40), 10)).map((s) => s.id)).toEqual(['SCH-advance1']);
      expect(
        await store.advanceSchedule('SCH-absent01', at(10), {
          nextRunAt: null,
          lastRun,
          status: 'completed',
        }),
      ).toBe(false);
    });

    it('takes a one-off out of the due list once it has run', async () => {
      // Prepare
      await store.createSchedule(aSchedule('SCH-oneoff01', { nextRunAt: at(10), every: undefined }));
      // Act
      await store.advanceSchedule('SCH-oneoff01', at(10), {
        nextRunAt: null,
        lastRun: { scheduledFor: at(10), status: 'failed', error: 'the receiver answered 500' },
        status: 'failed',
      });
      // Assess
      expect(await store.dueSchedules(at(59), 10)).toEqual([]);
      expect(await store.getSchedule('SCH-oneoff01')).toMatchObject({ nextRunAt: null, status: 'failed' });
    });

    it('gives a run to one holder while its lease lasts, and to another once it has run out', async () => {
      // Prepare
      const run = aRun('SCH-leased01', at(10));
      // Act
      const first = await store.beginRun(run, 'sweeper-a', at(35), at(31));
      const second = await store.beginRun(run, 'sweeper-b', at(36), at(32));
      const noted = await store.noteRunTask('SCH-leased01', at(10), 'sweeper-a', 'TMS-41');
      const takeover = await store.beginRun({ ...run, startedAt: at(40) }, 'sweeper-b', at(45), at(40));
      const staleFinish = await store.finishRun(
        { ...run, status: 'completed', finishedAt: at(41) },
        'sweeper-a',
      );
      // Assess
      expect(first).toEqual({ outcome: 'begun', run: { ...run, begun: 1 } });
      expect(second).toEqual({ outcome: 'in-progress' });
      expect(noted).toBe(true);
      // The new holder carries on from what the dead one recorded: the same task, the same start.
      expect(takeover).toEqual({ outcome: 'begun', run: { ...run, taskId: 'TMS-41', begun: 2 } });
      expect(staleFinish).toBe(false);
      expect(await store.noteRunTask('SCH-leased01', at(10), 'sweeper-a', 'TMS-99')).toBe(false);
    });

    it('keeps a finished run as it ended, and never gives it out again', async () => {
      // Prepare
      const run = aRun('SCH-finish01', at(10), { late: true, skipped: 3 });
      await store.beginRun(run, 'sweeper-a', at(35), at(31));
      const ended: ScheduleRun = {
        ...run,
        begun: 1,
        status: 'failed',
        finishedAt: at(33),
        error: 'POST https://hooks.example/x answered 500',
        attempts: 3,
        taskId: 'TMS-42',
      };
      // Act
      const finished = await store.finishRun(ended, 'sweeper-a');
      const again = await store.finishRun({ ...ended, status: 'completed' }, 'sweeper-a');
      const later = await store.beginRun(run, 'sweeper-b', at(59), at(58));
      // Assess
      expect([finished, again]).toEqual([true, false]);
      expect(later).toEqual({ outcome: 'done', run: ended });
      expect(await store.listRuns('SCH-finish01', 10)).toEqual([ended]);
    });

    it("lists a schedule's runs newest first, and only its own", async () => {
      // Prepare
      for (const minute of [10, 30, 20])
        await store.beginRun(aRun('SCH-history1', at(minute)), 'a', at(59), at(31));
      await store.beginRun(aRun('SCH-other001', at(15)), 'a', at(59), at(31));
      // Act
      const runs = await store.listRuns('SCH-history1', 2);
      // Assess
      expect(runs.map((r) => r.scheduledFor)).toEqual([at(30), at(20)]);
    });
  });
}
