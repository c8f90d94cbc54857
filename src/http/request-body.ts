import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type * as z from 'zod';
import { issueMessage } from './api-schemas.js';
import { bodySize, bodyText, type HttpResult, header, problem } from './respond.js';

/**
 * Far above any body the writes take (a title, a 4,000-character description, 64 KB of labels), far below
 * what API Gateway and Lambda allow: what is over it is refused before it is decoded or parsed.
 */
export const MAX_API_BODY = 128 * 1024;

export type ReadBody<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly refusal: HttpResult };

/**
 * A JSON request body, validated by `schema`: 413 over the bound (checked first), 415 for another content
 * type, 400 for what is not JSON or not what the schema says, naming the field. A key `__proto__` anywhere is
 * refused: JSON.parse keeps it as a key, but a schema's copy would drop it silently (a label lost unsaid).
 */
export function readJsonBody<S extends z.ZodType>(
  event: APIGatewayProxyEventV2,
  schema: S,
): ReadBody<z.infer<S>> {
  if (bodySize(event) > MAX_API_BODY)
    return refuse(problem(413, 'TOO_LARGE', `A request body is at most ${MAX_API_BODY / 1024} KB`));
  const type = (header(event, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type !== 'application/json')
    return refuse(
      problem(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        `Send the body as JSON with Content-Type: application/json${type ? ` (not ${type.slice(0, 100)})` : ''}`,
      ),
    );
  const text = bodyText(event);
  if (text.trim() === '') return refuse(invalid('body: send a JSON object'));
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, (key, value: unknown) => {
      if (key === '__proto__') throw new ReservedKey();
      return value;
    });
  } catch (error) {
    return refuse(
      invalid(
        error instanceof ReservedKey ? 'body: a key named __proto__ is refused' : 'body: not valid JSON',
      ),
    );
  }
  const result = schema.safeParse(parsed);
  if (!result.success) return refuse(invalid(issueMessage(result.error)));
  return { ok: true, value: result.data };
}

class ReservedKey extends Error {}

const invalid = (message: string) => problem(400, 'INVALID_INPUT', message);
const refuse = (refusal: HttpResult) => ({ ok: false as const, refusal });
