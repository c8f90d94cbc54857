import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoTaskStore } from '../../../src/adapters/dynamo/task-store.js';
import { ManualClock } from '../../../src/core/time.js';
import { defaultDeps } from '../../../src/core/use-cases/deps.js';
import { ingestAlert } from '../../../src/core/use-cases/ingest-alert.js';
import { onEachBackend } from '../../helpers/dynamo.js';
import { anAlert, config, T0 } from '../../helpers/factories.js';

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
