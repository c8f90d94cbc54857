import { onEachBackend } from '../../helpers/dynamo.js';
import { taskStoreContract } from '../task-store.contract.js';

onEachBackend((name, dynamo) => taskStoreContract(`DynamoTaskStore on ${name}`, () => dynamo().freshStore()));
