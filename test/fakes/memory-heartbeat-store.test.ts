import { heartbeatStoreContract } from '../adapters/heartbeat-store.contract.js';
import { MemoryHeartbeatStore } from './memory-heartbeat-store.js';

heartbeatStoreContract('MemoryHeartbeatStore', async () => new MemoryHeartbeatStore());
