import type { Middleware, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { PRIORITIES, type Priority } from '../../../core/task.js';
import { openTask } from '../../../core/use-cases/open-task.js';
import { logger } from '../../../runtime/logger.js';
import type { BotDeps } from '../../context.js';
import { INPUT_ID } from '../../ids.js';
import { openedText } from '../../replies.js';
import { explain, modalText } from '../../slack-errors.js';
import { stripMrkdwn } from '../explain.js';
import { metadata } from './metadata.js';

/** The new-task form sent: the task is opened, and the person told where it went, or the form says why not. */
export function newTaskSubmission(deps: BotDeps): Middleware<SlackViewMiddlewareArgs<ViewSubmitAction>> {
  return async ({ ack, body, view, client }) => {
    const values = view.state.values;
    const title = values[INPUT_ID.title]?.[INPUT_ID.title]?.value?.trim() ?? '';
    if (!title) {
      await ack({ response_action: 'errors', errors: { [INPUT_ID.title]: 'A task needs a title' } });
      return;
    }
    const meta = metadata(view.private_metadata);
    const priority = values[INPUT_ID.priority]?.[INPUT_ID.priority]?.selected_option?.value as
      | Priority
      | undefined;
    const service = values[INPUT_ID.service]?.[INPUT_ID.service]?.selected_option?.value;
    const assignee = values[INPUT_ID.assignee]?.[INPUT_ID.assignee]?.selected_user ?? null;
    const user = body.user.id;
    try {
      const opened = await openTask(deps, {
        title,
        description: values[INPUT_ID.description]?.[INPUT_ID.description]?.value ?? '',
        ...(priority && PRIORITIES.includes(priority) ? { priority } : {}),
        // Own keys only: `constructor` or `__proto__` is in every object, and names no service.
        ...(service && Object.hasOwn(deps.config.services, service) ? { service } : {}),
        ...(meta.channel ? { channel: meta.channel } : {}),
        assignee,
        role: await deps.directory.roleOf(user),
        ctx: { actor: { type: 'user', id: user }, via: 'slack', now: deps.clock.now() },
      });
      if (!opened.ok) {
        await ack({
          response_action: 'errors',
          errors: { [INPUT_ID.title]: modalText(opened.error) },
        });
        return;
      }
      await ack();
      if (meta.channel) {
        await client.chat
          .postEphemeral({
            channel: meta.channel,
            user,
            text: openedText(opened.value, meta.channel),
          })
          .catch((error: Error) => logger.warn('chat.postEphemeral failed', { error: error.message }));
      }
    } catch (error) {
      const text = stripMrkdwn(explain(error, 'new task modal failed'));
      await ack({ response_action: 'errors', errors: { [INPUT_ID.title]: text } });
    }
  };
}
