import type { App, ViewSubmitAction } from '@slack/bolt';
import type { BotDeps } from '../../context.js';
import { CALLBACK_ID } from '../../ids.js';
import { SCHEDULE_CALLBACK_ID } from '../../schedule-ids.js';
import { newTaskSubmission } from './new-task.js';
import { resolveSubmission } from './resolve.js';
import { scheduleSubmission } from './schedule.js';

/** Modal submissions, by the view's callback_id. */
export function register(app: App, deps: BotDeps): void {
  app.view<ViewSubmitAction>(CALLBACK_ID.resolve, resolveSubmission(deps));
  app.view<ViewSubmitAction>(CALLBACK_ID.newTask, newTaskSubmission(deps));
  app.view<ViewSubmitAction>(SCHEDULE_CALLBACK_ID, scheduleSubmission(deps));
}
