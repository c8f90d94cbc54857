import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../infra/constructs/function.js';
import { SLACK_FAILURE_MESSAGES } from '../../infra/constructs/observability.js';
import { logicalIdAt, synth } from './synth.js';

const { stack, template } = synth();
const id = (path: string) => logicalIdAt(stack, `Tms/${path}`);
const topic = { Ref: id('Notifications/Topic') };
const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
  (a) => a.Properties as Record<string, unknown>,
);
const alarm = (name: string) => alarms.find((a) => a.AlarmName === name);

/** Every .ts file under src/, for checking that what a metric filter looks for is still logged. */
function sourceText(): string {
  const read = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory()
        ? read(join(dir, entry.name))
        : entry.name.endsWith('.ts')
          ? [readFileSync(join(dir, entry.name), 'utf8')]
          : [],
    );
  return read(join(REPO_ROOT, 'src')).join('\n');
}

describe('alarms, all to the notification topic (and back to OK)', () => {
  it('names every alarm, each with its action', () => {
    const required = [
      ...['api', 'ingest', 'bot', 'events', 'cards', 'sweeper', 'processor', 'dead-letters'].flatMap((f) => [
        `Tms-${f}-errors`,
        `Tms-${f}-throttles`,
      ]),
      'Tms-cards-behind',
      'Tms-cards-stream-failed',
      'Tms-processor-behind',
      'Tms-ingest-failed',
      'Tms-bot-jobs-failed',
      'Tms-aws-events-failed',
      'Tms-slack-api-failures',
      'Tms-sla-breaches',
      'Tms-api-5xx',
    ];
    // The stream aggregator's, once its handler is in src/ (test/infra/aggregator.test.ts asserts them).
    const aggregator = ['errors', 'throttles', 'behind', 'stream-failed'].map((a) => `Tms-aggregator-${a}`);
    // The live updates' functions and their stream consumer (infra/constructs/live-api.ts).
    const live = [
      ...['live-connect', 'live-messages', 'live'].flatMap((f) => [`Tms-${f}-errors`, `Tms-${f}-throttles`]),
      'Tms-live-behind',
      'Tms-live-stream-failed',
    ];
    // Escalation's functions, its stream consumer and its state machine (test/infra/escalation.test.ts).
    const escalation = [
      ...['escalation-step', 'escalations'].flatMap((f) => [`Tms-${f}-errors`, `Tms-${f}-throttles`]),
      'Tms-escalations-behind',
      'Tms-escalations-stream-failed',
      'Tms-escalation-executions-failed',
      'Tms-escalation-executions-timed-out',
    ];
    const names = alarms.map((a) => a.AlarmName as string);
    expect(names).toEqual(expect.arrayContaining([...required, ...live, ...escalation]));
    expect(
      names.filter(
        (n) =>
          !required.includes(n) && !aggregator.includes(n) && !live.includes(n) && !escalation.includes(n),
      ),
    ).toEqual([]);
    for (const a of alarms) {
      expect(a.AlarmActions, a.AlarmName as string).toEqual([topic]);
      expect(a.OKActions, a.AlarmName as string).toEqual([topic]);
      expect(a.TreatMissingData).toBe('notBreaching');
    }
  });

  it.each([
    ['Api', 'api'],
    ['Ingest', 'ingest'],
    ['Bot', 'bot'],
    ['Events', 'events'],
    ['Cards', 'cards'],
    ['Sweeper', 'sweeper'],
    ['Processor', 'processor'],
    ['DeadLetters', 'dead-letters'],
  ])('watches %s for errors and throttles', (name, alarmName) => {
    for (const metric of ['Errors', 'Throttles'])
      expect(alarm(`Tms-${alarmName}-${metric.toLowerCase()}`)).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: metric,
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: id(`${name}/Function`) } }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
      });
  });

  it('says when the card projector falls five minutes behind the stream', () => {
    expect(alarm('Tms-cards-behind')).toMatchObject({
      MetricName: 'IteratorAge',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: id('Cards/Function') } }],
      Statistic: 'Maximum',
      Threshold: 300_000,
    });
  });

  it('says when anything waits in the ingest dead-letter queue, as for every failure queue', () => {
    expect(alarm('Tms-ingest-failed')).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': [id('IngestQueue/DeadLetters/Queue'), 'QueueName'] } },
      ],
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('says when an accepted alert has waited five minutes in the ingest queue (a failing message is no Lambda error)', () => {
    expect(alarm('Tms-processor-behind')).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [id('IngestQueue/Queue'), 'QueueName'] } }],
      Statistic: 'Maximum',
      Threshold: 300,
    });
  });

  it('counts Slack API failures from the log lines of the functions that call Slack', () => {
    const filters = Object.values(template.findResources('AWS::Logs::MetricFilter')).map((f) => f.Properties);
    expect(filters.map((f) => f.LogGroupName)).toEqual(
      expect.arrayContaining(['Bot', 'Cards', 'Sweeper'].map((name) => ({ Ref: id(`${name}/Logs`) }))),
    );
    for (const name of ['Api', 'Ingest', 'Events'])
      expect(filters.map((f) => f.LogGroupName)).not.toContainEqual({ Ref: id(`${name}/Logs`) });
    for (const filter of filters) {
      expect(filter.MetricTransformations).toEqual([
        { MetricNamespace: 'TMS', MetricName: 'SlackApiFailures', MetricValue: '1' },
      ]);
      for (const message of SLACK_FAILURE_MESSAGES)
        expect(filter.FilterPattern).toContain(`($.message = "${message}")`);
    }
    expect(alarm('Tms-slack-api-failures')).toMatchObject({
      Namespace: 'TMS',
      MetricName: 'SlackApiFailures',
      Statistic: 'Sum',
      Threshold: 10,
    });
  });

  it('looks for messages the code still logs', () => {
    const src = sourceText();
    for (const message of SLACK_FAILURE_MESSAGES) expect(src, message).toContain(`'${message}'`);
  });

  it('alarms on SLA breaches: the EMF metric TMS/SlaBreached with the Powertools service dimension', () => {
    expect(alarm('Tms-sla-breaches')).toMatchObject({
      Namespace: 'TMS',
      MetricName: 'SlaBreached',
      Dimensions: [{ Name: 'service', Value: 'tms' }],
      Statistic: 'Sum',
      Threshold: 1,
    });
  });

  it('alarms on the API answering 5xx', () => {
    expect(alarm('Tms-api-5xx')).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Dimensions: [{ Name: 'ApiId', Value: { Ref: id('Http/Api') } }],
      Threshold: 5,
    });
  });
});

