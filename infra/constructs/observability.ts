import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  Metric,
  SingleValueWidget,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { FilterPattern, MetricFilter } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { FailureQueue } from './failure-queue.js';
import type { TmsFunction } from './function.js';
import type { TmsHttpApi } from './http-api.js';
import type { IngestQueue } from './ingest-queue.js';

/** TMS's own metrics. */
export const METRICS_NAMESPACE = 'TMS';
/** Powertools Metrics adds `service` from POWERTOOLS_SERVICE_NAME to what it emits (EMF). */
export const METRICS_DIMENSIONS = { service: 'tms' } as const;
/** A task's SLA window ran out: EMF from the sweeper/aggregator, one per breach. */
export const SLA_BREACHED = 'SlaBreached';
/** A Slack Web API call (or response_url post) that failed, counted from the handlers' log lines. */
export const SLACK_API_FAILURES = 'SlackApiFailures';

/**
 * The messages the code logs (Powertools Logger, JSON, the text in `message`) when Slack refused or could not
 * be reached. test/infra checks that each is still logged by src/.
 */
export const SLACK_FAILURE_MESSAGES = [
  'card not brought up to date; will retry',
  'card message is gone; posting it again',
  'chat.getPermalink failed',
  'cannot post the card in its channel',
  'users.info failed; naming the user by id',
  'usergroups.users.list failed',
  'views.open failed',
  'chat.postEphemeral failed',
  'SLA warning not sent; the next sweep tries again',
  'trend not posted; the next sweep tries again',
  'digest not posted; the next sweep tries again',
  'response_url refused the reply',
  'response_url could not be reached',
  'escalation recipient refused by Slack; passed over',
  'escalation user group unknown to Slack',
] as const;

export interface ObservabilityProps {
  /** Every function, by the name alarms and the dashboard give it. */
  readonly functions: Readonly<Record<string, TmsFunction>>;
  /** The functions that call Slack: their logs are counted for Slack failures. */
  readonly slackCallers: readonly TmsFunction[];
  /** The stream consumers: their iterator age says whether they keep up. */
  readonly streamConsumers: readonly TmsFunction[];
  /** The queue between accepting a delivery and recording its alerts: how long its oldest message waits. */
  readonly ingestQueue: IngestQueue;
  readonly failureQueues: readonly FailureQueue[];
  readonly api: TmsHttpApi;
  readonly table: TableV2;
  /**
   * The state machines (escalation), by the name their alarms give them: an execution that failed or timed
   * out. Not one aborted: an acknowledgement stops its task's execution on purpose.
   */
  readonly stateMachines?: Readonly<Record<string, IStateMachine>>;
  /** Where alarms go (and their return to OK). */
  readonly alarmTopic: ITopic;
  /** Every alarm name begins so; the EventBridge rule leaves these out of TMS's own input. */
  readonly alarmPrefix: string;
}

/**
 * What tells an operator TMS is healthy: alarms to the notification topic on handler errors and throttles,
 * stream consumers and the ingest processor falling behind, anything in a failure queue, Slack refusing, the API failing, and SLA
 * breaches; and one dashboard with the same metrics side by side.
 */
export class Observability extends Construct {
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;
  readonly slackFailures: Metric;
  readonly slaBreaches: Metric;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const action = new SnsAction(props.alarmTopic);
    const alarm = (name: string, description: string, metric: IMetric, threshold = 1) => {
      const created = new Alarm(this, name, {
        alarmName: `${props.alarmPrefix}${name}`,
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(action);
      created.addOkAction(action);
      this.alarms.push(created);
      return created;
    };
    const fiveMinutes = { period: Duration.minutes(5) };

    for (const [name, fn] of Object.entries(props.functions)) {
      alarm(
        `${name}-errors`,
        `The ${name} function failed (an invocation threw or timed out).`,
        fn.fn.metricErrors({ ...fiveMinutes, statistic: 'Sum' }),
      );
      alarm(
        `${name}-throttles`,
        `The ${name} function was throttled: concurrency is exhausted.`,
        fn.fn.metricThrottles({ ...fiveMinutes, statistic: 'Sum' }),
      );
    }
    for (const fn of props.streamConsumers) {
      const name = Object.entries(props.functions).find(([, f]) => f === fn)?.[0] ?? fn.node.id;
      alarm(
        `${name}-behind`,
        `The ${name} stream consumer is more than five minutes behind the table's changes.`,
        fn.fn.metric('IteratorAge', { ...fiveMinutes, statistic: 'Maximum' }),
        5 * 60_000,
      );
    }
    // Partial batch responses keep a failing message out of the processor's Errors: its age tells instead.
    const processorName =
      Object.entries(props.functions).find(([, f]) => f === props.ingestQueue.processor)?.[0] ??
      props.ingestQueue.processor.node.id;
    const ingestAge = props.ingestQueue.queue.metricApproximateAgeOfOldestMessage({
      ...fiveMinutes,
      statistic: 'Maximum',
    });
    alarm(
      `${processorName}-behind`,
      'An accepted alert has waited five minutes in the ingest queue to become a task: the processor fails on it (it is retried, then dead-lettered) or does not keep up.',
      ingestAge,
      5 * 60,
    );
    for (const failures of props.failureQueues) {
      alarm(
        `${failures.name}-failed`,
        `Something failed for good and waits in its failure queue: ${failures.holds}.`,
        failures.queue.metricApproximateNumberOfMessagesVisible({ ...fiveMinutes, statistic: 'Maximum' }),
      );
    }

    const machines = Object.entries(props.stateMachines ?? {});
    for (const [name, machine] of machines) {
      alarm(
        `${name}-executions-failed`,
        `The ${name} state machine: an execution failed, as a step failed after its retries (the task's timeline has the error, its escalation ended) or recording that failure did.`,
        machine.metricFailed({ ...fiveMinutes, statistic: 'Sum' }),
      );
      alarm(
        `${name}-executions-timed-out`,
        `The ${name} state machine: an execution timed out, as it ran the longest Step Functions lets it, or a state did.`,
        machine.metricTimedOut({ ...fiveMinutes, statistic: 'Sum' }),
      );
    }

    this.slackFailures = new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: SLACK_API_FAILURES,
      statistic: 'Sum',
      ...fiveMinutes,
    });
    const slackLines = FilterPattern.any(
      ...SLACK_FAILURE_MESSAGES.map((message) => FilterPattern.stringValue('$.message', '=', message)),
    );
    props.slackCallers.forEach((fn, i) => {
      new MetricFilter(this, `SlackFailures${i}`, {
        logGroup: fn.logGroup,
        filterPattern: slackLines,
        metricNamespace: METRICS_NAMESPACE,
        metricName: SLACK_API_FAILURES,
        metricValue: '1',
      });
    });
    alarm(
      'slack-api-failures',
      'Slack refused or could not be reached at least 10 times in 5 minutes (rate limits, revoked token, channels): cards are retried, but look.',
      this.slackFailures,
      10,
    );

