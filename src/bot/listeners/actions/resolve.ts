import type { BlockAction, Middleware, SlackActionMiddlewareArgs } from '@slack/bolt';
import { isResolved } from '../../../core/task.js';
import { logger } from '../../../runtime/logger.js';
import type { BotDeps } from '../../context.js';
import type { Handoff } from '../../handoff.js';
import { parseTaskRef } from '../../task-ref.js';
import { tell } from './tell.js';

/** The card's Resolve button opens the resolution form; the form's submission resolves (../view-submissions). */
export function resolveButton(
  deps: BotDeps,
  handoff: Handoff,
): Middleware<SlackActionMiddlewareArgs<BlockAction>> {
  return async ({ ack, body, action, client }) => {
    await ack();
    const ref = parseTaskRef('value' in action ? String(action.value ?? '') : undefined);
    const task = ref && (await deps.store.get(ref.taskId));
    if (!task || isResolved(task)) {
      await tell(
        deps,
        handoff,
        body,
        task ? `${task.id} is already resolved.` : 'That task no longer exists.',
      );
      return;
    }
    try {
      const { resolveModal } = await import('../../views.js');
      await client.views.open({ trigger_id: body.trigger_id, view: resolveModal(task, body.channel?.id) });
    } catch (error) {
      logger.warn('views.open failed', { error: (error as Error).message });
      await tell(deps, handoff, body, 'The resolution form could not be opened; please try again.');
    }
  };
}
