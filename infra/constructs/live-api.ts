import { type CfnElement, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { LogGroupLogDestination, WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StreamSubscription } from '../../src/jobs/stream-consumers.js';
import type { DeployConfig } from '../deploy-config.js';
import { type TableAccess, TmsFunction } from './function.js';
import { TaskStream } from './task-stream.js';

/** The stream records a live pusher's batch holds at most (see the feed below). */
export const LIVE_BATCH = 25;

import type { TmsUsers } from './users.js';

export const LIVE_STAGE = 'live';
export const LIVE_ENTRY = 'src/handlers/live.ts';
export const LIVE_PUSHER_ENTRY = 'src/handlers/live-stream.ts';

/**
 * What each live function calls on the table (src/adapters/dynamo/live-store.ts, src/jobs/live.ts): a
 * connection kept and forgotten; a message's connection read (a get), its expiry moved on (a ping: an update),
 * a catch-up's log (a query of an hour's partition) and its tasks (gets); the pusher's log (batches), the
 * connections (a query of each of their partitions) and the gone ones deleted. No index: none of them lists
 * tasks.
 */
export const LIVE_TABLE_ACCESS = {
  connect: { actions: ['PutItem', 'DeleteItem'] },
  messages: { actions: ['GetItem', 'UpdateItem', 'Query'] },
  pusher: { actions: ['BatchWriteItem', 'Query', 'DeleteItem'] },
} as const satisfies Record<string, TableAccess>;

/** Messages a second, and their burst, per stage: dashboards ping every few minutes and ask to catch up on connect. */
export const LIVE_THROTTLE = { rateLimit: 50, burstLimit: 100 } as const;

/**
 * The live updates' WebSocket API: `$connect` and `$disconnect` to a function that can only keep and forget
 * connections, `$default` (ping, since) to one that reads, and the pusher on the table's stream, the two that
 * send allowed `execute-api:ManageConnections` (POST) on this stage's `@connections` and nothing else. The
 * stage is throttled and logs as JSON, never the query string (`?token=` is the caller's ID token).
 */
export class LiveApi extends Construct {
  readonly api: WebSocketApi;
  readonly stage: WebSocketStage;
  readonly connect: TmsFunction;
  readonly messages: TmsFunction;
  readonly pusher: TmsFunction;
  readonly feed: TaskStream;
  readonly accessLogs: LogGroup;

  constructor(
    scope: Construct,
    id: string,
    props: {
      readonly config: DeployConfig;
      readonly table: TableV2;
      readonly retainLogs: boolean;
      readonly users: TmsUsers;
      readonly subscription: Pick<StreamSubscription, 'name' | 'filter' | 'also'> & {
        readonly parallelization?: number;
      };
      readonly redrive: (queue: Queue) => string;
    },
  ) {
    super(scope, id);
    const base = { config: props.config, table: props.table, retainLogs: props.retainLogs };
    this.api = new WebSocketApi(this, 'Api', {
      description: 'TMS live updates: task changes pushed to the dashboards',
    });
    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: props.retainLogs ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: LIVE_STAGE,
      autoDeploy: true,
      throttle: LIVE_THROTTLE,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            routeKey: '$context.routeKey',
            eventType: '$context.eventType',
            connectionId: '$context.connectionId',
            status: '$context.status',
            integrationError: '$context.integrationErrorMessage',
            error: '$context.error.message',
          }),
        ),
      },
    });
    const sender = {
      TMS_LIVE_CALLBACK_URL: this.stage.callbackUrl,
    };
    const sends = new PolicyStatement({
      actions: ['execute-api:ManageConnections'],
      resources: [
        Stack.of(this).formatArn({
          service: 'execute-api',
          resource: this.api.apiId,
          resourceName: `${LIVE_STAGE}/POST/@connections/*`,
        }),
      ],
    });

    this.connect = new TmsFunction(this, 'Connect', {
      ...base,
      entry: LIVE_ENTRY,
      description: 'TMS live updates: $connect (verifies the Cognito ID token) and $disconnect',
      tableAccess: LIVE_TABLE_ACCESS.connect,
      environment: {
        TMS_COGNITO_USER_POOL_ID: props.users.pool.userPoolId,
        TMS_COGNITO_CLIENT_ID: props.users.client.userPoolClientId,
      },
    });
    this.messages = new TmsFunction(this, 'Messages', {
      ...base,
      entry: LIVE_ENTRY,
      description: 'TMS live updates: $default (ping, and catch-up since a time)',
      // A catch-up of 500 tasks, read and posted a few at once: as long as API Gateway waits for a route.
      timeout: Duration.seconds(29),
      tableAccess: LIVE_TABLE_ACCESS.messages,
      environment: sender,
    });
    this.messages.role.addToPrincipalPolicy(sends);
    this.pusher = new TmsFunction(this, 'Pusher', {
      ...base,
      entry: LIVE_PUSHER_ENTRY,
      description: 'TMS live pusher: each task change to the WebSocket connections',
      timeout: Duration.seconds(60),
      tableAccess: LIVE_TABLE_ACCESS.pusher,
      environment: sender,
    });
    this.pusher.role.addToPrincipalPolicy(sends);

    const connect = new WebSocketLambdaIntegration('Connect', this.connect.fn);
    const routes = [
      this.api.addRoute('$connect', { integration: connect }),
      this.api.addRoute('$disconnect', { integration: connect }),
      this.api.addRoute('$default', {
        integration: new WebSocketLambdaIntegration('Messages', this.messages.fn),
      }),
    ];
    const [connectRoute, ...others] = routes;
    if (connectRoute)
      Validations.of(connectRoute).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          "No API Gateway authorizer on $connect: its handler verifies the caller's Cognito ID token (?token=, as a browser cannot set a header on a WebSocket) against the user pool's keys, issuer and app client before it keeps the connection, and refuses the upgrade otherwise.",
      });
    for (const route of others)
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'A WebSocket API authorizes on $connect only (API Gateway allows no authorizer on other routes): a message arrives on a connection $connect accepted, and its handler reads that connection’s role from the table.',
      });
    // The finding names the resource as cdk-nag prints it: pseudo parameters, or the env's values when known.
    const stack = Stack.of(this);
    const shown = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<${pseudo}>` : value);
    const apiId = stack.getLogicalId(this.api.node.defaultChild as CfnElement);
    const resource = `arn:${shown(stack.partition, 'AWS::Partition')}:execute-api:${shown(stack.region, 'AWS::Region')}:${shown(stack.account, 'AWS::AccountId')}:<${apiId}>/${LIVE_STAGE}/POST/@connections/*`;
    for (const fn of [this.messages, this.pusher])
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${resource}]`,
        reason:
          "Any connection of this API's own stage, POST only (PostToConnection): connection ids are made by API Gateway at each connect, so no narrower resource exists.",
      });

    this.feed = new TaskStream(this, 'Feed', {
      table: props.table,
      consumer: this.pusher,
      subscription: props.subscription,
      name: 'live-stream',
      holds: 'task changes the live pusher could not log or send',
      // A batch is sent to every connection, one PostToConnection a change each: 25 changes to 1,000 dashboards
      // at 32 at once is about 20 s of the pusher's 60 (a batch past its timeout would be sent again, whole).
      batchSize: LIVE_BATCH,
      redrive: props.redrive,
    });
  }

  /** The dashboard's WebSocket URL (`wss://…/live`). */
  get url(): string {
    return this.stage.url;
  }
}
