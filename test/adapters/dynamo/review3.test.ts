import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BatchWriteCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { keys } from '../../../src/adapters/dynamo/table.js';
import { DynamoTaskStore } from '../../../src/adapters/dynamo/task-store.js';
import { applyAction } from '../../../src/core/lifecycle.js';
import type { Task } from '../../../src/core/task.js';
import { ManualClock } from '../../../src/core/time.js';
import { defaultDeps } from '../../../src/core/use-cases/deps.js';
import { ingestAlert } from '../../../src/core/use-cases/ingest-alert.js';
import { taskFromAlert } from '../../../src/core/use-cases/open-task.js';
import { onEachBackend } from '../../helpers/dynamo.js';
import { anAlert, config, slack, T0 } from '../../helpers/factories.js';

/**
 * A client whose matching requests are sent twice, the second answer returned: what the SDK does when a write's
 * answer is lost after DynamoDB applied it (a socket timeout, a 500) and it retries.
 */
function answerLost(db: DynamoDBDocumentClient, lost: (command: unknown) => boolean): DynamoDBDocumentClient {
  let once = false;
  return new Proxy(db, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver);
      return async (command: unknown) => {
        if (!once && lost(command)) {
          once = true;
          await target.send(command as never);
        }
        return target.send(command as never);
      };
    },
  });
}

onEachBackend((name, dynamo) => {
  describe(`review3 on ${name}`, () => {
    it('a fingerprint bind applied whose answer was lost does not hand its task number to another fingerprint', async () => {
      const table = await dynamo().freshTable();
      const db = answerLost(
        dynamo().embedded.db,
        (command) =>
          command instanceof UpdateCommand &&
          String(command.input.Key?.pk).startsWith('FP#') &&
          String(command.input.UpdateExpression).includes('openTaskId = :id'),
      );
      const store = new DynamoTaskStore(db, table);
      const deps = defaultDeps(store, config, new ManualClock(T0));
      // Act
      const a = await ingestAlert(deps, anAlert({ fingerprint: 'fp:a', title: 'A' }));
      const b = await ingestAlert(deps, anAlert({ fingerprint: 'fp:b', title: 'B' }));
      // Assess
      expect(a).toMatchObject({ result: 'created' });
      expect(b).toMatchObject({ result: 'created' });
      expect(b.taskId).not.toBe(a.taskId);
      expect((await store.get(a.taskId as string))?.occurrences).toBe(1);
      expect((await store.fingerprint('fp:b'))?.openTaskId).toBe(b.taskId);
    });
  });
});

onEachBackend((name, dynamo) => {
  describe(`review3 first sight on ${name}`, () => {
    it('an occurrence moving first sight back while a person raises the priority keeps the new priority deadlines', async () => {
      const table = await dynamo().freshTable();
      const store = new DynamoTaskStore(dynamo().embedded.db, table);
      const person = new DynamoTaskStore(dynamo().embedded.db, table);
      const later = new Date(Date.parse(T0) + 10 * 60_000).toISOString();
      const opened = await ingestAlert(
        defaultDeps(store, config, new ManualClock(later)),
        anAlert({ occurredAt: later, occurrenceKey: 'b' }),
      );
      const id = opened.taskId as string;
      const before = (await store.get(id)) as Task;
      expect(before.priority).not.toBe('P1');
      // A person raises it to P1 between the processor's read of the task and its count.
      const count = store.recordOccurrence.bind(store);
      let raised = false;
      store.recordOccurrence = async (...args) => {
        if (!raised) {
          raised = true;
          const task = (await person.get(id)) as Task;
          const applied = applyAction(
            task,
            { type: 'set_priority', priority: 'P1' },
            slack('U0ADMIN', later),
          );
          if (!applied.ok) throw new Error('not applied');
          expect(await person.save(applied.value.task, applied.value.entries, task.version)).toBe('saved');
        }
        return count(...args);
      };
      // Act: an earlier occurrence, delivered late
      await ingestAlert(
        defaultDeps(store, config, new ManualClock(later)),
        anAlert({ occurredAt: T0, occurrenceKey: 'a' }),
      );
      // Assess
      const after = (await person.get(id)) as Task;
      const windows = after.sla.windows.P1;
      expect(after).toMatchObject({ priority: 'P1', firstSeenAt: T0, occurrences: 2 });
      expect(after.ackDueAt).toBe(new Date(Date.parse(T0) + windows.ack).toISOString());
      expect(after.resolveDueAt).toBe(new Date(Date.parse(T0) + windows.resolve).toISOString());
    });
  });
});

