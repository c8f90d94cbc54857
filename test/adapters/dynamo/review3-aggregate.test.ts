import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoAggregateStore } from '../../../src/adapters/dynamo/aggregate-store.js';
import type { StatsKey } from '../../../src/core/aggregates/resolutions.js';
import { onEachBackend } from '../../helpers/dynamo.js';
import { T0 } from '../../helpers/factories.js';

/** DynamoDB refuses any expression string over 4 KB (Service quotas, "Expression parameters"); dynalite does not. */
const EXPRESSION_BYTES = 4096;

onEachBackend((name, dynamo) => {
  describe(`review3 aggregate store on ${name}`, () => {
    it('counts a storm of openings for one statistics item (a batch of up to 1,000 records) in expressions DynamoDB takes', async () => {
      const table = await dynamo().freshTable();
      const real = dynamo().embedded.db;
      const longest: number[] = [];
      const measured = new Proxy(real, {
        get(target, property, receiver) {
          if (property !== 'send') return Reflect.get(target, property, receiver);
          return (command: unknown) => {
            if (command instanceof UpdateCommand)
              longest.push(
                Buffer.byteLength(command.input.ConditionExpression ?? ''),
                Buffer.byteLength(command.input.UpdateExpression ?? ''),
              );
            return target.send(command as never);
          };
        },
      });
      const store = new DynamoAggregateStore(measured, table);
      const key: StatsKey = { kind: 'service', service: 'checkout', priority: 'P2' };
      const openings = Array.from({ length: 40 }, (_, i) => ({
        taskId: `TMS-${1000 + i}`,
        version: 1,
        title: `Disk full on db-${i}`,
        times: 1,
      }));
      // Act
      const counted = await store.countOpenings(key, openings, T0);
      // Assess: every expression sent fits, and whatever was counted is counted once
      expect(Math.max(...longest)).toBeLessThanOrEqual(EXPRESSION_BYTES);
      const stats = await store.stats(key);
      expect(counted).toBe(true);
      expect(stats.times).toBe(40);
      for (const opening of openings.filter((o) => stats.applied[o.taskId]))
        expect(stats.applied[opening.taskId]?.version).toBe(1);
    });
  });
});
