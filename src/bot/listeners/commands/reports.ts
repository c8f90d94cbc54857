import { DomainError, TransientError } from '../../../core/errors.js';
import { knownService } from '../../../core/use-cases/reports.js';
import { postDigest } from '../../../jobs/digests.js';
import { USAGE } from '../../command.js';
import type { BotDeps } from '../../context.js';
import { playbookCommand, statsCommand, trendsCommand } from '../../reports.js';
import { slackFailure } from '../../slack-errors.js';
import { escapeMrkdwn, mrkdwn } from '../../text.js';
import { type Asker, type CommandOf, type Reply, text } from './reply.js';

/** How many known services an answer names before it stops. */
const SERVICES_NAMED = 10;

/** `/tms stats`, `/tms trends`, `/tms playbook` and `/tms digest`: the reports, on demand. */
export async function report(
  deps: BotDeps,
  command: CommandOf<'stats' | 'trends' | 'playbook' | 'digest'>,
  asker: Asker,
): Promise<Reply> {
  if (command.name !== 'digest' && command.service) {
    // An empty report for a name nobody uses reads as "all is well": say instead that the name is unknown.
    const unknown = await unknownService(deps, command.service, command.name);
    if (unknown) return text(unknown);
  }
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

/**
 * Why `service` is not one to report on (`knownService`), or undefined when it is. The word may also have
 * been meant as a window (`5x` for `5h`): the answer says what windows look like.
 */
async function unknownService(
  deps: BotDeps,
  service: string,
  report: 'stats' | 'trends' | 'playbook',
): Promise<string | undefined> {
  const { known: isKnown, names: known } = await knownService(deps, service);
  if (isKnown) return undefined;
  const named = `${known.slice(0, SERVICES_NAMED).join(', ')}${known.length > SERVICES_NAMED ? ', …' : ''}`;
  const windowLike = report !== 'playbook' && /^\d/.test(service);
  const what = windowLike
    ? `“${mrkdwn(service, 100)}” is neither a window (such as 30m, 1h or 7d) nor a service TMS knows`
    : `“${mrkdwn(service, 100)}” is not a service TMS knows: it is not in the config and no task was ever opened in it`;
  return `${what}. Known services: ${mrkdwn(named, 1_000)}.\nUsage: ${USAGE[report]}`;
}
