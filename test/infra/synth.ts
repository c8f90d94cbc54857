import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import type { TmsStack, TmsStackProps } from '../../infra/stack.js';
import { createTmsApp } from '../../infra/tms-app.js';

/** Synth without building the Lambda bundles: only test/infra/cdk-synth.test.ts builds them, once per run. */
export const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] } as const;

/**
 * How the assertion tests build the app: no bundles, and without CDK's built-in CloudFormation validation,
 * which costs about 8 s per process here; `npx cdk synth` in test/infra/cdk-synth.test.ts runs it.
 */
export const FAST = { builtinCloudFormationValidation: false, context: NO_BUNDLING } as const;

/**
 * The app as `cdk synth` builds it (cdk-nag included: a finding fails the synth, so every variant a test
 * builds is checked too), with its template.
 */
export function synth(
  overrides: Partial<TmsStackProps> = {},
  context: Record<string, unknown> = {},
): { stack: TmsStack; template: Template } {
  const { stack } = createTmsApp({ ...FAST, context: { ...NO_BUNDLING, ...context } }, overrides);
  return { stack, template: Template.fromStack(stack) };
}

/** A config file of a test's own. */
export function configFile(yaml: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'tms-config-')), 'tms.config.yaml');
  writeFileSync(path, yaml);
  return path;
}

type Resources = Record<
  string,
  { Type: string; Properties?: Record<string, unknown> } & Record<string, unknown>
>;

/** The logical id of the one resource of a type under a construct path (`Tms/Api/Function`). */
export function logicalIdAt(stack: TmsStack, path: string): string {
  const found = stack.node.findAll().find((c) => c.node.path === path);
  const cfn = found?.node.defaultChild ?? found;
  if (!cfn) throw new Error(`nothing at ${path}`);
  return stack.resolve((cfn as unknown as { logicalId: string }).logicalId) as string;
}

/** Every IAM statement attached to a role, whichever policy carries it. */
export function statementsOf(template: Template, roleId: string): Statement[] {
  const resources = template.toJSON().Resources as Resources;
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy')
    .filter((r) => JSON.stringify((r.Properties as { Roles: unknown }).Roles).includes(`"${roleId}"`))
    .flatMap(
      (r) => (r.Properties as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement,
    );
}

export interface Statement {
  Action: string | string[];
  Resource: unknown;
  Effect: string;
}

export const actionsOf = (statement: Statement): string[] =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];
export const resourcesOf = (statement: Statement): unknown[] =>
  Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
