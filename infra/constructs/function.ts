import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AssetHashType,
  DockerImage,
  Duration,
  type ILocalBundling,
  RemovalPolicy,
  Tags,
  Validations,
} from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Policy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Code, Function as LambdaFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { buildSync } from 'esbuild';
import type { IndexName } from '../../src/adapters/dynamo/table.js';
import { type SecretName, secretArnVariable } from '../../src/runtime/secrets.js';
import { writeWebAssets } from '../../src/web/build.js';
import type { DeployConfig } from '../deploy-config.js';

/** The repository root: entries, the lock file and the cold-start module are found from here. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Where the config file sits inside every bundle (Lambda unpacks the bundle into /var/task). */
export const CONFIG_IN_BUNDLE = '/var/task/tms.config.yaml';
/**
 * Every bundle is built from this entry: the cold start (secrets read before anything serves), then the
 * function's handler, which esbuild's alias `tms-lambda-handler` names.
 */
export const LAMBDA_ENTRY = 'src/runtime/lambda-entry.ts';
export const HANDLER_ALIAS = 'tms-lambda-handler';
/** An ESM bundle has no `require`; bundled CommonJS packages need one (`node -e` hides its absence). */
export const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

/**
 * One function's bundle, built by the local esbuild's API where CDK asks for the asset. Not NodejsFunction:
 * it always passes `--outfile`, and code splitting needs an `outdir`. Splitting makes each dynamic `import()`
 * a chunk of its own that a cold start does not read; packages' ES builds first let the AWS SDK's per-command
 * dist-es shake off the commands never called. The fields are what CDK's asset cache keys on (it serializes
 * the bundling options), so no two functions share a bundle; the asset's hash is the output's.
 */
class EsbuildBundling implements ILocalBundling {
  constructor(
    readonly entry: string,
    readonly alias: Readonly<Record<string, string>>,
    readonly configPath: string,
    readonly webEntries: Readonly<Record<string, string>> | undefined,
  ) {}

  tryBundle(outputDir: string): boolean {
    buildSync({
      absWorkingDir: REPO_ROOT,
      entryPoints: { index: LAMBDA_ENTRY },
      alias: { [HANDLER_ALIAS]: `./${this.entry}`, ...this.alias },
      outdir: outputDir,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      splitting: true,
      mainFields: ['module', 'main'],
      platform: 'node',
      target: 'node22',
      format: 'esm',
      minify: true,
      sourcemap: true,
      sourcesContent: false,
      // Every chunk, not the entry alone: a chunk may hold a bundled CommonJS package that calls require.
      banner: { js: ESM_REQUIRE_BANNER },
      logLevel: 'warning',
    });
    copyFileSync(this.configPath, join(outputDir, 'tms.config.yaml'));
    // The web app's built files, which the function serves itself (src/handlers/api-web.ts reads `web/`).
    if (this.webEntries) writeWebAssets(this.webEntries, join(outputDir, 'web'));
    return true;
  }
}

/** What a function may do on the table's items. `Query` here is a query of the table's own keys. */
export type TableAction =
  | 'GetItem'
  | 'BatchGetItem'
  | 'PutItem'
  | 'UpdateItem'
  | 'DeleteItem'
  | 'BatchWriteItem'
  | 'Query';

export interface TableAccess {
  readonly actions: readonly TableAction[];
  /** The indexes it queries (Query on each, nothing else). */
  readonly indexes?: readonly IndexName[];
}

export interface TmsFunctionProps {
  /** The handler's file from the repository root (`src/handlers/api.ts`); its export is `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly config: DeployConfig;
  readonly table: ITableV2;
  /** Exactly what the code behind this handler calls on the table. */
  readonly tableAccess: TableAccess;
  readonly memorySize?: number;
  readonly timeout?: Duration;
  readonly environment?: Readonly<Record<string, string>>;
  /** For functions invoked asynchronously: how Lambda retries, and where what still fails goes. */
  readonly async?: {
    readonly retryAttempts: number;
    readonly maxEventAge: Duration;
    readonly onFailure?: IQueue;
  };
  /** Keep the function's logs when the stack is deleted (with the table's deletion protection). */
  readonly retainLogs?: boolean;
  /** esbuild aliases beyond the handler's, paths from the repository root (the bot's stubs). */
  readonly bundleAliases?: Readonly<Record<string, string>>;
  /** Web entry points (src/web/build.ts) built into the asset's `web/` folder, for a function that serves them. */
  readonly webEntries?: Readonly<Record<string, string>>;
}

/**
 * The house Lambda of TMS: one handler of `src/`, bundled here with the local esbuild (ESM split into chunks
 * with the createRequire banner, minified, source maps, the AWS SDK included so the versions tested are the
 * versions run), the config file copied in and named by TMS_CONFIG, Node 22 on arm64, no X-Ray tracing, its own log
 * group with a retention, and a role that starts empty: the helpers below grant one table, one topic, one
 * secret at a time.
 */
