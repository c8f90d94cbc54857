import { type AttributeValue, DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import { TABLE } from '../../src/adapters/dynamo/table.js';
import { LOCAL_AWS } from '../../src/local/embedded-dynamo.js';

/**
 * What real DynamoDB refuses and dynalite lets through: an item over 400 KB, a partition key (of the table
 * or a GSI) over 2,048 bytes, a sort key over 1,024 bytes
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html). Sizes are computed
 * as DynamoDB documents them: names and values in UTF-8, numbers about a byte per two digits, and 3 bytes
 * plus a byte per element for a map or list (numbers are counted at a byte per digit, to err on the safe side).
 */
export const DYNAMO_LIMITS = { itemBytes: 400 * 1024, partitionKeyBytes: 2048, sortKeyBytes: 1024 } as const;

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

export function attributeSize(value: AttributeValue): number {
  if (value.S !== undefined) return bytes(value.S);
  if (value.N !== undefined) return value.N.length + 1;
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS) return value.SS.reduce((n, s) => n + bytes(s), 0);
  if (value.NS) return value.NS.reduce((n, s) => n + s.length + 1, 0);
  if (value.L) return 3 + value.L.reduce((n, v) => n + 1 + attributeSize(v), 0);
  if (value.M)
    return 3 + Object.entries(value.M).reduce((n, [k, v]) => n + 1 + bytes(k) + attributeSize(v), 0);
  return 0;
}

export const itemSize = (item: Record<string, AttributeValue>): number =>
  Object.entries(item).reduce((n, [name, value]) => n + bytes(name) + attributeSize(value), 0);

export interface ItemReport {
  readonly items: number;
  readonly largestItemBytes: number;
  readonly largestPartitionKeyBytes: number;
  readonly largestSortKeyBytes: number;
  /** One line per item or key past DynamoDB's limits. */
  readonly violations: string[];
}

/** The items of a table (those `which` picks, else all), measured against DynamoDB's limits. */
export async function checkItemLimits(
  endpoint: string,
  which: (item: Record<string, AttributeValue>) => boolean = () => true,
  tableName: string = TABLE.defaultName,
): Promise<ItemReport> {
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
  const partitionKeys = [TABLE.partitionKey, ...TABLE.indexes.map((i) => i.partitionKey)];
  const sortKeys = [TABLE.sortKey, ...TABLE.indexes.map((i) => i.sortKey)];
  const violations: string[] = [];
  let items = 0;
  let largestItemBytes = 0;
  let largestPartitionKeyBytes = 0;
  let largestSortKeyBytes = 0;
  try {
    for await (const page of paginateScan({ client }, { TableName: tableName })) {
      for (const item of page.Items ?? []) {
        if (!which(item)) continue;
        items++;
        const id = `${item.pk?.S}/${item.sk?.S}`.slice(0, 80);
        const size = itemSize(item);
        largestItemBytes = Math.max(largestItemBytes, size);
        if (size > DYNAMO_LIMITS.itemBytes) violations.push(`${id}: item of ${size} bytes`);
        for (const name of partitionKeys) {
          const key = item[name]?.S;
          if (key === undefined) continue;
          largestPartitionKeyBytes = Math.max(largestPartitionKeyBytes, bytes(key));
          if (bytes(key) > DYNAMO_LIMITS.partitionKeyBytes)
            violations.push(`${id}: ${name} of ${bytes(key)} bytes`);
        }
        for (const name of sortKeys) {
          const key = item[name]?.S;
          if (key === undefined) continue;
          largestSortKeyBytes = Math.max(largestSortKeyBytes, bytes(key));
          if (bytes(key) > DYNAMO_LIMITS.sortKeyBytes)
            violations.push(`${id}: ${name} of ${bytes(key)} bytes`);
        }
      }
    }
  } finally {
    client.destroy();
  }
  return { items, largestItemBytes, largestPartitionKeyBytes, largestSortKeyBytes, violations };
}

/** A task's own items: the task, its timeline entries, and its fingerprint's record. */
export const itemsOfTasks =
  (tasks: readonly { id: string; fingerprint: string | null }[]) =>
  (item: Record<string, AttributeValue>): boolean => {
    const pk = item.pk?.S ?? '';
    return tasks.some(
      (t) =>
        pk === `TASK#${Number(t.id.slice('TMS-'.length))}` ||
        (t.fingerprint !== null && pk === `FP#${t.fingerprint}`),
    );
  };