describe('the dashboard', () => {
  it('shows functions, the API, the stream, the ingest queue, DynamoDB, failure queues, Slack failures and SLA breaches', () => {
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'Tms' });
    const body = JSON.stringify(
      Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]?.Properties.DashboardBody,
    );
    for (const title of [
      'Invocations',
      'Errors and throttles',
      'Duration p95 (ms)',
      'HTTP API',
      'Stream consumers behind (ms)',
      'Ingest queue',
      'DynamoDB capacity consumed',
      'Waiting in failure queues',
      'Slack API failures',
      'SLA breaches',
    ])
      expect(body).toContain(`\\"title\\":\\"${title}\\"`);
    for (const metric of [
      'ApproximateNumberOfMessagesVisible',
      'ApproximateNumberOfMessagesNotVisible',
      'ApproximateAgeOfOldestMessage',
    ])
      expect(body).toContain(`[\\"AWS/SQS\\",\\"${metric}\\",\\"QueueName\\",\\"`);
    template.hasOutput('DashboardUrl', { Value: Match.anyValue() });
  });
});

describe('tracing', () => {
  it('is off on every function, and no role but the escalation state machine’s may write to X-Ray: no SDK client is instrumented yet', () => {
    const functions = Object.entries(template.findResources('AWS::Lambda::Function'));
    expect(functions.length).toBeGreaterThan(0);
    for (const [fnId, fn] of functions) expect(fn.Properties.TracingConfig, fnId).toBeUndefined();
    // Step Functions traces its own executions (each state, each Lambda invoke) without any SDK instrumented.
    const machines = (policy: { [key: string]: { Roles?: unknown } }) =>
      JSON.stringify(policy.Properties?.Roles) === JSON.stringify([{ Ref: id('Escalation/Role') }]);
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    expect(policies.filter(machines)).toHaveLength(1);
    const actions = policies
      .filter((policy) => !machines(policy))
      .flatMap((policy) =>
        (policy.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap(
          (s) => s.Action,
        ),
      );
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.filter((a) => a.startsWith('xray:'))).toEqual([]);
  });
});
