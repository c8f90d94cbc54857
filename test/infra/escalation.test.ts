/** Escalation on AWS (issue 19): the state machine, its step function, and its consumer of the table's stream. */
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ESCALATION_STEP_ENTRY, ESCALATIONS_STREAM_ENTRY } from '../../infra/constructs/escalation.js';
import { escalationDefinition, STEP_ARN_KEY, TASK_STATES } from '../../src/jobs/escalation-machine.js';
import { TASK_ITEMS } from '../../src/jobs/stream-consumers.js';
import { actionsOf, logicalIdAt, resourcesOf, statementsOf, synth } from './synth.js';

const { stack, template } = synth();
const id = (path: string) => logicalIdAt(stack, `Tms/${path}`);
type Resource = { Type: string; Properties: Record<string, unknown> };
const resources = template.toJSON().Resources as Record<string, Resource>;
const machineId = id('Escalation/Machine');
const machine = () => (resources[machineId] as Resource).Properties;
const stepId = id('Escalation/Step/Function');
const consumerId = id('Escalation/Consumer/Function');
const stepArn = { 'Fn::GetAtt': [stepId, 'Arn'] };
const tableArn = { 'Fn::GetAtt': [id('Store/Table'), 'Arn'] };
/** `arn:<partition>:states:<region>:<account>:<rest>`, as the template joins it. */
const statesArn = (rest: string) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':states:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      `:${rest}`,
    ],
  ],
});
const variables = (fnId: string) =>
  ((resources[fnId] as Resource).Properties as { Environment: { Variables: Record<string, unknown> } })
    .Environment.Variables;

describe('the escalation state machine', () => {
  it('is a standard state machine named after the stack, so a policy can name it before it exists', () => {
    expect(machine()).toMatchObject({
      StateMachineName: 'Tms-escalation',
      StateMachineType: 'STANDARD',
      RoleArn: { 'Fn::GetAtt': [id('Escalation/Role'), 'Arn'] },
    });
  });

  it('deploys exactly the definition of src/jobs/escalation-machine.ts, its step ARN substituted by CloudFormation', () => {
    const definition = machine().DefinitionString;
    expect(typeof definition).toBe('string');
    expect(JSON.parse(definition as string)).toEqual(escalationDefinition());
    expect(machine().DefinitionSubstitutions).toEqual({ [STEP_ARN_KEY]: stepArn });
    // Every Task state names the placeholder, so every one invokes the step function.
    const states = Object.values(JSON.parse(definition as string).States) as { Resource?: string }[];
    expect(states.filter((s) => s.Resource === `\${${STEP_ARN_KEY}}`)).toHaveLength(TASK_STATES.length);
  });

  it('logs every event to its own log group, without the executions’ data, and is traced', () => {
    expect(machine().LoggingConfiguration).toEqual({
      Destinations: [
        { CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [id('Escalation/Logs'), 'Arn'] } } },
      ],
      IncludeExecutionData: false,
      Level: 'ALL',
    });
    expect(resources[id('Escalation/Logs')]?.Properties).toEqual({ RetentionInDays: 30 });
    expect(machine().TracingConfiguration).toEqual({ Enabled: true });
  });

  it('runs as a role only Step Functions may assume, for this state machine of this account', () => {
    expect((resources[id('Escalation/Role')] as Resource).Properties.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'states.amazonaws.com' },
          Condition: {
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            ArnLike: { 'aws:SourceArn': statesArn('stateMachine:Tms-escalation') },
          },
        },
      ],
    });
  });

  it('may invoke the step function (and its versions) and nothing else; its logs and traces take "*" only', () => {
    const statements = statementsOf(template, id('Escalation/Role'));
    const invokes = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('lambda:')));
    expect(invokes).toEqual([
      {
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: [stepArn, { 'Fn::Join': ['', [stepArn, ':*']] }],
      },
    ]);
    const others = statements.filter((s) => !invokes.includes(s));
    for (const statement of others) expect(resourcesOf(statement)).toEqual(['*']);
    expect(others.flatMap(actionsOf).sort()).toEqual(
      [
        'logs:CreateLogDelivery',
        'logs:DeleteLogDelivery',
        'logs:DescribeLogGroups',
        'logs:DescribeResourcePolicies',
        'logs:GetLogDelivery',
        'logs:ListLogDeliveries',
        'logs:PutResourcePolicy',
        'logs:UpdateLogDelivery',
        'xray:GetSamplingRules',
        'xray:GetSamplingTargets',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ].sort(),
    );
  });
});