onEachBackend((name, dynamo) => {
  describe(`review3 lists on ${name}`, () => {
    it('a task the status index still lists under its old status as well shows once in a page', async () => {
      const table = await dynamo().freshTable();
      const real = dynamo().embedded.db;
      const writer = new DynamoTaskStore(real, table);
      const opened = await ingestAlert(defaultDeps(writer, config, new ManualClock(T0)), anAlert());
      const task = (await writer.get(opened.taskId as string)) as Task;
      const acked = applyAction(task, { type: 'acknowledge' }, slack('U0ANA'));
      if (!acked.ok) throw new Error('not applied');
      expect(await writer.save(acked.value.task, acked.value.entries, task.version)).toBe('saved');
      // The index a moment behind its table: the task's copy under STATUS#open is not deleted yet.
      const lagging = new Proxy(real, {
        get(target, property, receiver) {
          if (property !== 'send') return Reflect.get(target, property, receiver);
          return async (command: unknown) => {
            const answer = (await target.send(command as never)) as { Items?: Record<string, unknown>[] };
            if (
              command instanceof QueryCommand &&
              command.input.IndexName === 'gsi1' &&
              command.input.ExpressionAttributeValues?.[':pk'] === 'STATUS#open'
            )
              return {
                ...answer,
                Items: [
                  ...(answer.Items ?? []),
                  { pk: 'TASK#1', sk: 'TASK', gsi1pk: 'STATUS#open', gsi1sk: '0000000001' },
                ],
              };
            return answer;
          };
        },
      });
      const reader = new DynamoTaskStore(lagging, table);
      // Act
      const page = await reader.list({ statuses: ['open', 'acknowledged'], limit: 10 });
      // Assess
      expect(page.tasks.map((t) => t.id)).toEqual(['TMS-1']);
      expect(page.next).toBeNull();
    });
  });
});

onEachBackend((name, dynamo) => {
  describe(`review3 items the old code wrote, on ${name}`, () => {
    it('a writer killed right after counting on a task item the old code wrote loses none of its entries', async () => {
      const table = await dynamo().freshTable();
      const real = dynamo().embedded.db;
      const ctx = { actor: { type: 'source', id: 'generic' }, via: 'ingest', now: new Date(T0) } as const;
      const { task, entries } = taskFromAlert('TMS-1', anAlert(), config, ctx);
      // As the old code wrote it: its latest change's entries in `lastEntries`, no `recent`.
      await real.send(
        new PutCommand({
          TableName: table,
          Item: {
            ...keys.task('TMS-1'),
            type: 'task',
            ...task,
            gsi1pk: keys.byStatus(task.status),
            gsi1sk: keys.taskOrder('TMS-1'),
            gsi2pk: keys.byService(task.service),
            gsi2sk: keys.taskOrder('TMS-1'),
            lastEntries: entries,
          },
        }),
      );
      // The writer dies at its first batch write after its count (before it copied what the count dropped).
      let counted = false;
      const dying = new Proxy(real, {
        get(target, property, receiver) {
          if (property !== 'send') return Reflect.get(target, property, receiver);
          return async (command: unknown) => {
            if (command instanceof BatchWriteCommand && counted) throw new Error('killed');
            const answer = await target.send(command as never);
            if (command instanceof UpdateCommand && command.input.Key?.pk === 'TASK#1') counted = true;
            return answer;
          };
        },
      });
      const store = new DynamoTaskStore(dying, table);
      // Act
      await expect(
        ingestAlert(defaultDeps(store, config, new ManualClock(T0)), anAlert({ occurrenceKey: 'second' })),
      ).rejects.toThrow('killed');
      // Assess
      const timeline = await new DynamoTaskStore(real, table).timeline('TMS-1');
      expect(timeline.map((e) => e.type)).toEqual([...entries.map((e) => e.type), 'occurred']);
    });
  });
});

onEachBackend((name, dynamo) => {
  describe(`review3 write amplification on ${name}`, () => {
    it('writers counting side by side on one task copy its held changes about once, and its history stays whole', async () => {
      const table = await dynamo().freshTable();
      const real = dynamo().embedded.db;
      let puts = 0;
      const counting = new Proxy(real, {
        get(target, property, receiver) {
          if (property !== 'send') return Reflect.get(target, property, receiver);
          return (command: unknown) => {
            if (command instanceof BatchWriteCommand)
              puts += Object.values(command.input.RequestItems ?? {}).flat().length;
            return target.send(command as never);
          };
        },
      });
      const store = new DynamoTaskStore(counting, table);
      const deps = defaultDeps(store, config, new ManualClock(T0));
      await ingestAlert(deps, anAlert());
      puts = 0;
      // Act: 100 occurrences, 20 at a time
      for (let i = 0; i < 100; i += 20)
        await Promise.all(
          Array.from({ length: 20 }, (_, j) => ingestAlert(deps, anAlert({ occurrenceKey: `run-${i + j}` }))),
        );
      // Assess: about one timeline put an occurrence (it was 25 before), none lost, none twice
      expect(puts / 100).toBeLessThan(4);
      const timeline = await new DynamoTaskStore(real, table).timeline('TMS-1');
      expect(timeline).toHaveLength(101);
      expect(new Set(timeline.map((e) => `${e.version}#${e.seq}`)).size).toBe(101);
      expect(timeline.filter((e) => e.type === 'occurred').map((e) => e.occurrences)).toEqual(
        Array.from({ length: 100 }, (_, i) => i + 2),
      );
    }, 60_000);
  });
});
