import type { View } from '@slack/web-api';
import { Bits, Blocks, Elements, Modal } from 'slack-block-builder';
import { cut } from '../core/bounds.js';
import type { Config } from '../core/config.js';
import { PRIORITIES } from '../core/task.js';
import { SCHEDULE_INPUT_ID as ID, SCHEDULE_CALLBACK_ID } from './schedule-ids.js';
import { fitView } from './text.js';

const REPEAT_TEXT = {
  once: 'Once',
  day: 'Every day',
  weekday: 'Every weekday (Mon–Fri)',
  week: 'Every week',
  month: 'Every month',
  cron: 'On a cron pattern (below)',
} as const;
const ACTION_TEXT = {
  task: 'Open a task',
  message: 'Post a reminder',
  webhook: 'Call a webhook',
} as const;

const option = (value: string, text: string) => Bits.Option({ text, value });

/**
 * `/tms schedule` with nothing after it: what the command's words say, in a form. The first run is written as
 * the command takes it (read in the person's Slack time zone, named in the hint), so both read a time alike.
 */
export function scheduleModal(config: Config, channel: string, timeZone: string): View {
  // An option's value is at most 150 characters: a longer name could not be sent back.
  const services = Object.keys(config.services).filter((s) => s.length <= 150);
  const channelSelect = Elements.ConversationSelect({ actionId: ID.channel, placeholder: 'Pick a channel' })
    .filter('public', 'private')
    .excludeBotUsers();
  if (/^[CG][A-Z0-9]{2,}$/.test(channel)) channelSelect.initialConversation(channel);
  return fitView(
    Modal({
      title: 'New schedule',
      submit: 'Schedule',
      close: 'Cancel',
      callbackId: SCHEDULE_CALLBACK_ID,
      privateMetaData: JSON.stringify({ channel }),
    })
      .blocks(
        Blocks.Input({ label: 'Title', blockId: ID.title }).element(
          Elements.TextInput({ actionId: ID.title, maxLength: 300, placeholder: 'What is to be done?' }),
        ),
        Blocks.Input({
          label: 'First run',
          blockId: ID.when,
          hint: `In your time zone (${timeZone}): tomorrow 09:00, mon 9am, in 2h, 17:30 or 2026-12-24T09:00`,
        }).element(Elements.TextInput({ actionId: ID.when, maxLength: 40, placeholder: 'tomorrow 09:00' })),
        Blocks.Input({ label: 'Repeat', blockId: ID.repeat }).element(
          Elements.StaticSelect({ actionId: ID.repeat })
            .options(Object.entries(REPEAT_TEXT).map(([value, text]) => option(value, text)))
            .initialOption(option('once', REPEAT_TEXT.once)),
        ),
        Blocks.Input({
          label: 'Cron pattern',
          blockId: ID.cron,
          hint: 'With “On a cron pattern”: minute hour day-of-month month day-of-week, such as 0 9 * * 1-5',
        })
          .optional()
          .element(Elements.TextInput({ actionId: ID.cron, maxLength: 100, placeholder: '0 9 * * 1-5' })),
        Blocks.Input({ label: 'What it does', blockId: ID.action }).element(
          Elements.StaticSelect({ actionId: ID.action })
            .options(Object.entries(ACTION_TEXT).map(([value, text]) => option(value, text)))
            .initialOption(option('task', ACTION_TEXT.task)),
        ),
        Blocks.Input({
          label: 'Channel',
          blockId: ID.channel,
          hint: 'Where a reminder goes, or a task’s card when no service is named',
        })
          .optional()
          .element(channelSelect),
        Blocks.Input({
          label: 'Webhook URL',
          blockId: ID.url,
          hint: 'With “Call a webhook”: TMS POSTs a signed JSON body to it',
        })
          .optional()
          .element(
            Elements.TextInput({
              actionId: ID.url,
              maxLength: 2_048,
              placeholder: 'https://jobs.example.com/run',
            }),
          ),
        Blocks.Input({ label: 'Priority', blockId: ID.priority })
          .optional()
          .element(
            Elements.StaticSelect({ actionId: ID.priority, placeholder: config.defaults.priority }).options(
              PRIORITIES.map((p) => option(p, p)),
            ),
          ),
        ...(services.length > 0
          ? [
              Blocks.Input({ label: 'Service', blockId: ID.service, hint: 'Its channel gets the task' })
                .optional()
                .element(
                  Elements.StaticSelect({ actionId: ID.service, placeholder: 'Pick a service' }).options(
                    services.slice(0, 100).map((s) => option(s, cut(s, 75))),
                  ),
                ),
            ]
          : []),
      )
      .buildToObject() as View,
  );
}
