import { afterAll, beforeAll } from 'vitest';
import { dynamoForTests, type TestDynamo } from '../../helpers/dynamo.js';
import { taskStoreContract } from '../task-store.contract.js';

let dynamo: TestDynamo;
beforeAll(async () => {
  dynamo = await dynamoForTests();
});
afterAll(async () => {
  await dynamo.close();
});

taskStoreContract('DynamoTaskStore on dynalite', () => dynamo.freshStore());
