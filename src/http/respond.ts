import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { DomainError, type ErrorCode, TransientError } from '../core/errors.js';
import { logger } from '../runtime/logger.js';

export type HttpResult = APIGatewayProxyStructuredResultV2;

export const json = (
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpResult => ({
  statusCode,
  headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  body: JSON.stringify(body),
});

/** The error shape of every TMS route: `{"error":{"code","message"}}` (a domain error adds its `context`). */
export const problem = (
  statusCode: number,
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): HttpResult => json(statusCode, { ...extra, error: { code, message } }, headers);

/** The HTTP status each expected failure is answered with: an HTTP decision, so it lives here, not in core. */
const STATUS: Record<ErrorCode, number> = {
  TASK_NOT_FOUND: 404,
  TASK_ALREADY_RESOLVED: 409,
  TASK_ALREADY_ACKNOWLEDGED: 409,
  TASK_ALREADY_IN_PROGRESS: 409,
  TASK_ALREADY_CLAIMED: 409,
  TASK_NOT_RESOLVED: 409,
  TASK_ALREADY_ASSIGNED: 409,
  FINGERPRINT_ALREADY_OPEN: 409,
  VERSION_CONFLICT: 409,
  NO_CHANGE: 409,
  NOT_ALLOWED: 403,
  INVALID_INPUT: 400,
  SCHEDULE_NOT_FOUND: 404,
};

/**
 * Known failures become their status, their sentence and their context (which task, who, what:
 * `{"error":{"code","message","context":{"taskId","holder",...}}}`, for a client to act on without parsing
 * the sentence); anything else is logged with a correlation id that the answer carries, and no stack trace
 * or internal detail leaves the process.
 */
export function fromError(error: unknown): HttpResult {
  if (error instanceof DomainError)
    return json(STATUS[error.code], {
      error: {
        code: error.code,
        message: error.message,
        ...(Object.keys(error.context).length > 0 ? { context: error.context } : {}),
      },
    });
  if (error instanceof TransientError) {
    logger.warn('transient fault', { error });
    return problem(503, 'UNAVAILABLE', `${error.message}; try again shortly`, {}, { 'retry-after': '1' });
  }
  const correlationId = randomUUID();
  logger.error('unexpected failure', { correlationId, error });
  return problem(500, 'INTERNAL', `Something went wrong on our side (correlation id ${correlationId})`);
}

/** Compares two secrets in constant time, whatever their lengths. */
export function sameSecret(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  return event.headers?.[name.toLowerCase()] ?? undefined;
}

export const bearer = (event: APIGatewayProxyEventV2): string | undefined =>
  bearerOf(header(event, 'authorization'));

export function bearerOf(authorization: string | undefined): string | undefined {
  const match = authorization ? /^Bearer\s+(\S.*)$/i.exec(authorization.trim()) : null;
  return match?.[1];
}

/** The body's size in bytes, known before it is decoded, parsed or hashed. */
export function bodySize(event: APIGatewayProxyEventV2): number {
  const body = event.body ?? '';
  return event.isBase64Encoded ? Math.floor((body.length * 3) / 4) : Buffer.byteLength(body);
}

/** The body as text: API Gateway base64-encodes what it does not take for text; decoded as UTF-8, not ASCII. */
export function bodyText(event: APIGatewayProxyEventV2): string {
  const body = event.body ?? '';
  return event.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
}
