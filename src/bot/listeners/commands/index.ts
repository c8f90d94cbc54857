import type { App } from '@slack/bolt';
import type { BotDeps } from '../../context.js';
import { tmsCommand } from './tms.js';

/** Slash commands: `/tms` is the only one, with its subcommands routed in ./tms.ts. */
export function register(app: App, deps: BotDeps): void {
  app.command('/tms', tmsCommand(deps));
}