    this.slaBreaches = new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: SLA_BREACHED,
      dimensionsMap: METRICS_DIMENSIONS,
      statistic: 'Sum',
      ...fiveMinutes,
    });
    alarm('sla-breaches', 'A task ran past its time to acknowledge or to resolve.', this.slaBreaches);

    alarm(
      'api-5xx',
      'The HTTP API answered 5xx at least 5 times in 5 minutes.',
      props.api.api.metricServerError({ ...fiveMinutes, statistic: 'Sum' }),
      5,
    );

    const fns = Object.entries(props.functions);
    const perFunction = (metric: (fn: TmsFunction) => IMetric) => fns.map(([, fn]) => metric(fn));
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.alarmPrefix.replace(/-$/, ''),
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: '# TMS\nAlerts in, tasks worked in Slack. Alarms go to the notification topic.',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Invocations',
        left: perFunction((fn) => fn.fn.metricInvocations({ ...fiveMinutes, label: fn.node.id })),
        width: 8,
      }),
      new GraphWidget({
        title: 'Errors and throttles',
        left: perFunction((fn) => fn.fn.metricErrors({ ...fiveMinutes, label: `${fn.node.id} errors` })),
        right: perFunction((fn) =>
          fn.fn.metricThrottles({ ...fiveMinutes, label: `${fn.node.id} throttles` }),
        ),
        width: 8,
      }),
      new GraphWidget({
        title: 'Duration p95 (ms)',
        left: perFunction((fn) =>
          fn.fn.metricDuration({ ...fiveMinutes, statistic: 'p95', label: fn.node.id }),
        ),
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'HTTP API',
        left: [
          props.api.api.metricCount({ ...fiveMinutes, label: 'requests' }),
          props.api.api.metricClientError({ ...fiveMinutes, label: '4xx' }),
          props.api.api.metricServerError({ ...fiveMinutes, label: '5xx' }),
        ],
        right: [props.api.api.metricLatency({ ...fiveMinutes, statistic: 'p95', label: 'latency p95' })],
        width: 6,
      }),
      new GraphWidget({
        title: 'Stream consumers behind (ms)',
        left: props.streamConsumers.map((fn) =>
          fn.fn.metric('IteratorAge', { ...fiveMinutes, statistic: 'Maximum', label: fn.node.id }),
        ),
        width: 6,
      }),
      new GraphWidget({
        title: 'Ingest queue',
        left: [
          props.ingestQueue.queue.metricApproximateNumberOfMessagesVisible({
            ...fiveMinutes,
            statistic: 'Maximum',
            label: 'waiting',
          }),
          props.ingestQueue.queue.metricApproximateNumberOfMessagesNotVisible({
            ...fiveMinutes,
            statistic: 'Maximum',
            label: 'being processed',
          }),
        ],
        right: [ingestAge.with({ label: 'oldest waiting (s)' })],
        width: 6,
      }),
      new GraphWidget({
        title: 'DynamoDB capacity consumed',
        left: [props.table.metricConsumedReadCapacityUnits({ ...fiveMinutes, label: 'read units' })],
        right: [props.table.metricConsumedWriteCapacityUnits({ ...fiveMinutes, label: 'write units' })],
        width: 6,
      }),
    );
    this.dashboard.addWidgets(
      new SingleValueWidget({
        title: 'Waiting in failure queues',
        metrics: props.failureQueues.map((failures) =>
          failures.queue.metricApproximateNumberOfMessagesVisible({
            statistic: 'Maximum',
            label: failures.name,
          }),
        ),
        width: 8,
      }),
      new GraphWidget({ title: 'Slack API failures', left: [this.slackFailures], width: 8 }),
      new GraphWidget({ title: 'SLA breaches', left: [this.slaBreaches], width: 8 }),
    );
    if (machines.length > 0)
      this.dashboard.addWidgets(
        new GraphWidget({
          title: 'Escalation executions',
          // Stopped: acknowledged or resolved while escalating, which is the point.
          left: machines.flatMap(([name, machine]) => [
            machine.metricStarted({ ...fiveMinutes, label: `${name} started` }),
            machine.metricSucceeded({ ...fiveMinutes, label: `${name} finished` }),
            machine.metricAborted({ ...fiveMinutes, label: `${name} stopped` }),
          ]),
          right: machines.flatMap(([name, machine]) => [
            machine.metricFailed({ ...fiveMinutes, label: `${name} failed` }),
            machine.metricTimedOut({ ...fiveMinutes, label: `${name} timed out` }),
          ]),
          width: 24,
        }),
      );
  }
}
