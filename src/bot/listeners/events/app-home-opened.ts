import type { Middleware, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { Handoff } from '../../handoff.js';

/** Someone opened TMS's Home tab: it is drawn for them after the event is answered (several queries). */
export function appHomeOpened(handoff: Handoff): Middleware<SlackEventMiddlewareArgs<'app_home_opened'>> {
  return async ({ event }) => {
    if (event.tab !== 'home') return;
    await handoff.later({ kind: 'publish-home', user: event.user });
  };
}
