import { afterAll, beforeAll } from 'vitest';
import { DynamoCardStore } from '../../../src/adapters/dynamo/card-store.js';
import { dynamoForTests, type TestDynamo } from '../../helpers/dynamo.js';
import { seenStoreContract } from '../seen-store.contract.js';

let dynamo: TestDynamo;
beforeAll(async () => {
  dynamo = await dynamoForTests();
});
afterAll(async () => {
  await dynamo.close();
});

seenStoreContract(
  'DynamoCardStore on dynalite',
  async () => new DynamoCardStore(dynamo.embedded.db, await dynamo.freshTable()),
);
