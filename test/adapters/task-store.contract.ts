import type { TaskStore } from '../../src/core/ports.js';
import { alertGroupIndexContract } from './alert-group-index.contract.js';
import { deliveryInboxContract } from './delivery-inbox.contract.js';
import { fingerprintIndexContract } from './fingerprint-index.contract.js';
import { taskRepositoryContract } from './task-repository.contract.js';

/**
 * What every TaskStore promises: the contracts of its four ports (DynamoTaskStore keeps the three in one
 * table; the in-memory fake side by side), each run on a fresh store of its own.
 */
export function taskStoreContract(name: string, makeStore: () => Promise<TaskStore>): void {
  taskRepositoryContract(name, makeStore);
  fingerprintIndexContract(name, makeStore);
  deliveryInboxContract(name, makeStore);
  alertGroupIndexContract(name, makeStore);
}
