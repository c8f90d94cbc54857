import {
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { executionArnOf, SfnEscalator } from '../../../src/adapters/aws/sfn-escalator.js';

// Step Functions cannot run here: what it answers (a name already taken, an execution gone, a throttle) is
// staged with aws-sdk-client-mock, the one fault double the house allows for what cannot be staged for real.
const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:tms-escalation';
const meta = { $metadata: {} };

describe('the Step Functions escalator', () => {
  it('starts one execution per task and run, named after them, with the run as its input', async () => {
    // Prepare
    const client = new SFNClient({ region: 'eu-west-1' });
    const sfn = mockClient(client)
      .on(StartExecutionCommand)
      .resolves({ executionArn: 'x', startDate: new Date() });

    // Act
    await new SfnEscalator(client, MACHINE).start('TMS-42', 2);

    // Assess
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: MACHINE,
      name: 'TMS-42-2',
      input: JSON.stringify({ taskId: 'TMS-42', run: 2 }),
    });
  });

  it('takes a start of a run that exists already (a retried stream record) as done', async () => {
    const client = new SFNClient({ region: 'eu-west-1' });
    mockClient(client)
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', ...meta }));
    await expect(new SfnEscalator(client, MACHINE).start('TMS-42', 1)).resolves.toBeUndefined();
  });

  it('throws what it cannot take as done, so the stream record is retried', async () => {
    const client = new SFNClient({ region: 'eu-west-1' });
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    mockClient(client)
      .on(StartExecutionCommand)
      .rejects(throttled)
      .on(StopExecutionCommand)
      .rejects(throttled);
    const escalator = new SfnEscalator(client, MACHINE);
    await expect(escalator.start('TMS-42', 1)).rejects.toThrow('Rate exceeded');
    await expect(escalator.stop('TMS-42', 1, 'acknowledged')).rejects.toThrow('Rate exceeded');
  });

  it('stops the run by its execution ARN, and takes one that does not exist as stopped', async () => {
    // Prepare
    const client = new SFNClient({ region: 'eu-west-1' });
    const sfn = mockClient(client)
      .on(StopExecutionCommand, { executionArn: executionArnOf(MACHINE, 'TMS-42-1') })
      .resolves({ stopDate: new Date() })
      .on(StopExecutionCommand, { executionArn: executionArnOf(MACHINE, 'TMS-43-1') })
      .rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', ...meta }));
    const escalator = new SfnEscalator(client, MACHINE);

    // Act
    await escalator.stop('TMS-42', 1, 'the task was acknowledged');
    await escalator.stop('TMS-43', 1, 'the task was resolved');

    // Assess
    expect(executionArnOf(MACHINE, 'TMS-42-1')).toBe(
      'arn:aws:states:eu-west-1:123456789012:execution:tms-escalation:TMS-42-1',
    );
    expect(sfn.commandCalls(StopExecutionCommand)[0]?.args[0].input).toMatchObject({
      error: 'TaskNoLongerOpen',
      cause: 'the task was acknowledged',
    });
  });
});
