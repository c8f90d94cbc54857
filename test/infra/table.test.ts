import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { type IndexDefinition, TmsTable } from '../../infra/constructs/table.js';
import { createTableInput, TABLE } from '../../src/adapters/dynamo/table.js';
import { FAST, synth } from './synth.js';

describe('the table on AWS', () => {
  const { template } = synth();

  it('is the table the code and the local store create: same keys and indexes', () => {
    const local = createTableInput();
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: local.KeySchema,
      AttributeDefinitions: Match.arrayEquals(local.AttributeDefinitions ?? []),
      GlobalSecondaryIndexes: local.GlobalSecondaryIndexes?.map((index) =>
        Match.objectLike({
          IndexName: index.IndexName,
          KeySchema: index.KeySchema,
          Projection: index.Projection,
        }),
      ),
    });
  });

  it('is on demand, streams new and old images, expires by TTL, recovers to a point in time and resists deletion', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true },
      Replicas: [
        Match.objectLike({
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
        }),
      ],
    });
    template.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Retain' });
  });

  it('can be made disposable for a test account', () => {
    const { template: disposable } = synth({ deletionProtection: false });
    disposable.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Delete' });
    expect(JSON.stringify(disposable.toJSON())).not.toContain('"DeletionProtectionEnabled":true');
  });
});

describe('what each index copies', () => {
  /** The table with these indexes, alone in a stack of its own. */
  const indexesOf = (indexes: readonly IndexDefinition[]) => {
    const stack = new Stack(new App(FAST));
    new TmsTable(stack, 'Store', { indexes, deletionProtection: false });
    const [table] = Object.values(Template.fromStack(stack).findResources('AWS::DynamoDB::GlobalTable'));
    return table?.Properties.GlobalSecondaryIndexes as { IndexName: string; Projection: unknown }[];
  };

  it('is what the table definition says of each index: keys only, a few attributes, or all', () => {
    const indexes = indexesOf([
      { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projection: { type: 'KEYS_ONLY' } },
      {
        name: 'gsi2',
        partitionKey: 'gsi2pk',
        sortKey: 'gsi2sk',
        projection: { type: 'INCLUDE', attributes: ['title', 'status'] },
      },
      { name: 'gsi3', partitionKey: 'gsi3pk', sortKey: 'gsi3sk', projection: { type: 'ALL' } },
    ]);
    expect(indexes.map((index) => [index.IndexName, index.Projection])).toEqual([
      ['gsi1', { ProjectionType: 'KEYS_ONLY' }],
      ['gsi2', { ProjectionType: 'INCLUDE', NonKeyAttributes: ['title', 'status'] }],
      ['gsi3', { ProjectionType: 'ALL' }],
    ]);
  });

  it('is everything when the definition says nothing', () => {
    expect(indexesOf([{ name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' }])).toEqual([
      expect.objectContaining({ IndexName: 'gsi1', Projection: { ProjectionType: 'ALL' } }),
    ]);
  });

  it('is, on the stack, what src/adapters/dynamo/table.ts defines (ALL where it names no projection)', () => {
    const { template } = synth();
    const [table] = Object.values(template.findResources('AWS::DynamoDB::GlobalTable'));
    const deployed = table?.Properties.GlobalSecondaryIndexes as { IndexName: string; Projection: unknown }[];
    expect(deployed.map((index) => index.IndexName)).toEqual(TABLE.indexes.map((index) => index.name));
    const defined: readonly IndexDefinition[] = TABLE.indexes;
    for (const [i, index] of defined.entries()) {
      const projection = index.projection ?? { type: 'ALL' };
      expect(deployed[i]?.Projection, index.name).toEqual({
        ProjectionType: projection.type,
        ...(projection.type === 'INCLUDE' ? { NonKeyAttributes: projection.attributes } : {}),
      });
    }
  });

  it('keeps every index projecting ALL for a table deployed before the projections narrowed (-c allAttributesInIndexes=true)', () => {
    const { template } = synth({}, { allAttributesInIndexes: 'true' });
    const [table] = Object.values(template.findResources('AWS::DynamoDB::GlobalTable'));
    const deployed = table?.Properties.GlobalSecondaryIndexes as { IndexName: string; Projection: unknown }[];
    expect(deployed.map((index) => index.IndexName)).toEqual(TABLE.indexes.map((index) => index.name));
    for (const index of deployed) expect(index.Projection).toEqual({ ProjectionType: 'ALL' });
  });
});
