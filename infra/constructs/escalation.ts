import { ArnFormat, type CfnElement, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { escalationDefinition, STEP_ARN_KEY } from '../../src/jobs/escalation-machine.js';
import type { StreamSubscription } from '../../src/jobs/stream-consumers.js';
import type { DeployConfig } from '../deploy-config.js';
import { type TableAccess, TmsFunction } from './function.js';
import { TaskStream } from './task-stream.js';

export const ESCALATION_STEP_ENTRY = 'src/handlers/escalation-step.ts';
export const ESCALATIONS_STREAM_ENTRY = 'src/handlers/escalations-stream.ts';

/** The state machine's name: the stack's, so a policy or an environment can name it before it exists. */
export const escalationMachineName = (stackName: string) => `${stackName}-escalation`;

export interface EscalationProps {
  readonly config: DeployConfig;
  readonly table: TableV2;
  readonly retainLogs: boolean;
  /** What each function's code calls on the table (infra/stack.ts TABLE_ACCESS). */
  readonly tableAccess: { readonly step: TableAccess; readonly consumer: TableAccess };
  /** Both DM: the step pages people, the consumer tells them the task was acknowledged. */
  readonly slackBotToken: ISecret;
  /** A step may page the topic; an end is told there when the topic was paged. */
  readonly topic: ITopic;
  /** SLACK_API_URL, when Slack's Web API is elsewhere. */
  readonly environment: Readonly<Record<string, string>>;
  /** Its entry in src/handlers/stream-consumers.ts, the filter the local stack applies too. */
  readonly subscription: Pick<StreamSubscription, 'name' | 'filter' | 'also'> & {
    readonly parallelization?: number;
  };
  readonly redrive: (queue: Queue) => string;
}

/**
 * Escalation on AWS (issue 19): the Step Functions state machine of src/jobs/escalation-machine.ts, the very
 * definition the local stack runs, its Task states bound to one step function; and the table's stream
 * consumer that starts an execution per task and run as an escalating task opens, and stops it (telling the
 * people it notified) once the task is acknowledged or resolved. The machine's role may invoke the step
 * function and nothing else; the consumer may start executions of this machine and stop its executions only.
 */
export class Escalation extends Construct {
  readonly stateMachine: StateMachine;
  readonly role: Role;
  readonly logGroup: LogGroup;
  readonly step: TmsFunction;
  readonly consumer: TmsFunction;
  readonly feed: TaskStream;

  constructor(scope: Construct, id: string, props: EscalationProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const base = { config: props.config, table: props.table, retainLogs: props.retainLogs };
    const name = escalationMachineName(stack.stackName);
    const machineArn = stack.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: name,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    this.step = new TmsFunction(this, 'Step', {
      ...base,
      entry: ESCALATION_STEP_ENTRY,
      description:
        "TMS escalation step: the state machine's Task states (check, step, fail) on the task as stored",
      // Inside the Task states' 60 s, with room for Slack's retries of a page's DMs.
      timeout: Duration.seconds(30),
      tableAccess: props.tableAccess.step,
      environment: props.environment,
    })
      .readSecret('SLACK_BOT_TOKEN', props.slackBotToken)
      .publishTo(props.topic);

    // Assumed by Step Functions for this state machine only (its name is known before it exists: no cycle).
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('states.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': machineArn },
      }),
      description: 'TMS escalation state machine: invoke its step function, log, trace',
    });
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: props.retainLogs ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.stateMachine = new StateMachine(this, 'Machine', {
      stateMachineName: name,
      stateMachineType: StateMachineType.STANDARD,
      // The definition as data, the same object the local stack runs; CloudFormation puts the ARN in.
      definitionBody: DefinitionBody.fromString(JSON.stringify(escalationDefinition())),
      definitionSubstitutions: { [STEP_ARN_KEY]: this.step.fn.functionArn },
      role: this.role,
      // Every event (state entered and left, waits, retries, the failure), so an execution that ran for days
      // can be followed in Logs Insights; without the inputs and outputs, which the execution's own history
      // keeps: the logs then hold no error causes (Slack's answers) and cost a line per event, not a payload.
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
    });
    // Invoke on the step function (and its qualified ARNs), nothing else: the definition names no other.
    this.step.fn.grantInvoke(this.role);

    this.consumer = new TmsFunction(this, 'Consumer', {
      ...base,
      entry: ESCALATIONS_STREAM_ENTRY,
      description:
        "TMS escalations on the table's stream: start a task's escalation as it opens, stop it when acknowledged",
      timeout: Duration.seconds(60),
      tableAccess: props.tableAccess.consumer,
      environment: {
        ...props.environment,
        TMS_ESCALATION_STATE_MACHINE_ARN: this.stateMachine.stateMachineArn,
      },
    })
      .readSecret('SLACK_BOT_TOKEN', props.slackBotToken)
      .publishTo(props.topic);
    this.consumer.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['states:StartExecution'],
        resources: [this.stateMachine.stateMachineArn],
      }),
    );
    // An execution's ARN is its machine's with its name (src/adapters/aws/sfn-escalator.ts executionArnOf).
    const executions = stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${name}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.consumer.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['states:StopExecution'], resources: [executions] }),
    );
    this.feed = new TaskStream(this, 'Feed', {
      table: props.table,
      consumer: this.consumer,
      subscription: props.subscription,
      name: 'escalations-stream',
      holds: 'escalation starts and stops that failed',
      redrive: props.redrive,
    });

    const stepId = stack.getLogicalId(this.step.fn.node.defaultChild as CfnElement);
    Validations.of(this.role).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::<${stepId}.Arn>:*]`,
        reason:
          "The step function's own versions and aliases: grantInvoke names the function and its qualified ARNs, and the definition invokes nothing else.",
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Step Functions log delivery (logs:CreateLogDelivery and the rest) and X-Ray trace segments have no resource-level permissions: AWS documents them on "*" only.',
      },
    );
    // The finding names the resource as cdk-nag prints it: pseudo parameters, or the env's values when known.
    const shown = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<${pseudo}>` : value);
    const shownExecutions = `arn:${shown(stack.partition, 'AWS::Partition')}:states:${shown(stack.region, 'AWS::Region')}:${shown(stack.account, 'AWS::AccountId')}:execution:${name}:*`;
    Validations.of(this.consumer.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${shownExecutions}]`,
      reason:
        "StopExecution on this state machine's executions only: each is named by its task and run, known only when the task escalates.",
    });
  }
}
