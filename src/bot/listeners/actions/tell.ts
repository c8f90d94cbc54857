import type { BlockAction } from '@slack/bolt';
import { logger } from '../../../runtime/logger.js';
import type { BotDeps } from '../../context.js';
import type { Handoff } from '../../handoff.js';
import { ephemeral, respond } from '../../replies.js';

/** A message to the person who clicked: ephemeral where the click came from, or a notice on their App Home. */
export async function tell(deps: BotDeps, handoff: Handoff, body: BlockAction, text: string): Promise<void> {
  if (body.response_url && (await respond(body.response_url, ephemeral(text)))) return;
  if (body.channel?.id) {
    try {
      await deps.slack.chat.postEphemeral({ channel: body.channel.id, user: body.user.id, text });
      return;
    } catch (error) {
      logger.warn('chat.postEphemeral failed', { error: (error as Error).message });
    }
  }
  await handoff.later({ kind: 'publish-home', user: body.user.id, notice: text });
}
