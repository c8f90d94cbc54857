import type { Task } from '../core/task.js';
import { logger } from '../runtime/logger.js';
import { fitBlocks, mention, messageText, mrkdwn } from './text.js';

const SLACK_HOOKS = 'https://hooks.slack.com/';

/**
 * A reply through a `response_url`: only to Slack's own hooks host, or, offline, to the local stand-in at
 * `localHooks` (the local stack's, so hooks.slack.com URLs are answered locally too).
 */
export async function respond(
  responseUrl: string | undefined,
  message: Record<string, unknown>,
  localHooks?: string,
): Promise<boolean> {
  const target = hooksTarget(responseUrl, localHooks);
  if (!target) return false;
  try {
    const response = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(fitted(message)),
      signal: AbortSignal.timeout(2_500),
    });
    if (!response.ok) logger.warn('response_url refused the reply', { status: response.status });
    return response.ok;
  } catch (error) {
    logger.warn('response_url could not be reached', { error: (error as Error).message });
    return false;
  }
}

export function hooksTarget(url: string | undefined, local?: string): string | undefined {
  if (!url) return undefined;
  if (local) {
    if (url.startsWith(SLACK_HOOKS)) return `${local.replace(/\/$/, '')}/${url.slice(SLACK_HOOKS.length)}`;
    if (url.startsWith(local)) return url;
    return undefined;
  }
  return url.startsWith(SLACK_HOOKS) ? url : undefined;
}

/** A reply's text and blocks within what Slack takes (a response_url refuses the same as chat.postMessage). */
function fitted(message: Record<string, unknown>): Record<string, unknown> {
  return {
    ...message,
    ...(typeof message.text === 'string' ? { text: messageText(message.text) } : {}),
    ...(Array.isArray(message.blocks) ? { blocks: fitBlocks(message.blocks, 'message') } : {}),
  };
}

/** An ephemeral reply: only the person who asked sees it, its text and blocks within Slack's limits. */
export const ephemeral = (text: string, blocks?: unknown[]) => ({
  response_type: 'ephemeral' as const,
  replace_original: false,
  text: messageText(text),
  ...(blocks ? { blocks: fitBlocks(blocks, 'message') } : {}),
});

/**
 * A task as it was opened, in one sentence, so the person sees how what they typed (or chose in the form) was
 * read: `channel` is where they asked, to say whether the card comes there or went elsewhere.
 */
export function openedText(task: Task, channel: string | undefined): string {
  const assigned = task.assignee ? `, assigned to ${mention(task.assignee)}` : ', unassigned';
  const where =
    task.channel === channel ? 'its card is on its way here' : `its card is in <#${task.channel}>`;
  return `Opened *${task.id}* “${mrkdwn(task.title, 300)}” at ${task.priority} in ${mrkdwn(task.service, 100)}${assigned}: ${where}.`;
}
