import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  escalationDefinition,
  STEP_ARN_KEY,
  substituted,
  TASK_STATES,
  WAIT_STATES,
} from '../../src/jobs/escalation-machine.js';
import { LOCAL_STEP_ARN, LocalEscalations } from '../../src/local/escalations.js';
import { logicalIdAt, synth } from '../infra/synth.js';

/** asl-validator 4.0.0 ships no types: its documented call, typed here. */
type AslValidator = (
  definition: unknown,
  options?: { readonly checkPaths?: boolean; readonly checkArn?: boolean },
) => {
  isValid: boolean;
  errors: { 'Error code': string; Message: string }[];
  errorsText: (sep?: string) => string;
};
const aslValidator = createRequire(import.meta.url)('asl-validator') as AslValidator;
/** It writes each state's QueryLanguage into what it is given: it is given a copy. */
const validate = (definition: unknown) =>
  aslValidator(structuredClone(definition), { checkPaths: true, checkArn: true });

type State = { Type: string; Resource?: string; Retry?: unknown[]; Catch?: unknown[] } & Record<
  string,
  unknown
>;
const statesOf = (definition: unknown) =>
  Object.entries((definition as { States: Record<string, State> }).States);

/**
 * The definition without the `QueryLanguage: "JSONPath"` that validators write into each state they check
 * (aws-local-stepfunctions validates the object LocalEscalations hands it, in place): the default, no change.
 */
function withoutDefaultQueryLanguage<T>(definition: T): T {
  const copy = structuredClone(definition) as { States: Record<string, Record<string, unknown>> };
  for (const state of Object.values(copy.States))
    if (state.QueryLanguage === 'JSONPath') delete state.QueryLanguage;
  return copy as T;
}

/** The DefinitionString CloudFormation is given, as the CDK app synthesizes it. */
function deployed(): { text: string; substitutions: unknown; stepArn: unknown } {
  const { stack, template } = synth();
  const resources = template.toJSON().Resources as Record<string, { Properties: Record<string, unknown> }>;
  const machine = resources[logicalIdAt(stack, 'Tms/Escalation/Machine')]?.Properties ?? {};
  return {
    text: machine.DefinitionString as string,
    substitutions: machine.DefinitionSubstitutions,
    stepArn: { 'Fn::GetAtt': [logicalIdAt(stack, 'Tms/Escalation/Step/Function'), 'Arn'] },
  };
}

describe('the escalation state machine’s definition', () => {
  it('is valid Amazon States Language, as written and with its step ARN in place', () => {
    // Act
    const written = validate(escalationDefinition());
    const local = validate(substituted(LOCAL_STEP_ARN));

    // Assess
    expect(written.errors).toEqual([]);
    expect(written.isValid).toBe(true);
    expect(local.errors).toEqual([]);
    expect(local.isValid).toBe(true);
  });

  it('is refused by the validator when broken, so its acceptance means something', () => {
    // Prepare: a Choice that goes nowhere, and a Task whose resource is no ARN.
    const broken = substituted(LOCAL_STEP_ARN) as unknown as { States: Record<string, State> };
    (broken.States.AfterStep as State).Default = 'Nowhere';
    const noArn = substituted('not an arn');

    // Assess
    expect(validate(broken).errors.map((e) => e.Message)).toContain(
      "Missing 'StartAt'|'Next'|'Default' target: Nowhere",
    );
    expect(validate(noArn).isValid).toBe(false);
  });

  it('is the very one the local stack runs: what CloudFormation deploys, with the local step ARN substituted', () => {
    // Prepare
    const { text, substitutions, stepArn } = deployed();

    // Act
    const local = new LocalEscalations({ step: async () => ({}) }).definition;

    // Assess
    expect(substitutions).toEqual({ [STEP_ARN_KEY]: stepArn });
    expect(text).toContain(`\${${STEP_ARN_KEY}}`);
    const runs = withoutDefaultQueryLanguage(local);
    expect(JSON.parse(text.replaceAll(`\${${STEP_ARN_KEY}}`, LOCAL_STEP_ARN))).toEqual(runs);
    expect(runs).toEqual(substituted(LOCAL_STEP_ARN));
    expect(JSON.stringify(local)).not.toContain('${');
  });

  it('has exactly the Task and Wait states the local stack binds and shortens', () => {
    // Act
    const states = statesOf(escalationDefinition());

    // Assess
    expect(
      states
        .filter(([, s]) => s.Type === 'Task')
        .map(([name]) => name)
        .sort(),
    ).toEqual([...TASK_STATES].sort());
    expect(
      states
        .filter(([, s]) => s.Type === 'Wait')
        .map(([name]) => name)
        .sort(),
    ).toEqual([...WAIT_STATES].sort());
    for (const [name, state] of states.filter(([, s]) => s.Type === 'Task'))
      expect(state.Resource, name).toBe(`\${${STEP_ARN_KEY}}`);
  });

  it('retries every Task state and catches its failure into RecordFailure, which is retried but not caught', () => {
    // Act
    const tasks = statesOf(escalationDefinition()).filter(([, s]) => s.Type === 'Task');

    // Assess
    for (const [name, state] of tasks) {
      expect(state.Retry?.length, name).toBeGreaterThan(0);
      if (name === 'RecordFailure') expect(state.Catch, name).toBeUndefined();
      else
        expect(state.Catch, name).toEqual([
          expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'RecordFailure' }),
        ]);
    }
    expect(tasks.map(([name]) => name)).toContain('RecordFailure');
  });
});
