/**
 * Every id Slack sends back to TMS, defined once and named by kind, for the views that draw them, the
 * listeners that answer them and `scripts/slack.ts`. An `action_id` and a view's `callback_id` live in
 * different namespaces (a `block_actions` payload never meets a `view_submission`), so the card's Resolve
 * button and the resolve modal may both be `tms_resolve`; the names below keep them apart in code.
 */

/** A card's (or App Home's) interactive elements, by the `action_id` of a `block_actions` payload. */
export const ACTION_ID = {
  acknowledge: 'tms_ack',
  claim: 'tms_claim',
  start: 'tms_start',
  resolve: 'tms_resolve',
  reopen: 'tms_reopen',
  reassign: 'tms_reassign',
  priority: 'tms_priority',
  snooze: 'tms_snooze',
} as const;
export type ActionName = keyof typeof ACTION_ID;

/** Controls of replies rather than cards: `/tms list`'s "Next page" button, on its ephemeral reply. */
export const REPLY_ACTION_ID = { listNext: 'tms_list_next' } as const;

/** Views (modals, App Home), by `callback_id`; a modal's comes back in its `view_submission`. */
export const CALLBACK_ID = { newTask: 'tms_new', resolve: 'tms_resolve', home: 'tms_home' } as const;

/** A modal input's `block_id`, also its element's `action_id`: `view.state.values` is keyed by both. */
export const INPUT_ID = {
  title: 'title',
  description: 'description',
  priority: 'priority',
  service: 'service',
  assignee: 'assignee',
  note: 'note',
} as const;
