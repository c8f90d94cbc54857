import * as z from 'zod';
import { LIMITS } from '../core/bounds.js';
import { ScheduleAction } from '../core/schedule.js';
import { PRIORITIES } from '../core/task.js';
import { WEBHOOK_URL_MAX } from '../core/webhook-target.js';

/**
 * The request bodies of the `/api/*` writes: what validates them is what the OpenAPI document is to be generated
 * from, so each schema carries its example (`meta`). `.strict()`: an unknown field is refused, not ignored, so a
 * misspelt `priorty` is not a task opened at the default priority.
 */

/** A Slack user id, as `custom:slack_user_id` and the bot's mentions name people. */
const SLACK_USER = /^[UW][A-Z0-9]{2,20}$/;

/** A label a silence can match (its matcher's key and value bounds), within the bytes a task keeps. */
const labels = z
  .record(z.string().min(1).max(LIMITS.labelKeyLength), z.string().max(LIMITS.labelValueLength))
  .describe(
    `Labels kept on the task (keys up to ${LIMITS.labelKeyLength} characters, values up to ${LIMITS.labelValueLength}, ${LIMITS.labelBytes / 1024} KB in all)`,
  );

export const CreateTaskBody = z
  .object({
    title: z.string().trim().min(1).max(LIMITS.titleLength),
    description: z.string().max(LIMITS.descriptionLength).optional(),
    priority: z.enum(PRIORITIES).optional(),
    /** A configured service (its channel gets the card); checked against the config by the route. */
    service: z.string().min(1).max(LIMITS.nameBytes).optional(),
    assignee: z.string().regex(SLACK_USER, 'not a Slack user id such as U01AAA').nullable().optional(),
    labels: labels.optional(),
  })
  .strict()
  .meta({
    examples: [
      {
        title: 'Rotate the checkout TLS certificate',
        description: 'Expires on Friday',
        priority: 'P2',
        service: 'checkout',
        assignee: 'U01BBB',
        labels: { env: 'prod' },
      },
    ],
  });
export type CreateTaskBody = z.infer<typeof CreateTaskBody>;

/** What `POST /api/tasks/{id}/actions` can ask; `escalate` pages the next step of the task's escalation now. */
export const TASK_ACTIONS = [
  'acknowledge',
  'claim',
  'start',
  'resolve',
  'reopen',
  'comment',
  'snooze',
  'unsnooze',
  'escalate',
] as const;
export type TaskActionName = (typeof TASK_ACTIONS)[number];

/** As long as the resolution form takes in Slack. */
export const NOTE_LENGTH = 3000;

export const TaskActionBody = z
  .object({
    action: z.enum(TASK_ACTIONS),
    /** The resolution (resolve, optional) or the comment's text (comment, required). */
    note: z.string().max(NOTE_LENGTH).optional(),
    /** How long a snooze lasts: `30m`, `2h`, `1d` (at most a week), as `/tms snooze` reads it. */
    duration: z.string().max(32).optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    if (body.note !== undefined && body.action !== 'resolve' && body.action !== 'comment')
      ctx.addIssue({ code: 'custom', path: ['note'], message: `${body.action} takes no note` });
    if (body.action === 'comment' && !body.note?.trim())
      ctx.addIssue({ code: 'custom', path: ['note'], message: 'a comment needs some text' });
    if (body.duration !== undefined && body.action !== 'snooze')
      ctx.addIssue({ code: 'custom', path: ['duration'], message: `${body.action} takes no duration` });
    if (body.action === 'snooze' && body.duration === undefined)
      ctx.addIssue({ code: 'custom', path: ['duration'], message: 'a snooze needs a duration such as 2h' });
  })
  .meta({
    examples: [
      { action: 'claim' },
      { action: 'resolve', note: 'Rolled back the deploy' },
      { action: 'comment', note: 'Looking at the consumer lag' },
      { action: 'snooze', duration: '2h' },
    ],
  });