export class TmsFunction extends Construct {
  readonly fn: LambdaFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: TmsFunctionProps) {
    super(scope, id);
    const { config, table, tableAccess } = props;
    if (!existsSync(join(REPO_ROOT, props.entry))) throw new Error(`No handler file ${props.entry}`);
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: props.retainLogs ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description}: only what its code calls`,
    });
    // Its own log group only, instead of AWSLambdaBasicExecutionRole's logs on every group.
    this.logGroup.grantWrite(this.role);

    this.fn = new LambdaFunction(this, 'Function', {
      // Built where CDK stages assets, and skipped with them (`aws:cdk:bundling-stacks`); the image is never
      // pulled, the local bundling always answers.
      code: Code.fromAsset(REPO_ROOT, {
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          image: DockerImage.fromRegistry('dummy'),
          local: new EsbuildBundling(props.entry, props.bundleAliases ?? {}, config.path, props.webEntries),
        },
      }),
      handler: 'index.handler', // index.mjs, the entry chunk; the others sit beside it
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      // Off until an SDK client is instrumented: Lambda's own segments alone show no DynamoDB, SNS or Slack
      // call, so active tracing only paid for traces and a "*" grant. Instrumenting belongs where the clients
      // are built once (the composition root), with Powertools Tracer.
      tracing: Tracing.DISABLED,
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        TMS_TABLE: table.tableName,
        TMS_CONFIG: CONFIG_IN_BUNDLE,
        POWERTOOLS_SERVICE_NAME: 'tms',
        POWERTOOLS_METRICS_NAMESPACE: 'TMS',
        // Stack traces in logs point into src/, through the bundle's source map.
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      ...(props.async
        ? {
            retryAttempts: props.async.retryAttempts,
            maxEventAge: props.async.maxEventAge,
            ...(props.async.onFailure ? { onFailure: new SqsDestination(props.async.onFailure) } : {}),
          }
        : {}),
    });

    // Which handler a function runs, for the console and the tests (every bundle has the same entry file).
    Tags.of(this.fn).add('tms:handler', props.entry);
    this.grantTable(table, tableAccess);

    Validations.of(this.fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node 22 on purpose: the code is kept Node 20 compatible for the local stack and tested on it, and nodejs22.x is the oldest Lambda runtime still supported; a runtime move is a decision of its own with its own test run.',
    });
  }

  get functionName(): string {
    return this.fn.functionName;
  }

  /** Exactly these actions on the table's items, and Query on exactly these indexes. */
  private grantTable(table: ITableV2, access: TableAccess): void {
    if (access.actions.length > 0)
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: access.actions.map((action) => `dynamodb:${action}`),
          resources: [table.tableArn],
        }),
      );
    if (access.indexes?.length)
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['dynamodb:Query'],
          resources: access.indexes.map((index) => `${table.tableArn}/index/${index}`),
        }),
      );
  }

  /** A secret, given by ARN as `<NAME>_SECRET_ARN` and read at cold start; never its value in the environment. */
  readSecret(name: SecretName, secret: ISecret): this {
    this.fn.addEnvironment(secretArnVariable(name), secret.secretArn);
    secret.grantRead(this.role);
    return this;
  }

  /**
   * The notification topic, as TMS_NOTIFY_TOPIC_ARN: publish on it alone, and on its key the two calls SNS
   * makes for a publisher (named, where grantPublish would give `kms:GenerateDataKey*`).
   */
  publishTo(topic: ITopic): this {
    this.fn.addEnvironment('TMS_NOTIFY_TOPIC_ARN', topic.topicArn);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['sns:Publish'], resources: [topic.topicArn] }),
    );
    if (topic.masterKey)
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [topic.masterKey.keyArn],
        }),
      );
    return this;
  }

  /**
   * The ingest queue, as TMS_INGEST_QUEUE_URL: SendMessage on it alone (SendMessageBatch is authorized by the
   * same action), not receive or delete, which are the processor's; and on its key, should it have one of its
   * own, the two calls SQS makes for a sender.
   */
  sendsToIngestQueue(queue: IQueue): this {
    this.fn.addEnvironment('TMS_INGEST_QUEUE_URL', queue.queueUrl);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }),
    );
    if (queue.encryptionMasterKey)
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [queue.encryptionMasterKey.keyArn],
        }),
      );
    return this;
  }

  /** Asynchronous invocations of itself (the bot's lazy listeners), on its own ARN only. */
  invokesItself(): this {
    // Not in the role's default policy: the function waits for that policy, and a policy naming the function
    // would wait for the function. A policy of its own breaks the cycle.
    new Policy(this, 'InvokesItself', {
      roles: [this.role],
      statements: [
        new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.fn.functionArn] }),
      ],
    });
    return this;
  }
}
