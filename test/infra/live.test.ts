import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { TABLE } from '../../src/adapters/dynamo/table.js';
import { TASK_ITEMS } from '../../src/jobs/stream-consumers.js';
import { actionsOf, logicalIdAt, resourcesOf, statementsOf, synth } from './synth.js';

const { stack, template } = synth();
const id = (path: string) => logicalIdAt(stack, `Tms/${path}`);
const resources = template.toJSON().Resources as Record<
  string,
  { Type: string; Properties: Record<string, unknown> }
>;
const apiId = id('Live/Api');
const tableArn = { 'Fn::GetAtt': [id('Store/Table'), 'Arn'] };
/** This API's own stage's connections, POST (PostToConnection) only. */
const connectionsArn = {
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':execute-api:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      ':',
      { Ref: apiId },
      '/live/POST/@connections/*',
    ],
  ],
};
const envOf = (path: string) =>
  (resources[id(path)]?.Properties.Environment as { Variables: Record<string, unknown> } | undefined)
    ?.Variables ?? {};
const grants = (name: string) =>
  statementsOf(template, id(`Live/${name}/Role`)).filter(
    (s) => !actionsOf(s).some((a) => a.startsWith('logs:')),
  );
const integrationOf = (routeKey: string) => {
  const route = Object.values(resources).find(
    (r) => r.Type === 'AWS::ApiGatewayV2::Route' && r.Properties.RouteKey === routeKey,
  );
  const target = JSON.stringify(route?.Properties.Target);
  const integration = Object.entries(resources).find(([key]) => target.includes(key))?.[1];
  return JSON.stringify(integration?.Properties.IntegrationUri);
};

describe('the live updates’ WebSocket API', () => {
  it('routes $connect and $disconnect to the function that keeps connections, $default to the one that answers', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 2);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'WEBSOCKET',
      RouteSelectionExpression: '$request.body.action',
    });
    const routes = Object.values(resources)
      .filter(
        (r) => r.Type === 'AWS::ApiGatewayV2::Route' && JSON.stringify(r.Properties.ApiId).includes(apiId),
      )
      .map((r) => r.Properties.RouteKey)
      .sort();
    expect(routes).toEqual(['$connect', '$default', '$disconnect']);
    const connectFn = id('Live/Connect/Function');
    const messagesFn = id('Live/Messages/Function');
    expect(integrationOf('$connect')).toContain(connectFn);
    expect(integrationOf('$disconnect')).toContain(connectFn);
    expect(integrationOf('$default')).toContain(messagesFn);
    // Both run the same handler file, each with only its own grants.
    for (const name of ['Connect', 'Messages'])
      template.hasResourceProperties('AWS::Lambda::Function', {
        Role: { 'Fn::GetAtt': [id(`Live/${name}/Role`), 'Arn'] },
        Tags: Match.arrayWith([{ Key: 'tms:handler', Value: 'src/handlers/live.ts' }]),
      });
  });

  it('is throttled and logs each connection and message as JSON, never the query string (the ID token)', () => {
    const stage = resources[id('Live/Stage')]?.Properties as {
      StageName: string;
      AutoDeploy: boolean;
      DefaultRouteSettings: { ThrottlingRateLimit: number; ThrottlingBurstLimit: number };
      AccessLogSettings: { DestinationArn: unknown; Format: string };
    };
    expect(stage.StageName).toBe('live');
    expect(stage.AutoDeploy).toBe(true);
    expect(stage.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
    expect(stage.AccessLogSettings.DestinationArn).toEqual({ 'Fn::GetAtt': [id('Live/AccessLogs'), 'Arn'] });
    const format = JSON.parse(stage.AccessLogSettings.Format) as Record<string, string>;
    expect(format).toMatchObject({ routeKey: '$context.routeKey', connectionId: '$context.connectionId' });
    expect(stage.AccessLogSettings.Format).not.toMatch(/querystring|token|\$context\.path/i);
    expect(resources[id('Live/AccessLogs')]?.Properties).toMatchObject({ RetentionInDays: 30 });
  });

  it('keeps connections in the table, which expires them by its TTL attribute (the one the live store sets)', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true },
    });
  });

  it('lets $connect verify Cognito ID tokens of the pool and app client, and keep or forget a connection only', () => {
    const env = envOf('Live/Connect/Function');
    expect(env.TMS_COGNITO_USER_POOL_ID).toEqual({ Ref: id('Users/Pool') });
    expect(env.TMS_COGNITO_CLIENT_ID).toEqual({ Ref: id('Users/Pool/Api') });
    expect(grants('Connect')).toEqual([
      { Effect: 'Allow', Action: ['dynamodb:PutItem', 'dynamodb:DeleteItem'], Resource: tableArn },
    ]);
  });

  it('lets $default read its connection, move its expiry on, read the catch-up log and tasks, and post to connections', () => {
    expect(grants('Messages')).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
        Resource: tableArn,
      },
      { Effect: 'Allow', Action: 'execute-api:ManageConnections', Resource: connectionsArn },
    ]);
  });

  it('gives the pusher the log’s writes, the connections’ query and deletes, and PostToConnection on this stage only', () => {
    const statements = grants('Pusher');
    const onTable = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    const streamReads = onTable.filter((s) => JSON.stringify(resourcesOf(s)).includes('StreamArn'));
    expect(onTable.filter((s) => !streamReads.includes(s))).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:BatchWriteItem', 'dynamodb:Query', 'dynamodb:DeleteItem'],
        Resource: tableArn,
      },
    ]);
    // No index: it lists no tasks.
    expect(JSON.stringify(statements)).not.toContain('/index/');
    expect(statements.filter((s) => actionsOf(s).some((a) => a.startsWith('execute-api:')))).toEqual([
      { Effect: 'Allow', Action: 'execute-api:ManageConnections', Resource: connectionsArn },
    ]);
    const env = envOf('Live/Pusher/Function');
    expect(JSON.stringify(env.TMS_LIVE_CALLBACK_URL)).toContain(apiId);
  });

  it('feeds the pusher the task items of the stream at once, trend episodes and sent SLA warnings, as the local stack does', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: id('Live/Pusher/Function') },
      EventSourceArn: { 'Fn::GetAtt': [id('Store/Table'), 'StreamArn'] },
      FilterCriteria: {
        Filters: [
          { Pattern: JSON.stringify(TASK_ITEMS) },
          { Pattern: '{"dynamodb":{"Keys":{"pk":{"S":["AGG#TRENDS"]}}}}' },
          {
            Pattern:
              '{"dynamodb":{"Keys":{"pk":{"S":[{"prefix":"SEEN#sla-warning#"}]}},"NewImage":{"state":{"S":["done"]}}}}',
          },
        ],
      },
      MaximumBatchingWindowInSeconds: 0,
      // Small batches: each is sent to every connection within the pusher's timeout.
      BatchSize: 25,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [id('Live/Feed/Failures/Queue'), 'Arn'] } },
      },
    });
  });

  it('tells the api function and the stack outputs the WebSocket URL', () => {
    const env = envOf('Api/Function');
    const url = JSON.stringify(env.TMS_LIVE_URL);
    expect(url).toContain('wss://');
    expect(url).toContain(apiId);
    expect(JSON.stringify(template.toJSON().Outputs.LiveUrl.Value)).toBe(url);
  });
});
