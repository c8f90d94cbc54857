import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { OncallStore, OverrideRecord } from '../../core/ports.js';
import { conditional, pick, queryAll, send } from './calls.js';
import { keys, TABLE } from './table.js';

const FIELDS = [
  'id',
  'team',
  'user',
  'start',
  'end',
  'createdAt',
  'createdBy',
  'reason',
] as const satisfies readonly (keyof OverrideRecord)[];

/** An override is kept this long after it ended, for "who was on call last night". */
const KEEP_MS = 14 * 86_400_000;

const toRecord = (item: Record<string, unknown>) => pick(item, FIELDS) as unknown as OverrideRecord;

/**
 * On-call overrides in the task table, one partition per team sorted by end (`ONCALL#<team>` /
 * `OVR#<end>#<id>`): those not ended by `from` are one query from `OVR#<from>`, never a scan.
 */
export class DynamoOncallStore implements OncallStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string = TABLE.defaultName,
  ) {}

  async createOverride(override: OverrideRecord): Promise<void> {
    await send(() =>
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.oncallOverride(override.team, override.end, override.id),
            type: 'oncall-override',
            ...pick(override as unknown as Record<string, unknown>, FIELDS),
            [TABLE.ttlAttribute]: Math.floor((Date.parse(override.end) + KEEP_MS) / 1000),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  async listOverrides(team: string, from: string, to: string): Promise<OverrideRecord[]> {
    const items = await queryAll(this.db, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND sk > :from',
      // Past every `OVR#<from>#<id>`: one that ends at `from` does not overlap [from, to).
      FilterExpression: '#start < :to',
      ExpressionAttributeNames: { '#start': 'start' },
      ExpressionAttributeValues: {
        ':pk': keys.oncallOf(team),
        ':from': `${keys.oncallOverridePrefix}${from}#~`,
        ':to': to,
      },
      ConsistentRead: true,
    });
    return items.map(toRecord);
  }

  async removeOverride(team: string, id: string): Promise<boolean> {
    // The sort key holds the end, which the caller does not know: the team's few overrides are read for it.
    const items = await queryAll(this.db, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      FilterExpression: '#id = :id',
      ExpressionAttributeNames: { '#id': 'id' },
      ExpressionAttributeValues: {
        ':pk': keys.oncallOf(team),
        ':prefix': keys.oncallOverridePrefix,
        ':id': id,
      },
      ConsistentRead: true,
    });
    const item = items[0];
    if (!item) return false;
    return conditional(() =>
      this.db.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: item.pk, sk: item.sk },
          ConditionExpression: 'attribute_exists(pk)',
        }),
      ),
    );
  }
}
