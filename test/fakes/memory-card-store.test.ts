import { cardStoreContract } from '../adapters/card-store.contract.js';
import { MemoryCardStore } from './memory-card-store.js';
import { MemoryTaskStore } from './memory-task-store.js';

cardStoreContract('MemoryCardStore', async () => {
  const tasks = new MemoryTaskStore();
  return { cards: new MemoryCardStore(tasks), tasks };
});
