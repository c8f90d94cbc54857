import { seenStoreContract } from '../adapters/seen-store.contract.js';
import { MemorySeenStore } from './memory-seen-store.js';

seenStoreContract('MemorySeenStore', async () => new MemorySeenStore());
