import { CachedWindows } from '../../src/adapters/dynamo/window-store.js';
import { windowStoreContract } from '../adapters/window-store.contract.js';
import { MemoryWindowStore } from './memory-window-store.js';

windowStoreContract('MemoryWindowStore', async () => new MemoryWindowStore());
// The per-container cache in front of a store keeps the same promises within its container.
windowStoreContract('CachedWindows', async () => new CachedWindows(new MemoryWindowStore()));
