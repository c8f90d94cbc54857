import { notifierContract } from '../adapters/notifier.contract.js';
import { MemoryNotifier } from './memory-notifier.js';

notifierContract('MemoryNotifier', async () => {
  const notifier = new MemoryNotifier();
  return { notifier, delivered: async () => notifier.published };
});
