import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { createTmsApp } from '../../infra/tms-app.js';
import { configFile, FAST, logicalIdAt, NO_BUNDLING, synth } from './synth.js';

const ACCOUNT = '111111111111';
const CONFIG = configFile(`
services:
  checkout:
    match:
      logGroups: ["/aws/lambda/checkout-api", "/aws/lambda/checkout-*"]
    logPatterns: ["ERROR", "Timeout exceeded"]
  search:
    match:
      logGroups: ["/ecs/search"]
notifications: { sns: { emails: [ana@example.com, ben@example.com] } }
sources:
  cloudwatch:
    topics:
      - arn:aws:sns:eu-west-1:${ACCOUNT}:alarms
      - arn:aws:sns:us-east-1:${ACCOUNT}:billing-alarms
      - arn:aws:sns:eu-west-1:222222222222:their-alarms
      - arn:aws:sns:*:${ACCOUNT}:alarms
      - arn:aws:sns:eu-west-1:${ACCOUNT}:team-*
`);
const EXTRA_LOG_GROUP = '/aws/rds/instance/db1/error';

describe('CloudWatch alarms of this account reach the events function directly', () => {
  const { stack, template } = synth({ configPath: CONFIG });
  const id = (path: string) => logicalIdAt(stack, `Tms/${path}`);

  it('takes every "CloudWatch Alarm State Change" from EventBridge, except TMS’s own alarms', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: { alarmName: [{ 'anything-but': { prefix: 'Tms-' } }] },
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [id('Events/Function'), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 3600 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [id('EventsFailures/Queue'), 'Arn'] } },
        }),
      ],
    });
    // Every TMS alarm name carries the prefix the rule leaves out.
    for (const [name, alarm] of Object.entries(template.findResources('AWS::CloudWatch::Alarm')))
      expect(alarm.Properties.AlarmName, name).toMatch(/^Tms-/);
  });

  it('subscribes the concrete alarm topics of the config; the account is compared at deploy when unknown at synth', () => {
    const subscriptions = Object.values(
      template.findResources('AWS::SNS::Subscription', {
        Properties: { Protocol: 'lambda' },
      }),
    );
    expect(subscriptions.map((s) => s.Properties.TopicArn).sort()).toEqual([
      `arn:aws:sns:eu-west-1:${ACCOUNT}:alarms`,
      'arn:aws:sns:eu-west-1:222222222222:their-alarms',
      `arn:aws:sns:us-east-1:${ACCOUNT}:billing-alarms`,
    ]);
    const conditions = template.toJSON().Conditions as Record<string, unknown>;
    for (const subscription of subscriptions) {
      const account = (subscription.Properties.TopicArn as string).split(':')[4];
      expect(subscription.Properties).toMatchObject({
        Endpoint: { 'Fn::GetAtt': [id('Events/Function'), 'Arn'] },
        Region: (subscription.Properties.TopicArn as string).split(':')[3],
      });
      expect(conditions[subscription.Condition as string]).toEqual({
        'Fn::Equals': [account, { Ref: 'AWS::AccountId' }],
      });
      template.hasResource('AWS::Lambda::Permission', {
        Condition: subscription.Condition,
        Properties: {
          Action: 'lambda:InvokeFunction',
          Principal: 'sns.amazonaws.com',
          SourceArn: subscription.Properties.TopicArn,
          FunctionName: { 'Fn::GetAtt': [id('Events/Function'), 'Arn'] },
        },
      });
    }
  });

  it('decides at synth when the account is known: another account’s topic stays on HTTPS', () => {
    const { template: known } = synth({ configPath: CONFIG, env: { account: ACCOUNT, region: 'eu-west-1' } });
    const subscriptions = Object.values(
      known.findResources('AWS::SNS::Subscription', {
        Properties: { Protocol: 'lambda' },
      }),
    );
    expect(subscriptions.map((s) => s.Properties.TopicArn).sort()).toEqual([
      `arn:aws:sns:eu-west-1:${ACCOUNT}:alarms`,
      `arn:aws:sns:us-east-1:${ACCOUNT}:billing-alarms`,
    ]);
    for (const subscription of subscriptions) expect(subscription.Condition).toBeUndefined();
  });

  it('mails the config’s notification addresses', () => {
    for (const email of ['ana@example.com', 'ben@example.com'])
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: email,
        TopicArn: { Ref: id('Notifications/Topic') },
      });
  });
});

