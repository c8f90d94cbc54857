import { scheduleStoreContract } from '../adapters/schedule-store.contract.js';
import { MemoryScheduleStore } from './memory-schedule-store.js';

scheduleStoreContract('MemoryScheduleStore', async () => new MemoryScheduleStore());
