import type { BlockAction, Middleware, SlackActionMiddlewareArgs } from '@slack/bolt';
import { snoozeUntil } from '../../../core/lifecycle.js';
import type { BotDeps } from '../../context.js';
import type { Handoff } from '../../handoff.js';
import { ACTION_ID } from '../../ids.js';
import { onCardAction } from './card-action.js';

/** The card's snooze select: an option's value is the task reference and the length, `…:2h`. */
export function snoozeSelect(
  deps: BotDeps,
  handoff: Handoff,
): Middleware<SlackActionMiddlewareArgs<BlockAction>> {
  return async ({ ack, body, action }) => {
    await ack();
    const value = action.type === 'static_select' ? action.selected_option.value : '';
    await onCardAction(deps, handoff, body, ACTION_ID.snooze, value, () => {
      const until = snoozeUntil(value.split(':').at(-1) ?? '', deps.clock.now());
      return until.ok ? { type: 'snooze', until: until.value } : undefined;
    });
  };
}
