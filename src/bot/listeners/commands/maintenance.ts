import type { BotDeps } from '../../context.js';
import { type Asker, type CommandOf, type Reply, text } from './reply.js';

// PLACEHOLDER (issue 18, in progress): replaced by the real subcommand before this lands.
export async function maintenance(
  _deps: BotDeps,
  _command: CommandOf<'maintenance'>,
  _asker: Asker,
): Promise<Reply> {
  return text('not yet');
}
