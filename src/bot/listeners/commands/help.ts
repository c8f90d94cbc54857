import { helpText, type Subcommand, USAGE } from '../../command.js';
import { type CommandOf, type Reply, text } from './reply.js';

/** `/tms help [topic]`: every subcommand's usage, or one's. */
export function help(command: CommandOf<'help'>): Reply {
  return text(command.topic && command.topic in USAGE ? USAGE[command.topic as Subcommand] : helpText());
}
