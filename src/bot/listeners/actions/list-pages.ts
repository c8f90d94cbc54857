import type { BlockAction, Middleware, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { BotDeps } from '../../context.js';
import type { Handoff } from '../../handoff.js';
import { ephemeral, respond } from '../../replies.js';
import { explain } from '../../slack-errors.js';
import { buttonValue } from './card-action.js';
import { tell } from './tell.js';

/**
 * `/tms list`'s "Next page": the same list from where the last page ended, in place of the reply it was
 * pressed on (its response_url), so paging does not pile up replies.
 */
export function listNextPage(
  deps: BotDeps,
  handoff: Handoff,
): Middleware<SlackActionMiddlewareArgs<BlockAction>> {
  return async ({ ack, body, action }) => {
    await ack();
    const { list, readNextPage } = await import('../commands/list.js');
    const next = readNextPage(buttonValue(action));
    if (!next) {
      await tell(deps, handoff, body, 'That button is out of date: type `/tms list` again.');
      return;
    }
    let reply: { text: string; blocks?: unknown[] };
    try {
      reply = await list(deps, next.command, { user: body.user.id }, next.position);
    } catch (error) {
      await tell(deps, handoff, body, explain(error, 'list page failed'));
      return;
    }
    const replaced =
      body.response_url &&
      (await respond(
        body.response_url,
        { ...ephemeral(reply.text, reply.blocks), replace_original: true },
        deps.slackSettings.hooksUrl,
      ));
    if (!replaced) await tell(deps, handoff, body, reply.text);
  };
}
