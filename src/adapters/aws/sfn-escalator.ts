import {
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  SFNClient,
  type SFNClientConfig,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { type EscalationInput, executionName } from '../../core/escalation-policy.js';
import type { Escalator } from '../../core/ports.js';

export const createSfnClient = (config: SFNClientConfig = {}): SFNClient => new SFNClient(config);

/** An execution's ARN from its state machine's and its name (`arn:…:stateMachine:<m>` → `arn:…:execution:<m>:<name>`). */
export const executionArnOf = (stateMachineArn: string, name: string): string =>
  `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;

/**
 * The escalation state machine on Step Functions (issue 19). One execution per task and run, by name: a
 * second start of a run (a stream record retried, a replayed batch) finds it exists and changes nothing, as
 * Step Functions keeps a name taken for 90 days after the execution closed.
 */
export class SfnEscalator implements Escalator {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(taskId: string, run: number): Promise<void> {
    const input: EscalationInput = { taskId, run };
    try {
      await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name: executionName(taskId, run),
          input: JSON.stringify(input),
        }),
      );
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists) return;
      throw error;
    }
  }

  async stop(taskId: string, run: number, cause: string): Promise<void> {
    try {
      await this.client.send(
        new StopExecutionCommand({
          executionArn: executionArnOf(this.stateMachineArn, executionName(taskId, run)),
          error: 'TaskNoLongerOpen',
          cause: cause.slice(0, 1_000),
        }),
      );
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist) return;
      throw error;
    }
  }
}
