import { oncallStoreContract } from '../adapters/oncall-store.contract.js';
import { MemoryOncallStore } from './memory-oncall-store.js';

oncallStoreContract('MemoryOncallStore', async () => new MemoryOncallStore());
