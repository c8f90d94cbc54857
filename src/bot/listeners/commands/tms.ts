import type { Middleware, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { logger } from '../../../runtime/logger.js';
import { parseCommand } from '../../command.js';
import type { BotDeps } from '../../context.js';
import { ephemeral, respond } from '../../replies.js';
import { asSentence, explain } from '../../slack-errors.js';
import { escapeMrkdwn } from '../../text.js';
import { help } from './help.js';
import { type CommandInput, type Reply, text } from './reply.js';
import { resolve } from './resolve.js';
import { changeTask } from './task-changes.js';

/** `/tms …`: answered in the acknowledgement (a message only the person sees), or with a modal opened. */
export function tmsCommand(deps: BotDeps): Middleware<SlackCommandMiddlewareArgs> {
  return async ({ command, ack, client }) => {
    const input = { user: command.user_id, channel: command.channel_id, text: command.text ?? '' };
    let reply: Reply;
    try {
      reply = await runCommand(deps, input);
    } catch (error) {
      reply = { text: explain(error, '/tms failed', { text: input.text }) };
    }
    if ('modal' in reply) {
      await ack();
      try {
        await client.views.open({ trigger_id: command.trigger_id, view: reply.modal });
      } catch (error) {
        logger.warn('views.open failed', { error: (error as Error).message });
        await respond(command.response_url, ephemeral('The form could not be opened; please try again.'));
      }
      return;
    }
    await ack(ephemeral(reply.text, reply.blocks));
  };
}

/**
 * `/tms …`: parsed, authorized, applied; every mistake answered with the usage of what was meant. What only
 * some subcommands need (reports and their views, cards drawn in full, the modals, silences) is loaded with
 * the first of them, not at the cold start: the task changes and help are there at once.
 */
export async function runCommand(deps: BotDeps, input: CommandInput): Promise<Reply> {
  const parsed = parseCommand(input.text, Object.keys(deps.config.services));
  if (!parsed.ok)
    return text(
      `${asSentence(escapeMrkdwn(parsed.problem))}${parsed.usage ? `\nUsage: ${parsed.usage}` : ''}`,
    );
  const { command } = parsed;
  const asker = { user: input.user, channel: input.channel, role: await deps.directory.roleOf(input.user) };

  switch (command.name) {
    case 'help':
      return help(command);
    case 'stats':
    case 'trends':
    case 'playbook':
    case 'digest':
      return (await import('./reports.js')).report(deps, command, asker);
    case 'new':
      return (await import('./new.js')).newTask(deps, command, asker);
    case 'list':
      return (await import('./list.js')).list(deps, command, asker);
    case 'show':
      return (await import('./show.js')).show(deps, command, asker);
    case 'resolve':
      return resolve(deps, command, asker);
    case 'snooze':
    case 'claim':
    case 'ack':
    case 'start':
    case 'reopen':
    case 'unsnooze':
    case 'assign':
    case 'priority':
    case 'comment':
      return changeTask(deps, command, asker);
    case 'silence':
    case 'silences':
    case 'lift':
      return (await import('./silences.js')).silences(deps, command, asker);
    case 'schedule':
    case 'schedules':
    case 'unschedule':
      return (await import('./schedules.js')).schedules(deps, command, asker);
    case 'heartbeat':
    case 'heartbeats':
      return (await import('./heartbeats.js')).heartbeats(deps, command, asker);
    case 'maintenance':
      return (await import('./maintenance.js')).maintenance(deps, command, asker);
    case 'oncall':
      return (await import('./oncall.js')).oncall(deps, command, asker);
    case 'escalate':
      return (await import('./escalate.js')).escalate(deps, command, asker);
  }
}
