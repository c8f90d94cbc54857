import type { BlockAction, Middleware, SlackActionMiddlewareArgs } from '@slack/bolt';
import { PRIORITIES, type Priority } from '../../../core/task.js';
import type { BotDeps } from '../../context.js';
import type { Handoff } from '../../handoff.js';
import { ACTION_ID } from '../../ids.js';
import { onCardAction } from './card-action.js';

/** The card's priority select: an option's value is the task reference and the level, `…:P2`. */
export function prioritySelect(
  deps: BotDeps,
  handoff: Handoff,
): Middleware<SlackActionMiddlewareArgs<BlockAction>> {
  return async ({ ack, body, action }) => {
    await ack();
    const value = action.type === 'static_select' ? action.selected_option.value : '';
    const level = value.split(':').at(-1) as Priority;
    await onCardAction(deps, handoff, body, ACTION_ID.priority, value, () =>
      PRIORITIES.includes(level) ? { type: 'set_priority', priority: level } : undefined,
    );
  };
}
