import type { BlockAction, Middleware, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { LifecycleAction } from '../../../core/lifecycle.js';
import type { BotDeps } from '../../context.js';
import { handling } from '../../handling.js';
import type { Handoff } from '../../handoff.js';
import { explain } from '../../slack-errors.js';
import { parseTaskRef } from '../../task-ref.js';
import { act } from '../act.js';
import { tell } from './tell.js';

type Element = BlockAction['actions'][number];

/** One of the card's controls that changes its task, as data: a file each, one listener for them all. */
export interface CardControl {
  readonly actionId: string;
  /** What was chosen, as Slack sent it: it names the task and the card's version, or the block does. */
  readonly chosen: (action: Element) => string;
  /** What the choice amounts to; undefined: not something TMS offers (the card is out of date). */
  readonly command: (chosen: string, action: Element, now: () => Date) => LifecycleAction | undefined;
}

/** A button's value. */
export const buttonValue = (action: Element): string => ('value' in action ? String(action.value ?? '') : '');
/** A static select's chosen option. */
export const selectedOption = (action: Element): string =>
  action.type === 'static_select' ? action.selected_option.value : '';

/** The listener of a card control: acknowledged at once, then the change (onCardAction). */
export function cardControl(
  deps: BotDeps,
  handoff: Handoff,
  control: CardControl,
): Middleware<SlackActionMiddlewareArgs<BlockAction>> {
  return async ({ ack, body, action }) => {
    await ack();
    const value = control.chosen(action);
    await onCardAction(deps, handoff, body, control.actionId, value, () =>
      control.command(value, action, () => deps.clock.now()),
    );
  };
}

/**
 * A button or select on a card, in App Home or in an ephemeral reply, that changes its task: `value` is what
 * was chosen (it names the task and the card's version, else the block does), `toCommand` what it amounts
 * to (undefined: not something TMS offers, so the card is out of date).
 */
export async function onCardAction(
  deps: BotDeps,
  handoff: Handoff,
  body: BlockAction,
  actionId: string,
  value: string,
  toCommand: () => LifecycleAction | undefined,
): Promise<void> {
  const action = body.actions[0];
  const ref =
    parseTaskRef(value) ?? parseTaskRef(action && 'block_id' in action ? action.block_id : undefined);
  const command = toCommand();
  if (!ref || !command) {
    await tell(deps, handoff, body, 'That button is out of date; use `/tms show <id>` for the current card.');
    return;
  }
  const user = body.user.id;
  // A double click, or the same click sent twice: the same action on the same card version counts once.
  // A second one while the first is being handled is quiet (the card shows the first's outcome); one after
  // the first died halfway, and its lease ran out, does the work.
  // The same click on a card whose task changed after it did its work (someone else acted, or this person
  // chose otherwise in between, on a card Slack had not yet redrawn) is a new decision: it acts again.
  const clicked = `${ref.taskId}@${ref.version}#${actionId}#${value}#${user}`;
  const { claim, expires } = handling(deps);
  // Who is clicking is looked up while the click is claimed, not after: on a cold container it is a Slack
  // call (the config's user groups), then cached. Its failure counts only once the click is this one's.
  const role = deps.directory.roleOf(user);
  role.catch(() => {});
  let key = clicked;
  let begun = await deps.seen.begin('slack-action', key, claim);
  if (begun === 'done') {
    const [after, task] = await Promise.all([
      deps.seen.outcomeOf('slack-action', key),
      deps.store.get(ref.taskId),
    ]);
    if (after !== undefined && task && after !== String(task.version)) {
      key = `${clicked}~${task.version}`;
      begun = await deps.seen.begin('slack-action', key, claim);
    }
  }
  if (begun !== 'begun') return;
  let result: Awaited<ReturnType<typeof act>>;
  try {
    result = await act(deps, ref.taskId, command, await role, user);
  } catch (error) {
    const text = explain(error, 'card action failed', { actionId, taskId: ref.taskId });
    await deps.seen.release('slack-action', key, claim.token); // nothing changed: pressing again must work
    await tell(deps, handoff, body, text);
    return;
  }
  await deps.seen.complete(
    'slack-action',
    key,
    claim.token,
    expires,
    result.version === undefined ? undefined : String(result.version),
  );
  // Success shows on the card itself; only a refusal is worth a message.
  if (!result.ok) await tell(deps, handoff, body, result.text);
  else if (body.container?.type === 'view') await handoff.later({ kind: 'publish-home', user });
}
