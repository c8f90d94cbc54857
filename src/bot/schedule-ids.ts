/**
 * The schedule form's ids (issue 18), defined once for the view that draws it (./schedule-modal.ts) and the
 * listener that reads it (./listeners/view-submissions/schedule.ts). Kept apart from ./ids.ts only while the
 * pieces of issue 18 land side by side; a `block_id` is also its element's `action_id`, as in ./ids.ts.
 */
export const SCHEDULE_CALLBACK_ID = 'tms_schedule';

export const SCHEDULE_INPUT_ID = {
  title: 'schedule_title',
  when: 'schedule_when',
  repeat: 'schedule_repeat',
  cron: 'schedule_cron',
  action: 'schedule_action',
  channel: 'schedule_channel',
  url: 'schedule_url',
  priority: 'schedule_priority',
  service: 'schedule_service',
} as const;

/** The repeat menu: once, a keyword of `every`, or a cron pattern typed in its own field. */
export const REPEATS = ['once', 'day', 'weekday', 'week', 'month', 'cron'] as const;
