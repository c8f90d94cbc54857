/** The stream aggregator's function: the house settings, its own grants, its stream mapping and alarms. */
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { AGGREGATOR_ENTRY } from '../../infra/stack.js';
import { actionsOf, logicalIdAt, resourcesOf, statementsOf, synth } from './synth.js';

const { stack, template } = synth();
const id = (path: string) => logicalIdAt(stack, `Tms/${path}`);
const tableArn = { 'Fn::GetAtt': [id('Store/Table'), 'Arn'] };
const statements = () => statementsOf(template, id('Aggregator/Role'));

describe('the stream aggregator', () => {
  it('runs src/handlers/aggregator.ts from the house construct: Node 22, arm64, untraced, the bundled config', () => {
    expect(AGGREGATOR_ENTRY).toBe('src/handlers/aggregator.ts');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Tags: Match.arrayWith([{ Key: 'tms:handler', Value: 'src/handlers/aggregator.ts' }]),
      Handler: 'index.handler',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: Match.absent(),
      Role: { 'Fn::GetAtt': [id('Aggregator/Role'), 'Arn'] },
      LoggingConfig: { LogGroup: { Ref: id('Aggregator/Logs') } },
      Environment: {
        Variables: Match.objectLike({
          TMS_TABLE: { Ref: id('Store/Table') },
          TMS_CONFIG: '/var/task/tms.config.yaml',
          SLACK_BOT_TOKEN_SECRET_ARN: { Ref: id('Secrets/SLACK_BOT_TOKEN') },
          POWERTOOLS_SERVICE_NAME: 'tms',
          POWERTOOLS_METRICS_NAMESPACE: 'TMS',
        }),
      },
    });
  });

  it('may get (one key or a batch), put, update, delete and query the table, no index, and nothing else on DynamoDB but its stream', () => {
    const dynamo = statements().filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    const onTable = dynamo.filter((s) => JSON.stringify(resourcesOf(s)) === JSON.stringify([tableArn]));
    expect(onTable.flatMap(actionsOf).sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
    expect(dynamo.filter((s) => JSON.stringify(s.Resource).includes('/index/'))).toEqual([]);
    const onStream = dynamo.filter((s) => JSON.stringify(s.Resource).includes('StreamArn'));
    expect(onStream.flatMap(actionsOf).sort()).toEqual([
      'dynamodb:DescribeStream',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
      'dynamodb:ListStreams',
    ]);
    expect(dynamo).toHaveLength(onTable.length + onStream.length);
  });

  it('reads the Slack bot token and no other secret, and publishes nothing', () => {
    expect(
      statements()
        .filter((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'))
        .flatMap(resourcesOf),
    ).toEqual([{ Ref: id('Secrets/SLACK_BOT_TOKEN') }]);
    expect(statements().filter((s) => actionsOf(s).some((a) => a.startsWith('sns:')))).toEqual([]);
  });

  it('emits its metrics as EMF in its logs: no CloudWatch API permission', () => {
    expect(
      statements()
        .flatMap(actionsOf)
        .filter((a) => a.startsWith('cloudwatch:')),
    ).toEqual([]);
  });

  it('consumes task changes only (so its own AGG# writes never come back), with partial failures and its own queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: id('Aggregator/Function') },
      EventSourceArn: { 'Fn::GetAtt': [id('Store/Table'), 'StreamArn'] },
      FilterCriteria: { Filters: [{ Pattern: '{"dynamodb":{"Keys":{"sk":{"S":["TASK"]}}}}' }] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      MaximumRecordAgeInSeconds: 3600,
      // Batches gather for up to 5 s: a burst costs one write per item, not one per record.
      MaximumBatchingWindowInSeconds: 5,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [id('AggregatorFeed/Failures/Queue'), 'Arn'] } },
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
  });

  it('is watched: errors, throttles, falling behind, its failure queue, and Slack failures in its logs', () => {
    const names = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => a.Properties.AlarmName,
    );
    expect(names).toEqual(
      expect.arrayContaining([
        'Tms-aggregator-errors',
        'Tms-aggregator-throttles',
        'Tms-aggregator-behind',
        'Tms-aggregator-stream-failed',
      ]),
    );
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: id('Aggregator/Logs') },
      MetricTransformations: [{ MetricNamespace: 'TMS', MetricName: 'SlackApiFailures', MetricValue: '1' }],
    });
  });
});
