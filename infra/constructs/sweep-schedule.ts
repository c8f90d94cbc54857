import { type CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Schedule, ScheduleExpression, TimeWindow } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import type { TmsFunction } from './function.js';

/**
 * The sweeper every minute, on EventBridge Scheduler: exactly on the minute (no flexible window: SLA clocks
 * are minutes), through a role that may invoke the sweeper and nothing else. A failed invocation is tried
 * again for at most a minute, after which the next run does the same work anyway.
 */
export class SweepSchedule extends Construct {
  readonly schedule: Schedule;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: { readonly sweeper: TmsFunction }) {
    super(scope, id);
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
      }),
      description: 'EventBridge Scheduler: invoke the TMS sweeper',
    });
    this.schedule = new Schedule(this, 'EveryMinute', {
      description: 'TMS sweeper: re-drive deliveries, reconcile cards, SLA warnings',
      schedule: ScheduleExpression.rate(Duration.minutes(1)),
      timeWindow: TimeWindow.off(),
      target: new LambdaInvoke(props.sweeper.fn, {
        role: this.role,
        retryAttempts: 2,
        maxEventAge: Duration.minutes(1),
      }),
    });
    const sweeperId = Stack.of(this).getLogicalId(props.sweeper.fn.node.defaultChild as CfnElement);
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${sweeperId}.Arn>:*]`,
      reason:
        "The sweeper's own versions and aliases: the Scheduler target grants invoke on the function and its qualified ARNs, and on nothing else.",
    });
  }
}
