import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { TmsStack, type TmsStackProps } from './stack.js';

/** A list from context: a JSON array in cdk.json, or `-c logGroups=/aws/lambda/a,/aws/lambda/b`. */
function listContext(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'string' && value.trim())
    return value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean);
  return [];
}

/**
 * The TMS CDK app as `cdk synth` and `cdk deploy` build it, and as the tests build it: the stack from
 * context (cdk.json or `-c`), checked by cdk-nag's AwsSolutions rules on every synth (a finding fails it).
 *
 * Context: `deletionProtection` ("false" for a disposable stack), `config` (the config file; else
 * TMS_CONFIG, else tms.config.yaml), `logGroups`, `slackBotId`, `slackBotUserId`, `slackApiUrl`,
 * `allAttributesInIndexes` ("true" for a stack whose table was deployed before its index projections narrowed).
 */
export function createTmsApp(props: AppProps = {}, overrides: Partial<TmsStackProps> = {}) {
  const app = new App(props);
  const context = (key: string): unknown => app.node.tryGetContext(key);
  const text = (key: string) => {
    const value = context(key);
    return typeof value === 'string' && value ? value : undefined;
  };
  const configPath = text('config') ?? (process.env.TMS_CONFIG || undefined);
  const stack = new TmsStack(app, 'Tms', {
    description: 'TMS: ChatOps tasks and incidents in Slack',
    // Known when the CLI has credentials; offline the stack is environment-agnostic.
    ...(process.env.CDK_DEFAULT_ACCOUNT && process.env.CDK_DEFAULT_REGION
      ? { env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION } }
      : {}),
    deletionProtection: String(context('deletionProtection') ?? 'true') !== 'false',
    ...(configPath ? { configPath } : {}),
    logGroups: listContext(context('logGroups')),
    allAttributesInIndexes: String(context('allAttributesInIndexes') ?? 'false') === 'true',
    slack: {
      ...(text('slackBotId') ? { botId: text('slackBotId') } : {}),
      ...(text('slackBotUserId') ? { botUserId: text('slackBotUserId') } : {}),
      ...(text('slackApiUrl') ? { apiUrl: text('slackApiUrl') } : {}),
    },
    ...overrides,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