describe('the step function', () => {
  it('runs src/handlers/escalation-step.ts, well inside the Task states’ own timeout', () => {
    expect(ESCALATION_STEP_ENTRY).toBe('src/handlers/escalation-step.ts');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Tags: Match.arrayWith([{ Key: 'tms:handler', Value: ESCALATION_STEP_ENTRY }]),
      Role: { 'Fn::GetAtt': [id('Escalation/Step/Role'), 'Arn'] },
      Timeout: 30,
    });
    const timeout = (resources[stepId] as Resource).Properties.Timeout as number;
    const states = escalationDefinition().States as Record<string, { Type: string; TimeoutSeconds?: number }>;
    for (const name of TASK_STATES) expect(states[name]?.TimeoutSeconds, name).toBeGreaterThan(timeout);
  });

  it('reads and writes the task, its timeline and markers, queries the on-call overrides, and lists nothing', () => {
    const dynamo = statementsOf(template, id('Escalation/Step/Role')).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('dynamodb:')),
    );
    expect(dynamo).toEqual([
      {
        Effect: 'Allow',
        Action: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'Query'].map(
          (a) => `dynamodb:${a}`,
        ),
        Resource: tableArn,
      },
    ]);
  });

  it('pages through Slack (its bot token) and the notification topic, and starts or stops no execution', () => {
    const env = variables(stepId);
    expect(env.SLACK_BOT_TOKEN_SECRET_ARN).toEqual({ Ref: id('Secrets/SLACK_BOT_TOKEN') });
    expect(env.TMS_NOTIFY_TOPIC_ARN).toEqual({ Ref: id('Notifications/Topic') });
    expect(env).not.toHaveProperty('TMS_ESCALATION_STATE_MACHINE_ARN');
    const actions = statementsOf(template, id('Escalation/Step/Role')).flatMap(actionsOf);
    expect(actions).toContain('sns:Publish');
    expect(actions.filter((a) => a.startsWith('states:'))).toEqual([]);
  });
});

