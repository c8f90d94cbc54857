/**
 * The escalation state machine (issue 19), in the Amazon States Language: the one definition both the CDK app
 * deploys (infra/constructs/escalation.ts, with `${EscalationStepArn}` substituted by the step function's ARN)
 * and the local stack runs with `aws-local-stepfunctions` (src/local/escalations.ts, its Task states bound
 * to the same step handler). Written as data rather than with CDK's state constructs so the local stack needs
 * no CDK at run time; `npm test` checks the synthesized template holds exactly this and that asl-validator
 * accepts it.
 *
 * The machine only waits and asks; every decision is the step function's, made on the task as stored
 * (src/core/use-cases/escalate.ts):
 *
 *   Check ─▶ IsOpen ─ go ─────▶ TakeStep ─▶ AfterStep ─ wait ──▶ Waiting ─▶ Check
 *              │  └ paused ─▶ Paused ─▶ Check  └ check ─▶ Check  └ end / stopped ─▶ Done
 *              └ stopped ─▶ Stopped
 *   any Task state, after its retries ─▶ RecordFailure ─▶ Failed
 */

/** The placeholder the step function's ARN replaces (CloudFormation's DefinitionSubstitutions). */
export const STEP_ARN_KEY = 'EscalationStepArn';
const STEP = `\${${STEP_ARN_KEY}}`;

/** What the step function is asked (`op`), by the Task state that asks it. */
export type EscalationStepRequest =
  | { readonly op: 'check'; readonly taskId: string; readonly run: number }
  | { readonly op: 'step'; readonly taskId: string; readonly run: number }
  | {
      readonly op: 'fail';
      readonly taskId: string;
      readonly run: number;
      readonly error: string;
      readonly cause?: string;
    };

/** The Task states: each invokes the step function with the operation it names. */
export const TASK_STATES = ['Check', 'TakeStep', 'RecordFailure'] as const;
/** The Wait states, which the local stack may shorten in tests. */
export const WAIT_STATES = ['Waiting', 'Paused'] as const;

/**
 * Lambda's own transient failures (throttled, the service erring) are retried longer than a failure of the
 * step itself (DynamoDB or Slack unreachable), which is retried a few times and then recorded on the task.
 */
const RETRY = [
  {
    ErrorEquals: [
      'Lambda.ServiceException',
      'Lambda.AWSLambdaException',
      'Lambda.SdkClientException',
      'Lambda.TooManyRequestsException',
    ],
    IntervalSeconds: 2,
    MaxAttempts: 6,
    BackoffRate: 2,
    JitterStrategy: 'FULL',
  },
  { ErrorEquals: ['States.ALL'], IntervalSeconds: 3, MaxAttempts: 3, BackoffRate: 2, JitterStrategy: 'FULL' },
];
const CATCH = [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordFailure' }];
const ASK = { 'taskId.$': '$.taskId', 'run.$': '$.run' };

/** The definition, as JSON the ASL allows: the same object on AWS (after substitution) and locally. */
export function escalationDefinition() {
  return {
    Comment:
      "TMS escalation (issue 19): one execution per task and run, named <task id>-<run>; it waits, asks whether the task is still open, and has the step function take the policy's next step",
    StartAt: 'Check',
    // No TimeoutSeconds: a standard execution lives a year at most anyway, and a machine-wide timeout would be
    // one timer for the whole run locally (Node's timers hold 24.8 days at most, so a year overflows to 1 ms).
    States: {
      Check: {
        Type: 'Task',
        Comment: 'Is the task still open, this run its current one, and not snoozed?',
        Resource: STEP,
        Parameters: { op: 'check', ...ASK },
        ResultPath: '$.check',
        TimeoutSeconds: 60,
        Retry: RETRY,
        Catch: CATCH,
        Next: 'IsOpen',
      },
      IsOpen: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.check.state', StringEquals: 'go', Next: 'TakeStep' },
          { Variable: '$.check.state', StringEquals: 'paused', Next: 'Paused' },
        ],
        Default: 'Stopped',
      },
      Paused: {
        Type: 'Wait',
        Comment: 'Snoozed: look again when the snooze ends, or in five minutes at most',
        SecondsPath: '$.check.seconds',
        Next: 'Check',
      },
      TakeStep: {
        Type: 'Task',
        Comment: "Take the policy's next step: a wait, a notification, or its end",
        Resource: STEP,
        Parameters: { op: 'step', ...ASK },
        ResultPath: '$.step',
        TimeoutSeconds: 60,
        Retry: RETRY,
        Catch: CATCH,
        Next: 'AfterStep',
      },
      AfterStep: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.step.next', StringEquals: 'wait', Next: 'Waiting' },
          { Variable: '$.step.next', StringEquals: 'check', Next: 'Check' },
        ],
        Default: 'Done',
      },
      Waiting: { Type: 'Wait', SecondsPath: '$.step.seconds', Next: 'Check' },
      Done: { Type: 'Succeed', Comment: 'Every step taken, or the task stopped escalating' },
      Stopped: { Type: 'Succeed', Comment: 'Acknowledged, resolved, or replaced by a later run' },
      RecordFailure: {
        Type: 'Task',
        Comment: 'A step failed after its retries: the task says so, and its escalation ends',
        Resource: STEP,
        Parameters: { op: 'fail', ...ASK, 'error.$': '$.error.Error', 'cause.$': '$.error.Cause' },
        ResultPath: null,
        TimeoutSeconds: 60,
        Retry: RETRY,
        Next: 'Failed',
      },
      Failed: {
        Type: 'Fail',
        Error: 'EscalationStepFailed',
        Cause: "A step failed after its retries; the task's timeline has the error",
      },
    },
  };
}

export type EscalationDefinition = ReturnType<typeof escalationDefinition>;

/** The definition with its step function's ARN in place (what CloudFormation's substitution does). */
export function substituted(stepArn: string): EscalationDefinition {
  return JSON.parse(JSON.stringify(escalationDefinition()).replaceAll(STEP, stepArn)) as EscalationDefinition;
}
