import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { TASK_SK } from '../adapters/dynamo/table.js';

/** A Lambda on the task table's stream, as the event source mapping invokes it. */
export type StreamConsumer = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | undefined>;

/**
 * An event source mapping's filter pattern, in the subset TMS uses: nested objects down to lists of the
 * values allowed (`{"dynamodb":{"Keys":{"sk":{"S":["TASK"]}}}}`), a value or a prefix of one
 * (`[{"prefix":"SEEN#"}]`). Infra puts the same pattern on AWS.
 */
export type FilterPattern = {
  readonly [key: string]:
    | FilterPattern
    | readonly (string | number | boolean | { readonly prefix: string })[];
};

/** Task items only: aggregator items, cards, markers and raw events never reach the consumers. */
export const TASK_ITEMS: FilterPattern = { dynamodb: { Keys: { sk: { S: [TASK_SK] } } } };

/** Whether a record passes a filter, as Lambda's event filtering decides it for these patterns. */
export function passes(pattern: FilterPattern, value: unknown): boolean {
  return Object.entries(pattern).every(([key, rule]) => {
    const field = (value as Record<string, unknown> | undefined)?.[key];
    if (Array.isArray(rule))
      return rule.some((allowed) =>
        typeof allowed === 'object'
          ? typeof field === 'string' && field.startsWith(allowed.prefix)
          : allowed === field,
      );
    return typeof field === 'object' && field !== null && passes(rule as FilterPattern, field);
  });
}

export interface StreamSubscription {
  readonly name: string;
  /** The records it is given; on AWS, the event source mapping's filter. */
  readonly filter: FilterPattern;
  /**
   * Records it is given besides (any pattern passing lets a record through, as the filters of one event
   * source mapping do; it takes five at most).
   */
  readonly also?: readonly FilterPattern[];
  readonly handler: StreamConsumer;
}

/** Whether a record reaches a consumer: its filter or any of its other patterns lets it through. */
export const reaches = (
  subscription: { readonly filter?: FilterPattern; readonly also?: readonly FilterPattern[] },
  record: unknown,
): boolean =>
  !subscription.filter ||
  passes(subscription.filter, record) ||
  (subscription.also ?? []).some((pattern) => passes(pattern, record));
