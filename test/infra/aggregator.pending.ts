/**
 * The stream aggregator's function. Its handler, src/jobs/aggregator.ts, lands on another branch; the stack
 * defines the function as soon as the file exists. Once it does, rename this file to aggregator.test.ts
 * (vitest runs test/**\/*.test.ts only) and these assertions run with the others.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { AGGREGATOR_ENTRY } from '../../infra/stack.js';
import { actionsOf, logicalIdAt, resourcesOf, statementsOf, synth } from './synth.js';

const { stack, template } = synth();
const id = (path: string) => logicalIdAt(stack, `Tms/${path}`);
const tableArn = { 'Fn::GetAtt': [id('Store/Table'), 'Arn'] };
const statements = () => statementsOf(template, id('Aggregator/Role'));

describe('the stream aggregator', () => {
  it('runs src/jobs/aggregator.ts from the house construct: Node 22, arm64, traced, the bundled config', () => {
    expect(AGGREGATOR_ENTRY).toBe('src/jobs/aggregator.ts');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Tags: Match.arrayWith([{ Key: 'tms:handler', Value: 'src/jobs/aggregator.ts' }]),
      Handler: 'index.handler',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      Role: { 'Fn::GetAtt': [id('Aggregator/Role'), 'Arn'] },
      LoggingConfig: { LogGroup: { Ref: id('Aggregator/Logs') } },
      Environment: {
        Variables: Match.objectLike({
          TMS_TABLE: { Ref: id('Store/Table') },
          TMS_CONFIG: '/var/task/tms.config.yaml',
          TMS_NOTIFY_TOPIC_ARN: { Ref: id('Notifications/Topic') },
          SLACK_BOT_TOKEN_SECRET_ARN: { Ref: id('Secrets/SLACK_BOT_TOKEN') },
          POWERTOOLS_SERVICE_NAME: 'tms',
          POWERTOOLS_METRICS_NAMESPACE: 'TMS',
        }),
      },
    });
  });

  it('may get, put, update and query the table and query gsi1, and nothing else on DynamoDB but its stream', () => {
    const dynamo = statements().filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    const onTable = dynamo.filter((s) => JSON.stringify(resourcesOf(s)) === JSON.stringify([tableArn]));
    expect(onTable.flatMap(actionsOf).sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
    expect(dynamo.filter((s) => JSON.stringify(s.Resource).includes('/index/'))).toEqual([
      {
        Effect: 'Allow',
        Action: 'dynamodb:Query',
        Resource: { 'Fn::Join': ['', [tableArn, '/index/gsi1']] },
      },
    ]);
    const onStream = dynamo.filter((s) => JSON.stringify(s.Resource).includes('StreamArn'));
    expect(onStream.flatMap(actionsOf).sort()).toEqual([
      'dynamodb:DescribeStream',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
      'dynamodb:ListStreams',
    ]);
    expect(dynamo).toHaveLength(onTable.length + 1 + onStream.length);
  });

  it('reads the Slack bot token and no other secret; publishes to the notification topic only', () => {
    expect(
      statements()
        .filter((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'))
        .flatMap(resourcesOf),
    ).toEqual([{ Ref: id('Secrets/SLACK_BOT_TOKEN') }]);
    expect(statements().filter((s) => actionsOf(s).some((a) => a.startsWith('sns:')))).toEqual([
      { Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: id('Notifications/Topic') } },
    ]);
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
