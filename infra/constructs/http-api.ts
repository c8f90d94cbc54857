import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  type CfnStage,
  HttpApi,
  HttpMethod,
  type HttpRoute,
  HttpStage,
  LogGroupLogDestination,
  type ThrottleSettings,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { UserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type FunctionName, ROUTES, type Route } from '../../src/routes.js';
import type { TmsFunction } from './function.js';
import type { TmsUsers } from './users.js';

export const routeKey = (route: Route): string => `${route.method} ${route.path}`;

/** Routes behind the Cognito JWT authorizer; the others authenticate the sender themselves, first thing. */
export const behindCognito = (route: Route): boolean => route.path.startsWith('/api/');

/**
 * Steady requests per second and burst, per route: what each kind of sender needs, well under the account's
 * 10,000. Ingest is the widest (an Alertmanager storm is hundreds a second, and GitHub does not retry a
 * webhook that was refused); Slack's traffic is people; the read API is scripts and dashboards.
 */
export const ROUTE_THROTTLES: Readonly<Record<string, ThrottleSettings>> = {
  'GET /healthz': { rateLimit: 5, burstLimit: 10 },
  'GET /api/tasks': { rateLimit: 20, burstLimit: 40 },
  'GET /api/tasks/{id}': { rateLimit: 20, burstLimit: 40 },
  // People and dashboards writing, not machines: a tenth of what ingest takes.
  'POST /api/tasks': { rateLimit: 10, burstLimit: 20 },
  'POST /api/tasks/{id}/actions': { rateLimit: 20, burstLimit: 40 },
  'PATCH /api/tasks/{id}': { rateLimit: 20, burstLimit: 40 },
  // An admin's rare act, each one several writes and a page of deletes per 25 timeline entries.
  'DELETE /api/tasks/{id}': { rateLimit: 2, burstLimit: 5 },
  // Read once per page load by the dashboard, to show the controls the caller's role allows.
  'GET /api/me': { rateLimit: 20, burstLimit: 40 },
  'GET /api/trends': { rateLimit: 20, burstLimit: 40 },
  'GET /api/metrics': { rateLimit: 20, burstLimit: 40 },
  'GET /api/services/{service}/playbook': { rateLimit: 20, burstLimit: 40 },
  // A document a client reads once, not per request.
  'GET /api/openapi.json': { rateLimit: 5, burstLimit: 10 },
  'POST /ingest/{source}': { rateLimit: 300, burstLimit: 600 },
  // Jobs pinging when they succeed: many may end in the same minute (cron's 02:00), and a refused ping is a false alarm.
  'POST /ingest/heartbeat/{name}': { rateLimit: 50, burstLimit: 100 },
  'POST /slack/events': { rateLimit: 50, burstLimit: 100 },
  // The dashboard: a page load is the page, its config and two files; wall screens load it rarely.
  'GET /': { rateLimit: 5, burstLimit: 20 },
  'GET /app/config.json': { rateLimit: 5, burstLimit: 20 },
  'GET /app/{file}': { rateLimit: 10, burstLimit: 40 },
};
const DEFAULT_THROTTLE: ThrottleSettings = { rateLimit: 5, burstLimit: 10 };

/** Why a route needs no authorizer in front of it: its handler authenticates the sender before anything else. */
const OWN_AUTHENTICATION: Readonly<Record<string, string>> = {
  'GET /healthz': 'a liveness probe that answers {"ok":true} and reads nothing',
  'POST /ingest/{source}':
    "alert sources authenticate themselves: GitHub's X-Hub-Signature-256, SNS message signatures, Grafana's HMAC or the ingest token, checked by the handler before anything else (deduplication included)",
  'POST /ingest/heartbeat/{name}':
    'a heartbeat ping carries the ingest token (Authorization: Bearer, or ?token=), checked by the handler before the name is even looked up',
  'POST /slack/events':
    'Slack signs every request (X-Slack-Signature over the raw body and a timestamp within five minutes); the handler checks it, and refuses replays, before Bolt sees the request',
  'GET /':
    "the web dashboard's HTML shell: static, public, the same for everyone and holding no data (the page reads /api/* with the person's own Cognito token)",
  'GET /app/config.json':
    "the web dashboard's public settings: the WebSocket's URL and the hosted UI's domain and client id, which every sign-in page shows anyway; no data",
  'GET /app/{file}':
    "the web dashboard's built JavaScript and CSS: static, public, looked up by name among the built files only; no data",
};

/**
 * The HTTP API: the routes of src/routes.ts, each to the function the code says serves it (the same table
 * the local gateway uses), `/api/*` behind a Cognito JWT authorizer, throttled per route, with JSON access
 * logs. Payload limits are the handlers' (each checks its own before parsing).
 */
export class TmsHttpApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly routes: readonly HttpRoute[];
  readonly accessLogs: LogGroup;
  /** The web dashboard's Cognito client (the hosted UI's code grant back to this API's root). */
  readonly dashboardClient: UserPoolClient;

  constructor(
    scope: Construct,
    id: string,
    props: {
      readonly functions: Readonly<Record<FunctionName, TmsFunction>>;
      readonly users: TmsUsers;
      readonly retainLogs: boolean;
    },
  ) {
    super(scope, id);
    this.api = new HttpApi(this, 'Api', {
      description: 'TMS: Slack, alert sources, the API and the web dashboard',
      createDefaultStage: false,
    });
    // The dashboard is served at the API's root (src/handlers/api-web.ts), where Cognito sends people back.
    this.dashboardClient = props.users.addDashboardClient(`${this.api.apiEndpoint}/`);
    const authorizer = new HttpUserPoolAuthorizer('Cognito', props.users.pool, {
      userPoolClients: [props.users.client, this.dashboardClient],
      identitySource: ['$request.header.Authorization'],
    });
    const integrations = new Map<FunctionName, HttpLambdaIntegration>();
    const integrationOf = (name: FunctionName) => {
      let integration = integrations.get(name);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${name}-integration`, props.functions[name].fn);
        integrations.set(name, integration);
      }
      return integration;
    };
    this.routes = ROUTES.flatMap((route) => {
      const added = this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: integrationOf(route.fn),
        ...(behindCognito(route) ? { authorizer } : {}),
      });
      const why = OWN_AUTHENTICATION[routeKey(route)];
      if (!behindCognito(route)) {
        if (!why) throw new Error(`${routeKey(route)} has no authorizer and no reason to need none`);
        for (const created of added)
          Validations.of(created).acknowledge({
            id: 'AwsSolutions-APIG4',
            reason: `No authorizer on ${routeKey(route)}: ${why}.`,
          });
      }
      return added;
    });

    // The query string is not logged: `?token=` carries the ingest token.
    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: props.retainLogs ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.stage = new HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: DEFAULT_THROTTLE,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            userAgent: '$context.identity.userAgent',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationLatencyMs: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
            user: '$context.authorizer.claims.sub',
            error: '$context.error.message',
          }),
        ),
      },
    });
    const cfnStage = this.stage.node.defaultChild as CfnStage;
    cfnStage.routeSettings = Object.fromEntries(
      ROUTES.map((route) => {
        const throttle = ROUTE_THROTTLES[routeKey(route)] ?? DEFAULT_THROTTLE;
        return [
          routeKey(route),
          { throttlingRateLimit: throttle.rateLimit, throttlingBurstLimit: throttle.burstLimit },
        ];
      }),
    );
    // Route settings name routes by key: the stage is created once they exist.
    for (const route of this.routes) this.stage.node.addDependency(route);
  }

  /** The API's base URL, without a trailing slash. */
  get url(): string {
    return this.api.apiEndpoint;
  }
}
