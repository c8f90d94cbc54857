import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Acknowledgment, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { describe, expect, it, vi } from 'vitest';
import { createTmsApp } from '../../infra/tms-app.js';
import { FAST } from './synth.js';

interface Finding {
  readonly rule: string;
  readonly path: string;
}

/** The app synthesized with every acknowledgment recorded but not applied: what cdk-nag finds, raw. */
function rawFindings(): {
  findings: Finding[];
  acknowledged: { path: string; rule: string; reason: string; scope: IConstruct }[];
} {
  const acknowledged: { path: string; rule: string; reason: string; scope: IConstruct }[] = [];
  const spy = vi.spyOn(Validations.prototype, 'acknowledge').mockImplementation(function (
    this: Validations,
    ...rules: Acknowledgment[]
  ) {
    const scope = (this as unknown as { scope: IConstruct }).scope;
    for (const rule of rules)
      acknowledged.push({ path: scope.node.path, rule: rule.id, reason: rule.reason, scope });
  });
  try {
    const outdir = mkdtempSync(join(tmpdir(), 'tms-nag-'));
    const { app } = createTmsApp({ ...FAST, outdir });
    expect(() => app.synth()).toThrow();
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: {
        violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[];
      }[];
    };
    const findings = report.pluginReports.flatMap((plugin) =>
      plugin.violations.flatMap((v) =>
        v.violatingConstructs.map((c) => ({ rule: v.ruleName, path: c.constructPath })),
      ),
    );
    return { findings, acknowledged };
  } finally {
    spy.mockRestore();
  }
}

const covers = (ack: { path: string; rule: string }, finding: Finding) =>
  (finding.path === ack.path || finding.path.startsWith(`${ack.path}/`)) &&
  finding.rule.replace(/^AwsSolutions::/, '') === ack.rule;

describe("cdk-nag's AwsSolutions checks", () => {
  it('pass: `cdk synth` of the app has no finding left', () => {
    const { app } = createTmsApp(FAST);
    const assembly = app.synth();
    expect(assembly.getStackByName('Tms').template.Resources).toBeDefined();
  });

  const { findings, acknowledged } = rawFindings();

  it('acknowledge each finding on its own resource, with a written reason, and none stack-wide', () => {
    expect(findings.length).toBeGreaterThan(0);
    for (const finding of findings)
      expect(
        acknowledged.some((ack) => covers(ack, finding)),
        `${finding.rule} on ${finding.path} is acknowledged`,
      ).toBe(true);
    for (const ack of acknowledged) {
      expect(
        findings.some((finding) => covers(ack, finding)),
        `${ack.rule} on ${ack.path} answers a finding`,
      ).toBe(true);
      expect(Stack.isStack(ack.scope), `${ack.rule} is acknowledged on a resource, not the stack`).toBe(
        false,
      );
      expect(ack.path.split('/').length, ack.path).toBeGreaterThan(2);
      expect(ack.reason.length, `${ack.rule} on ${ack.path} says why`).toBeGreaterThan(60);
    }
  });

  it('are acknowledged for these reasons only (a new kind of finding is a decision, not a side effect)', () => {
    expect(
      [
        ...new Set(
          acknowledged.map((ack) =>
            ack.rule.replace(/<\w+\.Arn>/, '<fn>').replace(/<LiveApi\w+>/, '<live-api>'),
          ),
        ),
      ].sort(),
    ).toEqual([
      'AwsSolutions-APIG4',
      'AwsSolutions-COG8',
      // The escalation state machine's log delivery and X-Ray calls, which take no narrower resource.
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::<fn>:*]',
      // The live functions' PostToConnection: any connection of the WebSocket API's own stage.
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<live-api>/live/POST/@connections/*]',
      // The escalations consumer's StopExecution: any execution of the escalation state machine.
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:Tms-escalation:*]',
      'AwsSolutions-L1',
      'AwsSolutions-SMG4',
      'AwsSolutions-SQS3',
    ]);
  });
});
