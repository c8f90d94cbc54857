import { DynamoCardStore } from '../../../src/adapters/dynamo/card-store.js';
import { DynamoTaskStore } from '../../../src/adapters/dynamo/task-store.js';
import { onEachBackend } from '../../helpers/dynamo.js';
import { cardStoreContract } from '../card-store.contract.js';

onEachBackend((name, dynamo) => {
  cardStoreContract(`DynamoCardStore on ${name}`, async () => {
    const table = await dynamo().freshTable();
    const db = dynamo().embedded.db;
    return { cards: new DynamoCardStore(db, table), tasks: new DynamoTaskStore(db, table) };
  });
});
