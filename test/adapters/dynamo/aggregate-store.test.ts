import { DynamoAggregateStore } from '../../../src/adapters/dynamo/aggregate-store.js';
import { onEachBackend } from '../../helpers/dynamo.js';
import { aggregateStoreContract } from '../aggregate-store.contract.js';

onEachBackend((name, dynamo) =>
  aggregateStoreContract(
    `DynamoAggregateStore on ${name}`,
    async () => new DynamoAggregateStore(dynamo().embedded.db, await dynamo().freshTable()),
  ),
);
