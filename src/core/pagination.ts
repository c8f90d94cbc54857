import { DomainError } from './errors.js';
import type { TaskQuery } from './ports.js';
import { fail, ok, type Result } from './result.js';
import { Status } from './task.js';

export const DEFAULT_PAGE = 25;
export const MAX_PAGE = 100;

/** An opaque cursor for `next`: callers pass it back unchanged and never build one. */
export const encodeCursor = (before: number | null): string | null =>
  before === null ? null : Buffer.from(JSON.stringify({ b: before })).toString('base64url');

export function decodeCursor(cursor: string): Result<number, DomainError> {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { b?: unknown };
    if (typeof value.b === 'number' && Number.isSafeInteger(value.b) && value.b > 0) return ok(value.b);
  } catch {
    // falls through to the refusal
  }
  return fail(new DomainError('INVALID_INPUT', 'cursor is not one this API returned as `next`'));
}

export interface ListParams {
  readonly status?: string | undefined;
  readonly service?: string | undefined;
  readonly assignee?: string | undefined;
  readonly limit?: string | undefined;
  readonly cursor?: string | undefined;
}

/**
 * The query of `GET /api/tasks` (and `/tms list`): `status` is a status, a comma-separated list of them,
 * `unresolved`, or `all`; `limit` 1..100.
 */
export function parseListParams(params: ListParams): Result<TaskQuery, DomainError> {
  let statuses: Status[] | undefined;
  const status = params.status?.trim();
  if (status && status !== 'all') {
    const names = status === 'unresolved' ? ['open', 'acknowledged', 'in_progress'] : status.split(',');
    const parsed = names.map((name) => Status.safeParse(name.trim()));
    if (parsed.some((p) => !p.success)) {
      return fail(
        new DomainError(
          'INVALID_INPUT',
          `status must be open, acknowledged, in_progress, resolved, unresolved or all`,
        ),
      );
    }
    statuses = [...new Set(parsed.map((p) => p.data as Status))];
  }
  let limit = DEFAULT_PAGE;
  if (params.limit !== undefined && params.limit !== '') {
    limit = Number(params.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
      return fail(new DomainError('INVALID_INPUT', `limit must be a whole number from 1 to ${MAX_PAGE}`));
    }
  }
  let before: number | null = null;
  if (params.cursor) {
    const decoded = decodeCursor(params.cursor);
    if (!decoded.ok) return decoded;
    before = decoded.value;
  }
  return ok({
    ...(statuses ? { statuses } : {}),
    ...(params.service ? { service: params.service } : {}),
    ...(params.assignee ? { assignee: params.assignee } : {}),
    limit,
    before,
  });
}
