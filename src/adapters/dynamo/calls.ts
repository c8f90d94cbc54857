import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { TransientError } from '../../core/errors.js';

/** Errors that a retry later may cure; the SDK has already retried them with backoff. */
const TRANSIENT = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
]);

/** A DynamoDB call whose throttling and outages surface as a TransientError (HTTP 503, retried later). */
export async function send<T>(request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    const name = (error as { name?: string }).name ?? '';
    if (TRANSIENT.has(name) || (error as { $retryable?: unknown }).$retryable) {
      throw new TransientError(`DynamoDB is unavailable right now (${name})`, { cause: error });
    }
    throw error;
  }
}

/** Every item of a paginated read (the SDK's Query or Scan paginator), its faults surfaced as `send` does. */
export async function* itemsOf(
  pages: AsyncIterable<{ Items?: Record<string, unknown>[] }>,
): AsyncGenerator<Record<string, unknown>> {
  const iterator = pages[Symbol.asyncIterator]();
  for (;;) {
    const page = await send(() => iterator.next());
    if (page.done) return;
    yield* page.value.Items ?? [];
  }
}

/** A conditional write: false when its condition did not hold. */
export async function conditional(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await send(write);
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/**
 * A conditional write that returns the item's attributes (its `ReturnValues`): undefined when its condition did
 * not hold.
 */
export async function conditionalReturning(
  write: () => Promise<{ Attributes?: Record<string, unknown> }>,
): Promise<Record<string, unknown> | undefined> {
  try {
    return (await send(write)).Attributes;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    throw error;
  }
}

/** A conditional update of one item, with the attributes its `ReturnValues` asks for: undefined when its condition did not hold. */
export function updateIf(
  db: DynamoDBDocumentClient,
  input: UpdateCommandInput,
): Promise<Record<string, unknown> | undefined> {
  return conditionalReturning(() => db.send(new UpdateCommand(input)));
}

/**
 * A conditional update that says, when refused, what the item is: DynamoDB returns it with the refusal
 * (`ReturnValuesOnConditionCheckFailure`), at no extra read. dynalite ignores the option: then `old` is absent
 * and the caller reads the item if it needs it.
 */
export async function updateOrOld(
  db: DynamoDBDocumentClient,
  input: UpdateCommandInput,
): Promise<{ readonly written: Record<string, unknown> } | { readonly old?: Record<string, unknown> }> {
  try {
    const { Attributes } = await send(() =>
      db.send(new UpdateCommand({ ...input, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' })),
    );
    return { written: Attributes ?? {} };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    // The refusal's item is in the wire format: the document client unmarshals results, not errors.
    return error.Item ? { old: unmarshall(error.Item) } : {};
  }
}

export function pick<K extends string>(
  item: Record<string, unknown>,
  fields: readonly K[],
): Record<K, unknown> {
  const out = {} as Record<K, unknown>;
  for (const field of fields) if (item[field] !== undefined) out[field] = item[field];
  return out;
}

/** Every item a query matches, page after page. */
export async function queryAll(
  db: DynamoDBDocumentClient,
  input: QueryCommandInput,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await send(() =>
      db.send(new QueryCommand({ ...input, ...(start ? { ExclusiveStartKey: start } : {}) })),
    );
    items.push(...((page.Items ?? []) as Record<string, unknown>[]));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}
