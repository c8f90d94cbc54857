import { CfnCondition, Duration, Fn, Stack, Token } from 'aws-cdk-lib';
import { Match, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { CfnPermission } from 'aws-cdk-lib/aws-lambda';
import { FilterPattern, LogGroup, SubscriptionFilter } from 'aws-cdk-lib/aws-logs';
import { LambdaDestination } from 'aws-cdk-lib/aws-logs-destinations';
import { type CfnSubscription, Subscription, SubscriptionProtocol, Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { Config } from '../../src/core/config.js';
import { logPatternsFor } from '../../src/ingest/sources/logs.js';
import type { FailureQueue } from './failure-queue.js';
import type { TmsFunction } from './function.js';

/** A name or ARN part that routes by glob (`checkout-*`) names no one resource, so nothing can be subscribed to it. */
const isGlob = (text: string) => text.includes('*');

/** The alarm topics of `sources.cloudwatch.topics` that can be subscribed: concrete ARNs, no glob in them. */
export function concreteTopicArns(config: Config): { arn: string; account: string; region: string }[] {
  return config.sources.cloudwatch.topics.flatMap((arn) => {
    const [, , service, region, account, name] = arn.split(':');
    if (service !== 'sns' || !region || !account || !name || isGlob(arn)) return [];
    return [{ arn, account, region }];
  });
}

/**
 * Log groups to subscribe: the concrete names of `services.*.match.logGroups` (globs route, but name no
 * group), and the groups the deployment names besides (context `logGroups`), once each.
 */
export function logGroupsToSubscribe(config: Config, extra: readonly string[] = []): string[] {
  const fromConfig = Object.values(config.services).flatMap((service) => service.match?.logGroups ?? []);
  return [...new Set([...fromConfig, ...extra])].filter((name) => !isGlob(name));
}

/**
 * The alert sources AWS delivers to the events function itself, with IAM as the proof of who sent it:
 * - EventBridge's "CloudWatch Alarm State Change" for every alarm of this account and region (TMS's own
 *   alarms excepted: they page through the notification topic, not through TMS);
 * - the alarm topics of `sources.cloudwatch.topics` that are concrete ARNs of this account, subscribed
 *   directly (SNS-to-Lambda); other accounts' topics keep delivering over HTTPS to /ingest/cloudwatch;
 * - a CloudWatch Logs subscription on each log group to watch, filtered to the lines its service's
 *   `logPatterns` can match, so quiet lines cost no invocation.
 * All three invoke asynchronously: Lambda retries, then the failure queue holds the event.
 */
export class AwsSources extends Construct {
  readonly alarmRule: Rule;
  readonly topicSubscriptions: Subscription[] = [];
  readonly logSubscriptions: SubscriptionFilter[] = [];

  constructor(
    scope: Construct,
    id: string,
    props: {
      readonly events: TmsFunction;
      readonly failures: FailureQueue;
      readonly config: Config;
      /** Log groups beyond the concrete names in the config. */
      readonly logGroups?: readonly string[];
      /** Alarm names that begin so are TMS's own. */
      readonly ownAlarmPrefix: string;
    },
  ) {
    super(scope, id);
    const { events, failures, config } = props;
    const stack = Stack.of(this);

    this.alarmRule = new Rule(this, 'AlarmStateChanges', {
      description: 'CloudWatch alarm state changes of this account and region, to TMS',
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        detail: { alarmName: Match.anythingButPrefix(props.ownAlarmPrefix) },
      },
      targets: [
        new LambdaFunction(events.fn, {
          retryAttempts: 4,
          maxEventAge: Duration.hours(1),
          deadLetterQueue: failures.queue,
        }),
      ],
    });

    // With the account known at synth the choice is made here; else CloudFormation makes it at deploy.
    const sameAccount = new Map<string, CfnCondition>();
    const conditionFor = (account: string) => {
      if (!Token.isUnresolved(stack.account)) return undefined;
      let condition = sameAccount.get(account);
      if (!condition) {
        condition = new CfnCondition(this, `Account${account}`, {
          expression: Fn.conditionEquals(account, stack.account),
        });
        sameAccount.set(account, condition);
      }
      return condition;
    };
    concreteTopicArns(config).forEach(({ arn, account, region }, i) => {
      if (!Token.isUnresolved(stack.account) && account !== stack.account) return;
      const condition = conditionFor(account);
      const subscription = new Subscription(this, `AlarmTopic${i}`, {
        topic: Topic.fromTopicArn(this, `Topic${i}`, arn),
        protocol: SubscriptionProtocol.LAMBDA,
        endpoint: events.fn.functionArn,
        region,
      });
      const permission = new CfnPermission(this, `AlarmTopic${i}Invokes`, {
        action: 'lambda:InvokeFunction',
        functionName: events.fn.functionArn,
        principal: 'sns.amazonaws.com',
        sourceArn: arn,
      });
      if (condition) {
        (subscription.node.defaultChild as CfnSubscription).cfnOptions.condition = condition;
        permission.cfnOptions.condition = condition;
      }
      this.topicSubscriptions.push(subscription);
    });

    logGroupsToSubscribe(config, props.logGroups).forEach((name, i) => {
      this.logSubscriptions.push(
        new SubscriptionFilter(this, `Logs${i}`, {
          logGroup: LogGroup.fromLogGroupName(this, `LogGroup${i}`, name),
          destination: new LambdaDestination(events.fn),
          filterPattern: FilterPattern.anyTerm(...logPatternsFor(name, config)),
          filterName: `${stack.stackName}-alerts`,
        }),
      );
    });
  }
}
