import './with-resolvers.js';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { executionName } from '../core/escalation-policy.js';
import type { Escalator } from '../core/ports.js';
import {
  type EscalationDefinition,
  substituted,
  TASK_STATES,
  type WAIT_STATES,
} from '../jobs/escalation-machine.js';

/** The step function's ARN in the local definition: the CDK app's substitution, with a local account. */
export const LOCAL_STEP_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:tms-escalation-step';
/** States an execution's history keeps (the newest), as the console would list them. */
const HISTORY = 200;
/** Executions remembered once finished (the newest), as the console lists them. */
const KEPT = 500;

export type WaitState = (typeof WAIT_STATES)[number];

/** One execution as `GET /_sandbox/escalations` shows it: the Step Functions console's view, in JSON. */
export interface LocalExecution {
  readonly name: string;
  readonly input: { readonly taskId: string; readonly run: number };
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  readonly startedAt: string;
  stoppedAt?: string;
  /** Why it was stopped, or how it failed. */
  cause?: string;
  /** The states it entered, oldest first (the newest HISTORY). */
  readonly states: { name: string; at: string; output?: unknown }[];
}

/**
 * The escalation state machine in-process (issue 19): the definition the CDK app deploys (with the local
 * step ARN substituted, as CloudFormation substitutes the real one), run by `aws-local-stepfunctions`, each
 * Task state bound to the same step handler the Lambda runs. Waits are honoured (`waits` shortens them for a
 * test). Executions are named as on AWS: a second start of a run that exists, or existed, is no change; an
 * execution lives in this process only: a restart of the stack ends the escalations it was running.
 */
export class LocalEscalations implements Escalator {
  readonly definition: EscalationDefinition = substituted(LOCAL_STEP_ARN);
  // A copy: the runner writes its defaults (QueryLanguage) into the object it is given.
  readonly #machine = new StateMachine(structuredClone(this.definition) as unknown as StateMachineDefinition);
  readonly #executions = new Map<string, LocalExecution & { abort?: () => void; done: Promise<void> }>();

  constructor(
    private readonly options: {
      /** The step handler the Task states invoke (src/handlers/escalation-step.ts). */
      readonly step: (request: unknown) => Promise<unknown>;
      /** Milliseconds each Wait state waits instead of its seconds (tests). */
      readonly waits?: Partial<Record<WaitState, number>>;
      /** Milliseconds a Task state waits before each retry instead of its backoff (tests). */
      readonly retryMs?: number;
      readonly print?: (line: string) => void;
    },
  ) {}

  async start(taskId: string, run: number): Promise<void> {
    const name = executionName(taskId, run);
    if (this.#executions.has(name)) return;
    const input = { taskId, run };
    const step = (request: unknown) => this.options.step(request) as Promise<never>;
    const handlers = Object.fromEntries(TASK_STATES.map((state) => [state, step]));
    const execution = this.#machine.run(input, {
      overrides: {
        taskResourceLocalHandlers: handlers,
        ...(this.options.waits ? { waitTimeOverrides: this.options.waits as Record<string, number> } : {}),
        ...(this.options.retryMs !== undefined
          ? {
              retryIntervalOverrides: Object.fromEntries(
                TASK_STATES.map((state) => [state, this.options.retryMs as number]),
              ),
            }
          : {}),
      },
      noThrowOnAbort: true,
    });
    const record: LocalExecution & { abort?: () => void; done: Promise<void> } = {
      name,
      input,
      status: 'RUNNING',
      startedAt: new Date().toISOString(),
      states: [],
      abort: execution.abort,
      done: Promise.resolve(),
    };
    this.#executions.set(name, record);
    this.#forget();
    void this.#follow(record, execution.eventLogs);
    record.done = execution.result.then(
      () => this.#finish(record, record.status === 'ABORTED' ? 'ABORTED' : 'SUCCEEDED'),
      (error: unknown) =>
        this.#finish(record, 'FAILED', error instanceof Error ? error.message : String(error)),
    );
    this.options.print?.(`escalation: started ${name}`);
  }

  async stop(taskId: string, run: number, cause: string): Promise<void> {
    const record = this.#executions.get(executionName(taskId, run));
    if (record?.status !== 'RUNNING') return;
    record.status = 'ABORTED';
    record.cause = cause;
    record.abort?.();
    await record.done;
  }

  /** Every execution this process started (the newest KEPT finished ones), newest first. */
  executions(): LocalExecution[] {
    return [...this.#executions.values()].reverse().map(({ abort: _abort, done: _done, ...view }) => ({
      ...view,
      states: [...view.states],
    }));
  }

  /** Stops every execution still running (the stack closing), as a deletion of the state machine would. */
  async close(): Promise<void> {
    for (const record of this.#executions.values())
      if (record.status === 'RUNNING') {
        record.status = 'ABORTED';
        record.cause = 'the local stack stopped';
        record.abort?.();
      }
    await Promise.all([...this.#executions.values()].map((record) => record.done));
  }

  async #follow(
    record: LocalExecution,
    events: AsyncGenerator<{ type: string; timestamp: number; state?: { name: string; output?: unknown } }>,
  ) {
    try {
      for await (const event of events) {
        if (event.type !== 'StateExited' || !event.state) continue;
        record.states.push({
          name: event.state.name,
          at: new Date(event.timestamp).toISOString(),
          ...(event.state.output !== undefined ? { output: event.state.output } : {}),
        });
        if (record.states.length > HISTORY) record.states.shift();
      }
    } catch {
      // the history is for people to look at: an execution's end is recorded by its result
    }
  }

  #finish(record: LocalExecution, status: LocalExecution['status'], cause?: string): void {
    record.status = status;
    record.stoppedAt = new Date().toISOString();
    if (cause) record.cause = cause;
    this.options.print?.(`escalation: ${record.name} ${status.toLowerCase()}${cause ? ` (${cause})` : ''}`);
  }

  #forget(): void {
    const finished = [...this.#executions.values()].filter((record) => record.status !== 'RUNNING');
    for (const record of finished.slice(0, Math.max(0, finished.length - KEPT)))
      this.#executions.delete(record.name);
  }
}
