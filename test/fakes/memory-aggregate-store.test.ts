import { aggregateStoreContract } from '../adapters/aggregate-store.contract.js';
import { MemoryAggregateStore } from './memory-aggregate-store.js';

aggregateStoreContract('MemoryAggregateStore', async () => new MemoryAggregateStore());
