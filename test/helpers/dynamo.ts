import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTableInput } from '../../src/adapters/dynamo/table.js';
import { DynamoTaskStore } from '../../src/adapters/dynamo/task-store.js';
import { type EmbeddedDynamo, LOCAL_AWS, startEmbeddedDynamo } from '../../src/local/embedded-dynamo.js';

export interface TestDynamo {
  readonly embedded: EmbeddedDynamo;
  /** A store over a new, empty table of its own. */
  freshStore(): Promise<DynamoTaskStore>;
  /** A new, empty table's name. */
  freshTable(): Promise<string>;
  close(): Promise<void>;
}

/** One dynalite (a real DynamoDB API, in this process) per test file; each test takes a fresh table. */
export async function dynamoForTests(): Promise<TestDynamo> {
  const embedded = await startEmbeddedDynamo();
  const admin = new DynamoDBClient({ ...LOCAL_AWS, endpoint: embedded.endpoint });
  let n = 0;
  const freshTable = async () => {
    const tableName = `tms-test-${++n}`;
    await admin.send(new CreateTableCommand(createTableInput(tableName)));
    return tableName;
  };
  return {
    embedded,
    freshTable,
    freshStore: async () => new DynamoTaskStore(embedded.db, await freshTable()),
    close: async () => {
      admin.destroy();
      await embedded.close();
    },
  };
}
