import type { BlockAction, Middleware, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { Command } from '../../../core/lifecycle.js';
import type { BotDeps } from '../../context.js';
import type { Handoff } from '../../handoff.js';
import { ACTION_ID } from '../../ids.js';
import { onCardAction } from './card-action.js';

/** The card's buttons that are one lifecycle command each, whatever the card showed. */
export const LIFECYCLE_BUTTONS: readonly (readonly [string, Command])[] = [
  [ACTION_ID.acknowledge, { type: 'acknowledge' }],
  [ACTION_ID.claim, { type: 'claim' }],
  [ACTION_ID.start, { type: 'start' }],
  [ACTION_ID.reopen, { type: 'reopen' }],
];

/** Acknowledge, Claim, Start work, Reopen: the button's value names the task and the card's version. */
export function lifecycleButton(
  deps: BotDeps,
  handoff: Handoff,
  actionId: string,
  command: Command,
): Middleware<SlackActionMiddlewareArgs<BlockAction>> {
  return async ({ ack, body, action }) => {
    await ack();
    const value = 'value' in action ? String(action.value ?? '') : '';
    await onCardAction(deps, handoff, body, actionId, value, () => command);
  };
}
