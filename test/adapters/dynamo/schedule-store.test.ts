import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import { DynamoScheduleStore } from '../../../src/adapters/dynamo/schedule-store.js';
import { onEachBackend } from '../../helpers/dynamo.js';
import { aSchedule, scheduleStoreContract } from '../schedule-store.contract.js';

onEachBackend((name, dynamo) => {
  const fresh = async () => new DynamoScheduleStore(dynamo().embedded.db, await dynamo().freshTable());

  scheduleStoreContract(`DynamoScheduleStore on ${name}`, fresh);

  describe(`DynamoScheduleStore on ${name}`, () => {
    it('finds the due schedules by one query of the sparse index, never a scan', async () => {
      // Prepare
      const store = await fresh();
      for (let i = 0; i < 5; i++)
        await store.createSchedule(
          aSchedule(`SCH-index00${i}`, { nextRunAt: new Date(Date.UTC(2026, 11, 2, 9 + i)).toISOString() }),
        );
      const sent = vi.spyOn(dynamo().embedded.db, 'send');
      try {
        // Act
        const due = await store.dueSchedules('2026-12-02T10:30:00.000Z', 25);
        // Assess
        expect(due.map((s) => s.id)).toEqual(['SCH-index000', 'SCH-index001']);
        const commands = sent.mock.calls.map(([command]) => command);
        expect(commands.some((c) => c instanceof ScanCommand)).toBe(false);
        const indexes = commands
          .filter((c) => c instanceof QueryCommand)
          .map((c) => (c as QueryCommand).input.IndexName);
        expect(indexes).toEqual(['gsi1']);
      } finally {
        sent.mockRestore();
      }
    });
  });
});
