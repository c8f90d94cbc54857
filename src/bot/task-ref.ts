import { parseTaskId, type Task } from '../core/task.js';

/**
 * A task and the version a surface showed: what every button carries back (in its value, and in the
 * block id for selects), so a double click on the same version is recognised and changes nothing twice.
 * Apart from ./card.ts, so a click is read without loading what draws a card.
 */
export const taskRef = (task: Pick<Task, 'id' | 'version'>): string => `${task.id}@${task.version}`;

export function parseTaskRef(text: string | undefined): { taskId: string; version: number } | undefined {
  const match = /^(?:tms_card:)?(TMS-\d+)@(\d+)(?::.*)?$/.exec(text ?? '');
  const taskId = match?.[1] ? parseTaskId(match[1]) : undefined;
  return taskId ? { taskId, version: Number(match?.[2]) } : undefined;
}
