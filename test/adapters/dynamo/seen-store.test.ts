import { DynamoCardStore } from '../../../src/adapters/dynamo/card-store.js';
import { onEachBackend } from '../../helpers/dynamo.js';
import { seenStoreContract } from '../seen-store.contract.js';

onEachBackend((name, dynamo) => {
  seenStoreContract(
    `DynamoCardStore on ${name}`,
    async () => new DynamoCardStore(dynamo().embedded.db, await dynamo().freshTable()),
  );
});
