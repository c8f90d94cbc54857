import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { createTableInput } from '../../src/adapters/dynamo/table.js';
import { createDocumentClient, DynamoTaskStore } from '../../src/adapters/dynamo/task-store.js';
import { LOCAL_AWS, startEmbeddedDynamo } from '../../src/local/embedded-dynamo.js';

/** A DynamoDB API the store's suites run against: dynalite always, AWS's DynamoDB Local when Java is here. */
export interface DynamoBackend {
  readonly name: 'dynalite' | 'DynamoDB Local';
  start(): Promise<TestDynamo>;
}

export interface TestDynamo {
  readonly backend: DynamoBackend['name'];
  readonly embedded: { readonly endpoint: string; readonly db: DynamoDBDocumentClient };
  /** A store over a new, empty table of its own. */
  freshStore(): Promise<DynamoTaskStore>;
  /** A new, empty table's name. */
  freshTable(): Promise<string>;
  close(): Promise<void>;
}

async function over(
  backend: DynamoBackend['name'],
  endpoint: string,
  db: DynamoDBDocumentClient,
  close: () => Promise<void>,
): Promise<TestDynamo> {
  const admin = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
  // DynamoDB Local is shared by every file of the run: table names of this suite's own.
  const prefix = `tms-test-${randomUUID().slice(0, 8)}`;
  let n = 0;
  const freshTable = async () => {
    const tableName = `${prefix}-${++n}`;
    await admin.send(new CreateTableCommand(createTableInput(tableName)));
    // dynalite answers CREATING and makes the table ACTIVE on a timer: a write before then is refused.
    for (let wait = 0; wait < 200; wait++) {
      const { Table } = await admin.send(new DescribeTableCommand({ TableName: tableName }));
      if (Table?.TableStatus === 'ACTIVE') break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return tableName;
  };
  return {
    backend,
    embedded: { endpoint, db },
    freshTable,
    freshStore: async () => new DynamoTaskStore(db, await freshTable()),
    close: async () => {
      admin.destroy();
      await close();
    },
  };
}

/** dynalite (a DynamoDB API in Node) in this process, one per suite. */
export const dynalite: DynamoBackend = {
  name: 'dynalite',
  start: async () => {
    const embedded = await startEmbeddedDynamo();
    return over('dynalite', embedded.endpoint, embedded.db, embedded.close);
  },
};

/** The run's DynamoDB Local (test/global-setup.ts starts one for every file), or undefined without Java. */
export function dynamodbLocal(): DynamoBackend | undefined {
  const endpoint = inject('dynamodbLocal');
  if (!endpoint) return undefined;
  return {
    name: 'DynamoDB Local',
    start: async () => {
      const db = createDocumentClient({ ...LOCAL_AWS, endpoint });
      return over('DynamoDB Local', endpoint, db, async () => db.destroy());
    },
  };
}

/**
 * Every backend a store suite runs on: dynalite, and DynamoDB Local when this run has it (when it has not,
 * the run says so loudly at its start and end: test/global-setup.ts).
 */
export function dynamoBackends(): DynamoBackend[] {
  const local = dynamodbLocal();
  return local ? [dynalite, local] : [dynalite];
}

/** One dynalite per test file; each test takes a fresh table. */
export function dynamoForTests(backend: DynamoBackend = dynalite): Promise<TestDynamo> {
  return backend.start();
}

/**
 * The suite `body` declares, once per backend (`dynamoBackends`), each in a describe named after it, with a
 * backend started before it and closed after it. `dynamo()` is that backend while the suite runs.
 */
export function onEachBackend(body: (name: DynamoBackend['name'], dynamo: () => TestDynamo) => void): void {
  for (const backend of dynamoBackends()) {
    describe(`on ${backend.name}`, () => {
      let started: TestDynamo | undefined;
      beforeAll(async () => {
        started = await backend.start();
      });
      afterAll(async () => {
        await started?.close();
      });
      body(backend.name, () => {
        if (!started) throw new Error(`${backend.name} did not start`);
        return started;
      });
    });
  }
}
