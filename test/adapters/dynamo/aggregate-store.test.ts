import { afterAll, beforeAll } from 'vitest';
import { DynamoAggregateStore } from '../../../src/adapters/dynamo/aggregate-store.js';
import { dynamoForTests, type TestDynamo } from '../../helpers/dynamo.js';
import { aggregateStoreContract } from '../aggregate-store.contract.js';

let dynamo: TestDynamo;
beforeAll(async () => {
  dynamo = await dynamoForTests();
});
afterAll(async () => {
  await dynamo.close();
});

aggregateStoreContract(
  'DynamoAggregateStore on dynalite',
  async () => new DynamoAggregateStore(dynamo.embedded.db, await dynamo.freshTable()),
);
