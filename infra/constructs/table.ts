import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  Billing,
  type GlobalSecondaryIndexPropsV2,
  ProjectionType,
  StreamViewType,
  TableEncryptionV2,
  TableV2,
} from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLE } from '../../src/adapters/dynamo/table.js';

/** What an index copies of each item, as src/adapters/dynamo/table.ts says it (ALL when it says nothing). */
export interface IndexProjection {
  readonly type: 'ALL' | 'KEYS_ONLY' | 'INCLUDE';
  /** With INCLUDE: the attributes copied besides the keys. */
  readonly attributes?: readonly string[];
}

/** One index as src/adapters/dynamo/table.ts defines it. */
export interface IndexDefinition {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly projection?: IndexProjection;
}

export interface TmsTableProps {
  /** Refuse `cdk destroy` and console deletes of the table; on by default. */
  readonly deletionProtection?: boolean;
  /** The indexes; TABLE.indexes, the ones the code and the local store use, unless a test says otherwise. */
  readonly indexes?: readonly IndexDefinition[];
  /**
   * Keep every index projecting ALL, as tables deployed before the projections were narrowed do: DynamoDB
   * changes an existing index's projection only by deleting and creating it, one index an update, which
   * CloudFormation refuses inside one stack update. The code reads what it needs either way (a list reads
   * its tasks by key), so an existing stack keeps working and only pays ALL's index writes.
   */
  readonly allAttributesInIndexes?: boolean;
}

/**
 * An index as CDK builds it, copying what its definition projects: every write to an item rewrites each
 * index copy of it, so an index that projects only what its query reads costs a fraction of ALL's writes.
 */
export function globalSecondaryIndex(index: IndexDefinition): GlobalSecondaryIndexPropsV2 {
  const projection = index.projection ?? { type: 'ALL' };
  return {
    indexName: index.name,
    partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
    sortKey: { name: index.sortKey, type: AttributeType.STRING },
    projectionType: ProjectionType[projection.type],
    ...(projection.type === 'INCLUDE' ? { nonKeyAttributes: [...(projection.attributes ?? [])] } : {}),
  };
}

/** The one TMS table, built from the definition the code and the local store use (src/adapters/dynamo/table.ts). */
export class TmsTable extends Construct {
  readonly table: TableV2;

  constructor(scope: Construct, id: string, props: TmsTableProps = {}) {
    super(scope, id);
    const deletionProtection = props.deletionProtection ?? true;
    const defined: readonly IndexDefinition[] = props.indexes ?? TABLE.indexes;
    const indexes = props.allAttributesInIndexes
      ? defined.map(({ projection: _, ...index }) => index)
      : defined;
    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: TABLE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE.sortKey, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      timeToLiveAttribute: TABLE.ttlAttribute,
      dynamoStream: StreamViewType.NEW_AND_OLD_IMAGES,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryptionV2.awsManagedKey(),
      deletionProtection,
      removalPolicy: deletionProtection ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      globalSecondaryIndexes: indexes.map(globalSecondaryIndex),
    });
  }
}
