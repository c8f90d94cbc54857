import type { App } from '@slack/bolt';
import type { BotDeps } from '../context.js';
import type { Handoff } from '../handoff.js';
import * as actions from './actions/index.js';
import * as commands from './commands/index.js';
import * as events from './events/index.js';
import * as viewSubmissions from './view-submissions/index.js';

/**
 * Every listener, by kind: `/tms` (./commands), the card's buttons and selects (./actions), the two modals'
 * submissions (./view-submissions) and App Home (./events). A new one is a file in its kind's folder and a
 * line in that folder's index.ts.
 */
export function registerListeners(app: App, deps: BotDeps, handoff: Handoff): void {
  commands.register(app, deps);
  actions.register(app, deps, handoff);
  viewSubmissions.register(app, deps);
  events.register(app, handoff);
}
