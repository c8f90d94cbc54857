import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { TmsTable } from './constructs/table.js';

export interface TmsStackProps extends StackProps {
  readonly deletionProtection?: boolean;
}

/** TMS on AWS. Today the store; the functions, API, topics and schedules join as their handlers land. */
export class TmsStack extends Stack {
  readonly table: TmsTable;

  constructor(scope: Construct, id: string, props: TmsStackProps = {}) {
    super(scope, id, props);
    this.table = new TmsTable(this, 'Store', { deletionProtection: props.deletionProtection ?? true });
    new CfnOutput(this, 'TableName', { value: this.table.table.tableName });
  }
}
