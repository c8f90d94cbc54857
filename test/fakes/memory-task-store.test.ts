import { taskStoreContract } from '../adapters/task-store.contract.js';
import { MemoryTaskStore } from './memory-task-store.js';

taskStoreContract('MemoryTaskStore', async () => new MemoryTaskStore());