describe('log groups to watch: CloudWatch Logs subscriptions invoke the events function', () => {
  const { template } = synth({ configPath: CONFIG, logGroups: [EXTRA_LOG_GROUP] });
  const filters = Object.values(template.findResources('AWS::Logs::SubscriptionFilter'));
  const filterOf = (group: string) => filters.find((f) => f.Properties.LogGroupName === group);

  it('subscribes the concrete names of services.*.match.logGroups and the context’s list; a glob names no group', () => {
    expect(filters.map((f) => f.Properties.LogGroupName).sort()).toEqual(
      ['/aws/lambda/checkout-api', '/ecs/search', EXTRA_LOG_GROUP].sort(),
    );
  });

  it('sends only the lines the group’s service’s logPatterns can match (else the default patterns)', () => {
    expect(filterOf('/aws/lambda/checkout-api')?.Properties.FilterPattern).toBe(
      '?"ERROR" ?"Timeout exceeded"',
    );
    for (const group of ['/ecs/search', EXTRA_LOG_GROUP])
      expect(filterOf(group)?.Properties.FilterPattern).toBe(
        '?"ERROR" ?"FATAL" ?"Unhandled" ?"uncaught exception" ?"panic"',
      );
  });

  it('lets CloudWatch Logs invoke the function for those groups only', () => {
    const permissions = Object.values(
      template.findResources('AWS::Lambda::Permission', { Properties: { Principal: 'logs.amazonaws.com' } }),
    );
    expect(permissions).toHaveLength(3);
    for (const filter of filters)
      expect(filter.Properties.DestinationArn).toMatchObject({
        'Fn::GetAtt': [expect.stringMatching(/^EventsFunction/), 'Arn'],
      });
  });

  it('reads context logGroups as cdk.json’s list or -c a,b', () => {
    const fromCli = createTmsApp({
      ...FAST,
      context: { ...NO_BUNDLING, config: CONFIG, logGroups: `${EXTRA_LOG_GROUP}, /ecs/other` },
    });
    const groups = Object.values(
      Template.fromStack(fromCli.stack).findResources('AWS::Logs::SubscriptionFilter'),
    ).map((f) => f.Properties.LogGroupName);
    expect(groups.sort()).toEqual(
      ['/aws/lambda/checkout-api', '/ecs/other', '/ecs/search', EXTRA_LOG_GROUP].sort(),
    );
  });
});

describe('the sweeper, every minute on EventBridge Scheduler', () => {
  const { stack, template } = synth();
  const id = (path: string) => logicalIdAt(stack, `Tms/${path}`);

  it('runs on the minute, with a retry policy, through a role that may invoke the sweeper only', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 minute)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: {
        Arn: { 'Fn::GetAtt': [id('Sweeper/Function'), 'Arn'] },
        RoleArn: { 'Fn::GetAtt': [id('Sweep/Role'), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 },
      },
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ],
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: id('Sweep/Role') }],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'lambda:InvokeFunction',
            Resource: [
              { 'Fn::GetAtt': [id('Sweeper/Function'), 'Arn'] },
              { 'Fn::Join': ['', [{ 'Fn::GetAtt': [id('Sweeper/Function'), 'Arn'] }, ':*']] },
            ],
          },
        ],
      },
    });
    // One schedule invokes the sweeper; the other is the dead-letter monitor's (test/infra/dead-letters.test.ts).
    const targets = Object.values(template.findResources('AWS::Scheduler::Schedule')).map(
      (schedule) => schedule.Properties.Target.Arn,
    );
    expect(targets.filter((arn) => JSON.stringify(arn).includes(id('Sweeper/Function')))).toHaveLength(1);
  });
});

describe('the config is validated at synth with the code’s own parser, and bundled', () => {
  it('stops the synth on a mistake, naming the key and its line', () => {
    const bad = configFile('sla:\n  P1: { ack: 5m, resolve: 1h }\n  P2: { ack: 15 minutes, resolve: 4h }\n');
    expect(() => synth({ configPath: bad })).toThrow(
      /sla\.P2\.ack \(line 3\): "15 minutes" is not a duration/,
    );
  });

  it('refuses a config file that is not there rather than deploying defaults by accident', () => {
    expect(() => synth({ configPath: '/nonexistent/tms.config.yaml' })).toThrow(
      /The TMS config \/nonexistent\/tms.config.yaml cannot be read/,
    );
  });

  it('takes the file from context `config` (or TMS_CONFIG) and points every function at its bundled copy', () => {
    const { stack } = createTmsApp({ ...FAST, context: { ...NO_BUNDLING, config: CONFIG } });
    expect(stack.config.path).toBe(CONFIG);
    expect(stack.config.config.services.search).toBeDefined();
  });
});
