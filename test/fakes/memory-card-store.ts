import type { CardRecord, CardState, CardStore, TaskDeletion } from '../../src/core/ports.js';
import { formatTaskId, taskNumber } from '../../src/core/task.js';
import type { MemoryTaskStore } from './memory-task-store.js';

const copy = <T>(value: T): T => structuredClone(value);
/** `count` task numbers from `from` down, none below 1. */
const downFrom = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => from - i).filter((n) => n >= 1);

/**
 * The CardStore in memory, for unit tests; held to the same contract as the DynamoDB adapter. Cards are kept
 * by task number, as in the table; `cardsBehind` reads the tasks (and the last number handed out) of `tasks`.
 */
export class MemoryCardStore implements CardStore {
  readonly cards = new Map<number, CardRecord>();
  /** Where the audit's walk down the task numbers goes on (0: from the newest again). */
  #auditFrom = 0;

  constructor(private readonly tasks: MemoryTaskStore) {}

  async card(taskId: string): Promise<CardRecord | undefined> {
    const card = this.cards.get(taskNumber(taskId));
    return card && copy(card);
  }

  async leaseCard(
    taskId: string,
    token: string,
    now: string,
    until: string,
    below?: number,
  ): Promise<CardRecord | undefined> {
    const held = this.cards.get(taskNumber(taskId));
    if (held?.lease && !(held.leaseUntil && held.leaseUntil < now)) return undefined;
    if (below !== undefined && held && held.shownVersion >= below) return undefined;
    const leased: CardRecord = {
      shownVersion: 0,
      threadVersion: 0,
      occurrencesReported: 1,
      attempts: 0,
      ...held,
      taskId,
      lease: token,
      leaseUntil: until,
      retryAt: until,
    };
    this.cards.set(taskNumber(taskId), leased);
    return copy(leased);
  }

  async releaseCard(taskId: string, token: string, state: CardState): Promise<boolean> {
    const held = this.cards.get(taskNumber(taskId));
    if (held?.lease !== token) return false;
    if (!state.retryAt && (held.wanted ?? 0) > state.shownVersion) return false;
    this.cards.set(taskNumber(taskId), { taskId, ...copy(state) });
    return true;
  }

  async wantCard(taskId: string, version: number, now: string): Promise<boolean> {
    const held = this.cards.get(taskNumber(taskId));
    if (!held?.lease || (held.leaseUntil ?? '') < now) return false;
    if (held.shownVersion >= version || (held.wanted ?? 0) >= version) return false;
    this.cards.set(taskNumber(taskId), { ...held, wanted: version });
    return true;
  }

  async markCardDeleted(taskId: string, deletion: TaskDeletion, now: string): Promise<void> {
    const held = this.cards.get(taskNumber(taskId));
    if (!held) return;
    this.cards.set(taskNumber(taskId), {
      ...held,
      deletedBy: deletion.by,
      deletedAt: deletion.at,
      retryAt: now,
    });
  }

  async dueCards(now: string, limit: number): Promise<string[]> {
    const due = [...this.cards.values()].filter((c) => c.retryAt !== undefined && c.retryAt <= now);
    due.sort(
      (a, b) =>
        (a.retryAt as string).localeCompare(b.retryAt as string) ||
        taskNumber(a.taskId) - taskNumber(b.taskId),
    );
    return due.slice(0, limit).map((c) => c.taskId);
  }

  async cardsBehind(page: number): Promise<string[]> {
    const size = Math.max(1, Math.min(50, Math.floor(page)));
    const newest = this.tasks.lastTaskNumber;
    if (newest < 1) return [];
    const cursor = this.#auditFrom >= 1 && this.#auditFrom <= newest - size ? this.#auditFrom : newest - size;
    this.#auditFrom = Math.max(0, cursor - size);
    const looked = new Set([...downFrom(newest, size), ...downFrom(cursor, size)]);
    return [...looked].map(formatTaskId).filter((id) => {
      const task = this.tasks.tasks.get(id);
      const card = this.cards.get(taskNumber(id));
      return task !== undefined && !card?.retryAt && (card?.shownVersion ?? 0) < task.version;
    });
  }
}
