import type { LifecycleAction } from '../../../core/lifecycle.js';
import { ACTION_ID } from '../../ids.js';
import { buttonValue, type CardControl } from './card-action.js';

const button = (actionId: string, command: LifecycleAction): CardControl => ({
  actionId,
  chosen: buttonValue,
  command: () => command,
});

/** Acknowledge, Claim, Start work, Reopen: one lifecycle command each, whatever the card showed. */
export const LIFECYCLE_BUTTONS: readonly CardControl[] = [
  button(ACTION_ID.acknowledge, { type: 'acknowledge' }),
  button(ACTION_ID.claim, { type: 'claim' }),
  button(ACTION_ID.start, { type: 'start' }),
  button(ACTION_ID.reopen, { type: 'reopen' }),
];