describe('the escalations consumer of the table’s stream', () => {
  it('runs src/handlers/escalations-stream.ts, told the state machine, its bot token and the topic', () => {
    expect(ESCALATIONS_STREAM_ENTRY).toBe('src/handlers/escalations-stream.ts');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Tags: Match.arrayWith([{ Key: 'tms:handler', Value: ESCALATIONS_STREAM_ENTRY }]),
      Role: { 'Fn::GetAtt': [id('Escalation/Consumer/Role'), 'Arn'] },
    });
    const env = variables(consumerId);
    expect(env.TMS_ESCALATION_STATE_MACHINE_ARN).toEqual({ Ref: machineId });
    expect(env.SLACK_BOT_TOKEN_SECRET_ARN).toEqual({ Ref: id('Secrets/SLACK_BOT_TOKEN') });
    expect(env.TMS_NOTIFY_TOPIC_ARN).toEqual({ Ref: id('Notifications/Topic') });
  });

  it('may start executions of this state machine only, and stop its executions only', () => {
    const states = statementsOf(template, id('Escalation/Consumer/Role')).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('states:')),
    );
    expect(states).toEqual([
      { Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: machineId } },
      {
        Effect: 'Allow',
        Action: 'states:StopExecution',
        Resource: statesArn('execution:Tms-escalation:*'),
      },
    ]);
  });

  it('is the only function that may start or stop an execution', () => {
    const roles = Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::IAM::Role')
      .map(([roleId]) => roleId);
    const starters = roles.filter((roleId) =>
      statementsOf(template, roleId).some((s) => actionsOf(s).some((a) => a.startsWith('states:'))),
    );
    expect(starters).toEqual([id('Escalation/Consumer/Role')]);
  });

  it('writes only markers and the page it sends on the task: no query, no index, no Scan', () => {
    const dynamo = statementsOf(template, id('Escalation/Consumer/Role')).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('dynamodb:')),
    );
    const onTable = dynamo.filter((s) => JSON.stringify(s.Resource) === JSON.stringify(tableArn));
    expect(onTable).toEqual([
      {
        Effect: 'Allow',
        Action: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'].map(
          (a) => `dynamodb:${a}`,
        ),
        Resource: tableArn,
      },
    ]);
    // The rest is reading the stream.
    for (const statement of dynamo.filter((s) => !onTable.includes(s)))
      expect(JSON.stringify(statement.Resource)).toContain('StreamArn');
  });

  it('gets task changes only, at once, reports its failed records, and gives up to a queue of its own', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: consumerId },
      EventSourceArn: { 'Fn::GetAtt': [id('Store/Table'), 'StreamArn'] },
      StartingPosition: 'LATEST',
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify(TASK_ITEMS) }] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      MaximumRecordAgeInSeconds: 3600,
      MaximumBatchingWindowInSeconds: 0,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [id('Escalation/Feed/Failures/Queue'), 'Arn'] } },
      },
    });
    // The step function is invoked by the state machine alone: no stream, no queue feeds it.
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'));
    expect(
      mappings.filter((m) => JSON.stringify(m.Properties.FunctionName) === JSON.stringify({ Ref: stepId })),
    ).toEqual([]);
  });
});

describe('alarms and the dashboard', () => {
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
    (a) => a.Properties as Record<string, unknown>,
  );
  const topic = { Ref: id('Notifications/Topic') };

  it.each([
    ['Tms-escalation-executions-failed', 'ExecutionsFailed'],
    ['Tms-escalation-executions-timed-out', 'ExecutionsTimedOut'],
  ])('%s: %s of the state machine, to the notification topic and back to OK', (name, metric) => {
    expect(alarms.find((a) => a.AlarmName === name)).toMatchObject({
      Namespace: 'AWS/States',
      MetricName: metric,
      Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: machineId } }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [topic],
      OKActions: [topic],
    });
  });

  it('does not alarm on stopped executions: an acknowledgement stops one on purpose', () => {
    expect(alarms.filter((a) => a.MetricName === 'ExecutionsAborted')).toEqual([]);
    expect(alarms.filter((a) => a.Namespace === 'AWS/States').map((a) => a.AlarmName)).toHaveLength(2);
  });

  it('watches both functions and the consumer’s place in the stream as every function’s', () => {
    const names = alarms.map((a) => a.AlarmName);
    for (const name of [
      'Tms-escalation-step-errors',
      'Tms-escalation-step-throttles',
      'Tms-escalations-errors',
      'Tms-escalations-throttles',
      'Tms-escalations-behind',
      'Tms-escalations-stream-failed',
    ])
      expect(names).toContain(name);
  });

  it('shows the executions on the dashboard', () => {
    const body = JSON.stringify(
      Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]?.Properties.DashboardBody,
    );
    expect(body).toContain('\\"title\\":\\"Escalation executions\\"');
    for (const metric of [
      'ExecutionsStarted',
      'ExecutionsSucceeded',
      'ExecutionsAborted',
      'ExecutionsFailed',
    ])
      expect(body).toContain(`[\\"AWS/States\\",\\"${metric}\\",\\"StateMachineArn\\",\\"`);
  });
});
