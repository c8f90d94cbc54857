import { snoozeUntil } from '../../../core/lifecycle.js';
import { ACTION_ID } from '../../ids.js';
import { type CardControl, selectedOption } from './card-action.js';

/** The card's snooze select: an option's value is the task reference and the length, `…:2h`. */
export const snoozeSelect: CardControl = {
  actionId: ACTION_ID.snooze,
  chosen: selectedOption,
  command: (value, _action, now) => {
    const until = snoozeUntil(value.split(':').at(-1) ?? '', now());
    return until.ok ? { type: 'snooze', until: until.value } : undefined;
  },
};
