import type { BlockAction, Middleware, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { BotDeps } from '../../context.js';
import type { Handoff } from '../../handoff.js';
import { ACTION_ID } from '../../ids.js';
import { onCardAction } from './card-action.js';

/** The card's people picker: the block names the task, the choice is the new assignee. */
export function reassignSelect(
  deps: BotDeps,
  handoff: Handoff,
): Middleware<SlackActionMiddlewareArgs<BlockAction>> {
  return async ({ ack, body, action }) => {
    await ack();
    const user = action.type === 'users_select' ? action.selected_user : '';
    const ref = 'block_id' in action ? action.block_id : '';
    await onCardAction(deps, handoff, body, ACTION_ID.reassign, `${ref}:${user}`, () =>
      user ? { type: 'assign', assignee: user } : undefined,
    );
  };
}
