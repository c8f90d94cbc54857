import type { Middleware, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { ScheduleRequest } from '../../../core/schedule.js';
import { PRIORITIES, type Priority } from '../../../core/task.js';
import { logger } from '../../../runtime/logger.js';
import type { BotDeps } from '../../context.js';
import { SCHEDULE_INPUT_ID as ID, REPEATS } from '../../schedule-ids.js';
import { explain, modalText } from '../../slack-errors.js';
import { stripMrkdwn } from '../explain.js';
import { metadata } from './metadata.js';

type BlockId = (typeof ID)[keyof typeof ID];
type Values = ViewSubmitAction['view']['state']['values'];
type Read = { ok: true; request: ScheduleRequest } | { ok: false; errors: Partial<Record<BlockId, string>> };

/**
 * The schedule form sent: the schedule is made and the person told how it was read (as the command tells
 * them), or the form says what is wrong beside the field that is. What reads and makes a schedule (croner
 * among it) is loaded with the first form, not at the bot's cold start.
 */
export function scheduleSubmission(deps: BotDeps): Middleware<SlackViewMiddlewareArgs<ViewSubmitAction>> {
  return async ({ ack, body, view, client }) => {
    const user = body.user.id;
    const meta = metadata(view.private_metadata);
    try {
      const { makeSchedule } = await import('../commands/schedules.js');
      const timeZone = await deps.directory.timeZoneOf(user);
      const read = await readForm(deps, view.state.values, timeZone, meta.channel);
      if (!read.ok) {
        await ack({ response_action: 'errors', errors: read.errors });
        return;
      }
      const role = await deps.directory.roleOf(user);
      const made = await makeSchedule(deps, read.request, { user, role, channel: meta.channel ?? '' });
      if (!made.ok) {
        await ack({
          response_action: 'errors',
          errors: { [blockOf(made.error.message)]: modalText(made.error) },
        });
        return;
      }
      await ack();
      if (meta.channel) {
        await client.chat
          .postEphemeral({ channel: meta.channel, user, text: made.value })
          .catch((error: Error) => logger.warn('chat.postEphemeral failed', { error: error.message }));
      }
    } catch (error) {
      const text = stripMrkdwn(explain(error, 'schedule modal failed'));
      await ack({ response_action: 'errors', errors: { [ID.title]: text } });
    }
  };
}

/** The form's fields read into a request, each mistake kept for its own field. */
async function readForm(
  deps: BotDeps,
  values: Values,
  timeZone: string,
  here: string | undefined,
): Promise<Read> {
  const [{ parseWhen }, { readEvery }, { checkWebhookUrl }] = await Promise.all([
    import('../../../core/schedule-time.js'),
    import('../../../core/schedule.js'),
    import('../../../core/webhook-target.js'),
  ]);
  const field = (id: BlockId) => values[id]?.[id];
  const errors: Partial<Record<BlockId, string>> = {};

  const title = field(ID.title)?.value?.trim() ?? '';
  if (!title) errors[ID.title] = 'A schedule needs a title';

  const whenText = field(ID.when)?.value?.trim() ?? '';
  const when = parseWhen(whenText, deps.clock.now(), timeZone);
  if (!when.ok) errors[ID.when] = when.error;

  const repeat = field(ID.repeat)?.selected_option?.value ?? 'once';
  let every: string | undefined;
  if (!(REPEATS as readonly string[]).includes(repeat)) errors[ID.repeat] = 'Pick how often it runs';
  else if (repeat === 'cron') {
    const cron = readEvery(field(ID.cron)?.value?.trim() ?? '');
    if (cron.ok) every = cron.value;
    else errors[ID.cron] = cron.error;
  } else if (repeat !== 'once') every = repeat;

  const action = field(ID.action)?.selected_option?.value ?? 'task';
  const picked = field(ID.channel)?.selected_conversation;
  const urlText = field(ID.url)?.value?.trim() ?? '';
  let url: string | undefined;
  if (action === 'webhook') {
    const checked = urlText ? checkWebhookUrl(urlText) : undefined;
    if (!checked) errors[ID.url] = 'A webhook needs the URL it calls';
    else if (!checked.ok) errors[ID.url] = checked.error;
    else url = urlText;
  } else if (urlText) {
    errors[ID.url] = 'A URL goes with “Call a webhook”';
  }
  if (action === 'message' && !picked) errors[ID.channel] = 'Pick the channel the reminder goes to';
  if (action !== 'task' && action !== 'message' && action !== 'webhook')
    errors[ID.action] = 'Pick what it does';
  const channel = action === 'webhook' ? undefined : (picked ?? here);

  const priority = field(ID.priority)?.selected_option?.value as Priority | undefined;
  const service = field(ID.service)?.selected_option?.value;
  if (Object.keys(errors).length > 0 || !when.ok) return { ok: false, errors };
  return {
    ok: true,
    request: {
      title,
      at: when.value,
      ...(every !== undefined ? { every } : {}),
      timezone: timeZone,
      action: action as ScheduleRequest['action'],
      ...(channel ? { channel } : {}),
      ...(url !== undefined ? { url } : {}),
      ...(priority && PRIORITIES.includes(priority) ? { priority } : {}),
      // Own keys only: `constructor` or `__proto__` is in every object, and names no service.
      ...(service && Object.hasOwn(deps.config.services, service) ? { service } : {}),
    },
  };
}

/** The field a refusal of the use case is about, by what it says (the title's when it names none). */
function blockOf(message: string): BlockId {
  if (/webhook|URL/i.test(message)) return ID.url;
  if (/cron|day, week/i.test(message)) return ID.cron;
  if (/channel/i.test(message)) return ID.channel;
  if (/passed|first run|time zone/i.test(message)) return ID.when;
  if (/service/i.test(message)) return ID.service;
  return ID.title;
}