export type TaskActionBody = z.infer<typeof TaskActionBody>;

/**
 * `PATCH /api/tasks/{id}`: the fields to change, each replacing what the task has (labels whole, not merged);
 * `assignee: null` unassigns. At least one field: an empty patch is a mistake, not a no-op.
 */
export const PatchTaskBody = z
  .object({
    title: CreateTaskBody.shape.title.optional(),
    description: z.string().max(LIMITS.descriptionLength).optional(),
    priority: z.enum(PRIORITIES).optional(),
    assignee: z.string().regex(SLACK_USER, 'not a Slack user id such as U01AAA').nullable().optional(),
    labels: labels.optional(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, {
    message: `send at least one of title, description, priority, assignee, labels`,
  })
  .meta({
    // What the refinement says, in the JSON Schema the document is generated with.
    minProperties: 1,
    examples: [
      { priority: 'P1' },
      { title: 'Checkout TLS certificate expires Friday', assignee: 'U01BBB' },
      { assignee: null, labels: { env: 'prod', region: 'eu-west-1' } },
    ],
  });
export type PatchTaskBody = z.infer<typeof PatchTaskBody>;

/**
 * `POST /api/schedules` (issue 18): what `/tms schedule` takes, as fields. `at` is an ISO date; without an offset
 * it is read in `timezone` (UTC when absent). The route reads `at`, checks the URL and the rest go through the
 * use case's checks, which Slack's and the config's go through too.
 */
export const CreateScheduleBody = z
  .object({
    title: CreateTaskBody.shape.title,
    at: z
      .string()
      .min(1)
      .max(40)
      .describe(
        'The first run: an ISO date such as 2027-01-04T09:00 (local time in `timezone`) or with an offset',
      ),
    every: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .describe('day, week, month, weekday, or a five-field cron pattern; once when absent'),
    timezone: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe('An IANA time zone such as Europe/Berlin (default UTC)'),
    action: ScheduleAction.optional().describe(
      'task (the default) opens a task; message posts to `channel`; webhook calls `url`',
    ),
    channel: z.string().min(1).max(32).optional().describe('A Slack channel id: where a message goes'),
    url: z.string().min(1).max(WEBHOOK_URL_MAX).optional().describe('The webhook: http(s), no credentials'),
    priority: z.enum(PRIORITIES).optional(),
    service: CreateTaskBody.shape.service,
    assignee: z.string().regex(SLACK_USER, 'not a Slack user id such as U01AAA').optional(),
  })
  .strict()
  .meta({
    examples: [
      { title: 'Rotate the staging keys', at: '2027-01-04T09:00', every: 'month', timezone: 'Europe/Berlin' },
      {
        title: 'Stand-up',
        at: '2027-01-04T09:30:00Z',
        every: '30 9 * * 1-5',
        action: 'message',
        channel: 'C0123ABCD',
      },
      {
        title: 'Nightly export',
        at: '2027-01-04T02:00',
        every: 'day',
        action: 'webhook',
        url: 'https://hooks.example.com/tms',
      },
    ],
  });
export type CreateScheduleBody = z.infer<typeof CreateScheduleBody>;

/** Every request body schema of `/api/*`, by the route that reads it. */
export const REQUEST_BODIES = {
  'POST /api/tasks': CreateTaskBody,
  'POST /api/tasks/{id}/actions': TaskActionBody,
  'PATCH /api/tasks/{id}': PatchTaskBody,
  'POST /api/schedules': CreateScheduleBody,
} as const;

/** The first issue as `<field>: <what is wrong>`, the field path dotted (`labels.env`), `body` for the whole. */
export function issueMessage(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'body: not valid';
  if (issue.code === 'unrecognized_keys')
    return `${[...issue.path, issue.keys[0]].join('.')}: not a field of this request (unknown fields are refused)`;
  const field = issue.path.length > 0 ? issue.path.map(String).join('.') : 'body';
  return `${field}: ${issue.message}`;
}
