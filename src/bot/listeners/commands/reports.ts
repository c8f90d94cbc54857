import { DomainError, TransientError } from '../../../core/errors.js';
import { postDigest } from '../../../jobs/digests.js';
import type { BotDeps } from '../../context.js';
import { playbookCommand, statsCommand, trendsCommand } from '../../reports.js';
import { slackFailure } from '../../slack-errors.js';
import { escapeMrkdwn } from '../../text.js';
import { type Asker, type CommandOf, type Reply, text } from './reply.js';

/** `/tms stats`, `/tms trends`, `/tms playbook` and `/tms digest`: the reports, on demand. */
export async function report(
  deps: BotDeps,
  command: CommandOf<'stats' | 'trends' | 'playbook' | 'digest'>,
  asker: Asker,
): Promise<Reply> {
  switch (command.name) {
    case 'stats':
      return statsCommand(deps, command.service, command.window);
    case 'trends':
      return trendsCommand(deps, command.service, command.window);
    case 'playbook':
      return playbookCommand(deps, command.service);
    case 'digest':
      try {
        await postDigest(deps, asker.channel, deps.clock.now(), { scheduled: false });
        return text('Posted this channel’s digest here.');
      } catch (error) {
        const why = slackFailure(error).error;
        if (error instanceof DomainError || error instanceof TransientError) throw error;
        return text(
          `The digest could not be posted here (${escapeMrkdwn(why)}).${why === 'not_in_channel' ? ' Invite TMS to this channel first.' : ''}`,
        );
      }
  }
}
