import type { TaskChange } from '../../src/core/aggregates/facts.js';
import { applyAction, type LifecycleAction } from '../../src/core/lifecycle.js';
import type { Task } from '../../src/core/task.js';
import { plus } from '../../src/core/time.js';

/**
 * A task's life as the stream shows it: each step is a change (before and after image) made by the real
 * lifecycle, at a time given in minutes after the task opened.
 */
export function lifeOf(opened: Task) {
  let task = opened;
  const changes: TaskChange[] = [{ after: opened }];
  const at = (minutes: number) => plus(opened.createdAt, minutes * 60_000);
  return {
    changes,
    get task() {
      return task;
    },
    /** A person (or, with a source name, the source) does something. */
    act(command: LifecycleAction, minutes: number, by = 'U01AAA') {
      const actor = /^[UW]/.test(by)
        ? { type: 'user' as const, id: by }
        : { type: 'source' as const, id: by };
      const result = applyAction(task, command, { actor, via: 'slack', now: new Date(at(minutes)) });
      if (!result.ok) throw result.error;
      changes.push({ before: task, after: result.value.task });
      task = result.value.task;
      return this;
    },
    /** The alert fires `times` more, as the store's atomic count writes it. */
    occur(minutes: number, times = 1) {
      const after: Task = {
        ...task,
        occurrences: task.occurrences + times,
        lastSeenAt: at(minutes),
        updatedAt: at(minutes),
        version: task.version + 1,
      };
      changes.push({ before: task, after });
      task = after;
      return this;
    },
  };
}
