import * as z from 'zod';
import { decodeCursor, encodeCursor } from '../../../core/pagination.js';
import {
  PRIORITIES,
  type Priority,
  type Status,
  type Task,
  taskNumber,
  UNRESOLVED,
} from '../../../core/task.js';
import { taskLine } from '../../card.js';
import type { BotDeps } from '../../context.js';
import { REPLY_ACTION_ID } from '../../ids.js';
import { permalinks } from '../../permalinks.js';
import { escapeMrkdwn } from '../../text.js';
import { type Asker, type CommandOf, sections } from './reply.js';

/** Tasks on one page of `/tms list`. */
export const LIST_PAGE = 20;
/** Reads of the store one page may take when a priority filters what they return. */
const MAX_READS = 5;
/** A section's text stays well inside Slack's 3,000 characters: the lines are split over sections. */

/** Where a page of `/tms list` starts: what the "Next page" button carries back. */
export interface ListPosition {
  /** The `next` cursor of the page before (tasks numbered below it), as pagination encodes it. */
  readonly cursor: string | null;
  /** How many tasks the pages before showed, so a page says "21–40". */
  readonly offset: number;
}

/** The "Next page" button's value: the query and where the next page starts, short keys to stay small. */
const NextPageValue = z.strictObject({
  s: z.enum(['mine', 'open', 'all']),
  v: z.string().max(100).optional(),
  p: z.enum(PRIORITIES).optional(),
  c: z.string().max(200),
  o: z.number().int().nonnegative().max(1_000_000),
});

/** The query and position a "Next page" button carries, or undefined when it is not one TMS made. */
export function readNextPage(
  value: string,
): { command: CommandOf<'list'>; position: ListPosition } | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    return undefined;
  }
  const parsed = NextPageValue.safeParse(raw);
  if (!parsed.success || !decodeCursor(parsed.data.c).ok) return undefined;
  const { s, v, p, c, o } = parsed.data;
  return {
    command: { name: 'list', scope: s, ...(v ? { service: v } : {}), ...(p ? { priority: p } : {}) },
    position: { cursor: c, offset: o },
  };
}

/** `/tms list [mine|open|all] [service] [p1..p4]`: the newest 20 matching tasks, one line each, then a button to the next 20. */
export async function list(
  deps: BotDeps,
  command: CommandOf<'list'>,
  asker: Pick<Asker, 'user'>,
  position: ListPosition = { cursor: null, offset: 0 },
): Promise<{ readonly text: string; readonly blocks?: unknown[] }> {
  const statuses: readonly Status[] | undefined = command.scope === 'all' ? undefined : UNRESOLVED;
  const before = position.cursor ? decodeCursor(position.cursor) : undefined;
  const { tasks, nextBefore } = await collect(
    deps,
    {
      ...(statuses ? { statuses } : {}),
      ...(command.service ? { service: command.service } : {}),
      ...(command.scope === 'mine' ? { assignee: asker.user } : {}),
    },
    command.priority,
    before?.ok ? before.value : null,
  );
  const what = [
    command.scope === 'mine' ? 'Your open tasks' : command.scope === 'all' ? 'All tasks' : 'Open tasks',
    command.service ? `in ${escapeMrkdwn(command.service)}` : '',
    command.priority ? `at ${command.priority}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  if (tasks.length === 0) return { text: position.offset === 0 ? `${what}: none.` : `${what}: no more.` };
  const now = deps.clock.now();
  const links = await permalinks(deps, tasks);
  const lines = tasks.map((t) => `• ${taskLine(t, now, links.get(t.id))}`);
  const heading = `*${what}* · ${countWords(position.offset, tasks.length, nextBefore !== null)}`;
  const next =
    nextBefore === null ? undefined : nextPageButton(command, nextBefore, position.offset + tasks.length);
  return {
    text: `${heading}\n${lines.join('\n')}`,
    blocks: [
      ...sections([heading, ...lines]),
      ...(next ? [{ type: 'actions', block_id: 'tms_list_pages', elements: [next] }] : []),
    ],
  };
}

/** The real count where it is known, else which of them these are. */
function countWords(offset: number, shown: number, more: boolean): string {
  if (!more && offset === 0) return `${shown} ${shown === 1 ? 'task' : 'tasks'}`;
  const range = `${offset + 1}–${offset + shown}`;
  return more ? `${range}, newest first; older ones on the next page` : `${range} of ${offset + shown}`;
}

function nextPageButton(command: CommandOf<'list'>, before: number, offset: number) {
  const value = {
    s: command.scope,
    ...(command.service ? { v: command.service } : {}),
    ...(command.priority ? { p: command.priority } : {}),
    c: encodeCursor(before),
    o: offset,
  };
  return {
    type: 'button',
    action_id: REPLY_ACTION_ID.listNext,
    text: { type: 'plain_text', text: `Next ${LIST_PAGE}` },
    value: JSON.stringify(value),
  };
}

/**
 * One page of matching tasks, newest first, and the cursor of the next page (null on the last). A priority is
 * filtered after reading, so a page may take a few reads; after MAX_READS it ends where the reading stopped.
 */
async function collect(
  deps: BotDeps,
  query: { statuses?: readonly Status[]; service?: string; assignee?: string },
  priority: Priority | undefined,
  before: number | null,
): Promise<{ tasks: Task[]; nextBefore: number | null }> {
  const found: Task[] = [];
  let cursor = before;
  for (let read = 0; read < MAX_READS; read++) {
    const page = await deps.store.list({ ...query, limit: priority ? 100 : LIST_PAGE + 1, before: cursor });
    found.push(...page.tasks.filter((t) => !priority || t.priority === priority));
    if (found.length > LIST_PAGE) {
      const shown = found.slice(0, LIST_PAGE);
      return { tasks: shown, nextBefore: taskNumber((shown.at(-1) as Task).id) };
    }
    if (page.next === null) return { tasks: found, nextBefore: null };
    cursor = page.next;
  }
  return { tasks: found, nextBefore: cursor };
}
