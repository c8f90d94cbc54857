import { ACTION_ID } from '../../ids.js';
import type { CardControl } from './card-action.js';

const selectedUser = (action: Parameters<CardControl['chosen']>[0]): string =>
  action.type === 'users_select' ? action.selected_user : '';

/** The card's people picker: the block names the task, the choice is the new assignee. */
export const reassignSelect: CardControl = {
  actionId: ACTION_ID.reassign,
  chosen: (action) => `${'block_id' in action ? action.block_id : ''}:${selectedUser(action)}`,
  command: (_value, action) => {
    const user = selectedUser(action);
    return user ? { type: 'assign', assignee: user } : undefined;
  },
};
