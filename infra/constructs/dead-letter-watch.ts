import { type CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Schedule, ScheduleExpression, TimeWindow } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import type { FailureQueue } from './failure-queue.js';
import type { TmsFunction } from './function.js';

/** How often the monitor looks: a dead letter gets its task within this, well before anyone reads an alarm mail. */
export const DEAD_LETTER_WATCH_RATE = Duration.minutes(5);

/** One entry of TMS_DEAD_LETTER_QUEUES, as src/handlers/dead-letters.ts reads it. */
export interface DeadLetterQueueEntry {
  readonly name: string;
  readonly url: string;
  readonly holds: string;
  readonly redrive: string;
}

/**
 * The dead-letter monitor, every five minutes on EventBridge Scheduler: the function is told every dead-letter
 * queue of the stack (TMS_DEAD_LETTER_QUEUES: name, URL, what it holds, how to redrive it) and may look into
 * exactly those, counting (GetQueueAttributes) and peeking at the first message for its error
 * (ReceiveMessage), and nothing else on SQS: it never deletes or moves a dead letter, an operator does.
 * A failed run is not retried: the next one, five minutes later, looks again.
 */
export class DeadLetterWatch extends Construct {
  readonly schedule: Schedule;
  readonly role: Role;
  readonly entries: readonly DeadLetterQueueEntry[];

  constructor(
    scope: Construct,
    id: string,
    props: { readonly monitor: TmsFunction; readonly queues: readonly FailureQueue[] },
  ) {
    super(scope, id);
    const { monitor, queues } = props;
    const names = queues.map((q) => q.name);
    if (new Set(names).size !== names.length)
      throw new Error(`two dead-letter queues share a name: ${names.join(', ')}`);
    this.entries = queues.map((q) => ({
      name: q.name,
      url: q.queue.queueUrl,
      holds: q.holds,
      redrive: q.redrive,
    }));
    monitor.fn.addEnvironment('TMS_DEAD_LETTER_QUEUES', Stack.of(this).toJsonString(this.entries));
    monitor.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['sqs:GetQueueAttributes', 'sqs:ReceiveMessage'],
        resources: queues.map((q) => q.queue.queueArn),
      }),
    );

    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
      }),
      description: 'EventBridge Scheduler: invoke the TMS dead-letter monitor',
    });
    this.schedule = new Schedule(this, 'EveryFiveMinutes', {
      description: 'TMS dead-letter monitor: a task per dead-letter queue with anything in it',
      schedule: ScheduleExpression.rate(DEAD_LETTER_WATCH_RATE),
      timeWindow: TimeWindow.off(),
      target: new LambdaInvoke(monitor.fn, {
        role: this.role,
        retryAttempts: 0,
        maxEventAge: Duration.minutes(1),
      }),
    });
    const monitorId = Stack.of(this).getLogicalId(monitor.fn.node.defaultChild as CfnElement);
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${monitorId}.Arn>:*]`,
      reason:
        "The monitor's own versions and aliases: the Scheduler target grants invoke on the function and its qualified ARNs, and on nothing else.",
    });
  }
}
