import type { App } from '@slack/bolt';
import type { Handoff } from '../../handoff.js';
import { appHomeOpened } from './app-home-opened.js';

/** Events API events, by type. */
export function register(app: App, handoff: Handoff): void {
  app.event('app_home_opened', appHomeOpened(handoff));
}
