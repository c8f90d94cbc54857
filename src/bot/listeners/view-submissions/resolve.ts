import type { Middleware, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { BotDeps } from '../../context.js';
import { INPUT_ID } from '../../ids.js';
import { explain, modalText } from '../../slack-errors.js';
import { parseTaskRef } from '../../task-ref.js';
import { act } from '../act.js';
import { stripMrkdwn } from '../explain.js';
import { metadata } from './metadata.js';

/** The resolution form sent: the task is resolved with its note, or the form says why not. */
export function resolveSubmission(deps: BotDeps): Middleware<SlackViewMiddlewareArgs<ViewSubmitAction>> {
  return async ({ ack, body, view }) => {
    const ref = parseTaskRef(metadata(view.private_metadata).ref);
    const note = view.state.values[INPUT_ID.note]?.[INPUT_ID.note]?.value ?? null;
    if (!ref) {
      await ack({
        response_action: 'errors',
        errors: { [INPUT_ID.note]: 'This form is out of date; open it again.' },
      });
      return;
    }
    const user = body.user.id;
    try {
      const role = await deps.directory.roleOf(user);
      const result = await act(deps, ref.taskId, { type: 'resolve', resolution: note }, role, user);
      if (!result.ok) {
        await ack({
          response_action: 'errors',
          errors: { [INPUT_ID.note]: result.refusal ? modalText(result.refusal) : stripMrkdwn(result.text) },
        });
        return;
      }
      await ack();
    } catch (error) {
      const text = stripMrkdwn(explain(error, 'resolve modal failed'));
      await ack({ response_action: 'errors', errors: { [INPUT_ID.note]: text } });
    }
  };
}
