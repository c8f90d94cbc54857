import { PRIORITIES, type Priority } from '../../../core/task.js';
import { ACTION_ID } from '../../ids.js';
import { type CardControl, selectedOption } from './card-action.js';

/** The card's priority select: an option's value is the task reference and the level, `…:P2`. */
export const prioritySelect: CardControl = {
  actionId: ACTION_ID.priority,
  chosen: selectedOption,
  command: (value) => {
    const level = value.split(':').at(-1) as Priority;
    return PRIORITIES.includes(level) ? { type: 'set_priority', priority: level } : undefined;
  },
};
