import type { App, BlockAction } from '@slack/bolt';
import type { BotDeps } from '../../context.js';
import type { Handoff } from '../../handoff.js';
import { ACTION_ID, REPLY_ACTION_ID } from '../../ids.js';
import { cardControl } from './card-action.js';
import { LIFECYCLE_BUTTONS } from './lifecycle-buttons.js';
import { listNextPage } from './list-pages.js';
import { prioritySelect } from './priority.js';
import { reassignSelect } from './reassign.js';
import { resolveButton } from './resolve.js';
import { snoozeSelect } from './snooze.js';

/** The card's buttons and selects (also on App Home and in `/tms show`), and replies' own buttons, by action_id. */
export function register(app: App, deps: BotDeps, handoff: Handoff): void {
  for (const control of [...LIFECYCLE_BUTTONS, prioritySelect, snoozeSelect, reassignSelect]) {
    app.action<BlockAction>(control.actionId, cardControl(deps, handoff, control));
  }
  app.action<BlockAction>(ACTION_ID.resolve, resolveButton(deps, handoff));
  app.action<BlockAction>(REPLY_ACTION_ID.listNext, listNextPage(deps, handoff));
}
