import { CachedSilences } from '../../src/adapters/dynamo/silence-store.js';
import { silenceStoreContract } from '../adapters/silence-store.contract.js';
import { MemorySilenceStore } from './memory-silence-store.js';

silenceStoreContract('MemorySilenceStore', async () => new MemorySilenceStore());
// The per-container cache in front of a store keeps the same promises within its container.
silenceStoreContract('CachedSilences', async () => new CachedSilences(new MemorySilenceStore()));
