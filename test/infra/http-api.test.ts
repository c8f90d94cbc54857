import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { SOURCES } from '../../src/ingest/pipeline.js';
import { ROUTES } from '../../src/routes.js';
import { logicalIdAt, synth } from './synth.js';

const { stack, template } = synth();
const id = (path: string) => logicalIdAt(stack, `Tms/${path}`);
const resources = template.toJSON().Resources as Record<
  string,
  { Type: string; Properties: Record<string, unknown> }
>;
const FUNCTION_OF = { api: 'Api', ingest: 'Ingest', bot: 'Bot' } as const;
/** The HTTP API's own routes and stage (the live updates' WebSocket API has its own: test/infra/live.test.ts). */
const ofHttpApi = (r: { Properties?: Record<string, unknown> }) =>
  JSON.stringify(r.Properties?.ApiId) === JSON.stringify({ Ref: id('Http/Api') });
const httpResources = (type: string) =>
  Object.fromEntries(Object.entries(template.findResources(type)).filter(([, r]) => ofHttpApi(r)));

describe('the HTTP API serves the routes of src/routes.ts', () => {
  const routes = Object.values(resources).filter(
    (r) => r.Type === 'AWS::ApiGatewayV2::Route' && ofHttpApi(r),
  );

  it('has exactly the routes of DESIGN.md, nothing more', () => {
    expect(routes.map((r) => r.Properties.RouteKey).sort()).toEqual(
      [
        'GET /api/tasks',
        'GET /api/tasks/{id}',
        'POST /api/tasks',
        'POST /api/tasks/{id}/actions',
        'PATCH /api/tasks/{id}',
        'DELETE /api/tasks/{id}',
        'GET /api/me',
        'GET /api/trends',
        'GET /api/metrics',
        'GET /api/services/{service}/playbook',
        'GET /api/schedules',
        'POST /api/schedules',
        'GET /api/schedules/{id}',
        'DELETE /api/schedules/{id}',
        'GET /api/oncall',
        'GET /api/openapi.json',
        'GET /healthz',
        'POST /ingest/{source}',
        'POST /ingest/heartbeat/{name}',
        'POST /slack/events',
        'GET /',
        'GET /app/config.json',
        'GET /app/{file}',
      ].sort(),
    );
    expect(routes.map((r) => r.Properties.RouteKey).sort()).toEqual(
      ROUTES.map((r) => `${r.method} ${r.path}`).sort(),
    );
  });

  it.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r.fn] as const))(
    '%s goes to the %s function (payload format 2.0)',
    (key, fn) => {
      const route = routes.find((r) => r.Properties.RouteKey === key);
      const integrationId = JSON.stringify(route?.Properties.Target).match(/"Ref":"(\w+)"/)?.[1] ?? '';
      expect(resources[integrationId]?.Properties).toMatchObject({
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
        IntegrationUri: { 'Fn::GetAtt': [id(`${FUNCTION_OF[fn]}/Function`), 'Arn'] },
      });
    },
  );

  it('puts /api/* behind the Cognito JWT authorizer, and leaves the routes that check their sender open', () => {
    for (const route of routes) {
      const key = route.Properties.RouteKey as string;
      if (key.includes(' /api/'))
        expect(route.Properties, key).toMatchObject({
          AuthorizationType: 'JWT',
          AuthorizerId: { Ref: id('Http/Api/Cognito') },
        });
      else expect(route.Properties.AuthorizationType, key).toBe('NONE');
    }
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Audience: [{ Ref: id('Users/Pool/Api') }, { Ref: id('Users/Pool/Dashboard') }],
        Issuer: {
          'Fn::Join': [
            '',
            ['https://cognito-idp.', { Ref: 'AWS::Region' }, '.amazonaws.com/', { Ref: id('Users/Pool') }],
          ],
        },
      },
    });
  });

  it('throttles each route to what its senders need, on the $default stage', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 },
      RouteSettings: {
        'GET /healthz': { throttlingRateLimit: 5, throttlingBurstLimit: 10 },
        'GET /api/tasks': { throttlingRateLimit: 20, throttlingBurstLimit: 40 },
        'GET /api/tasks/{id}': { throttlingRateLimit: 20, throttlingBurstLimit: 40 },
        'POST /api/tasks': { throttlingRateLimit: 10, throttlingBurstLimit: 20 },
        'POST /api/tasks/{id}/actions': { throttlingRateLimit: 20, throttlingBurstLimit: 40 },
        'GET /api/trends': { throttlingRateLimit: 20, throttlingBurstLimit: 40 },
        'GET /api/metrics': { throttlingRateLimit: 20, throttlingBurstLimit: 40 },
        'GET /api/services/{service}/playbook': { throttlingRateLimit: 20, throttlingBurstLimit: 40 },
        'GET /api/openapi.json': { throttlingRateLimit: 5, throttlingBurstLimit: 10 },
        'POST /ingest/{source}': { throttlingRateLimit: 300, throttlingBurstLimit: 600 },
        'POST /ingest/heartbeat/{name}': { throttlingRateLimit: 50, throttlingBurstLimit: 100 },
        'POST /slack/events': { throttlingRateLimit: 50, throttlingBurstLimit: 100 },
        'GET /': { throttlingRateLimit: 5, throttlingBurstLimit: 20 },
        'GET /app/config.json': { throttlingRateLimit: 5, throttlingBurstLimit: 20 },
        'GET /app/{file}': { throttlingRateLimit: 10, throttlingBurstLimit: 40 },
      },
    });
    // Route settings name routes by key: the stage waits for every route.
    const stage = Object.values(httpResources('AWS::ApiGatewayV2::Stage'))[0] as {
      DependsOn: string[];
    };
    for (const [routeId] of Object.entries(httpResources('AWS::ApiGatewayV2::Route')))
      expect(stage.DependsOn).toContain(routeId);
  });

  it('writes JSON access logs, without the query string (?token= carries the ingest token)', () => {
    const stage = Object.values(httpResources('AWS::ApiGatewayV2::Stage'))[0] as {
      Properties: { AccessLogSettings: { DestinationArn: unknown; Format: string } };
    };
    expect(stage.Properties.AccessLogSettings.DestinationArn).toEqual({
      'Fn::GetAtt': [id('Http/AccessLogs'), 'Arn'],
    });
    const format = JSON.parse(stage.Properties.AccessLogSettings.Format) as Record<string, string>;
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      routeKey: '$context.routeKey',
      status: '$context.status',
      integrationError: '$context.integrationErrorMessage',
      authorizerError: '$context.authorizer.error',
    });
    expect(stage.Properties.AccessLogSettings.Format).not.toMatch(
      /querystring|\$context\.path|requestOverride/i,
    );
    expect(resources[id('Http/AccessLogs')]?.Properties).toEqual({ RetentionInDays: 30 });
  });
});

describe('Cognito users of /api/*', () => {
  it('is an invite-only pool with required MFA by authenticator app and a strong password policy', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      UsernameAttributes: ['email'],
      DeletionProtection: 'ACTIVE',
      Policies: {
        PasswordPolicy: Match.objectLike({
          MinimumLength: 12,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
        }),
      },
    });
  });

  it('keeps the Slack user a person acts as, which only an admin may set (no user writes their own attributes)', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      Schema: Match.arrayWith([
        Match.objectLike({ Name: 'slack_user_id', AttributeDataType: 'String', Mutable: true }),
      ]),
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      UserPoolId: { Ref: id('Users/Pool') },
      WriteAttributes: ['name'],
    });
  });

  it('has an app client for scripts and the CLI: no secret, no OAuth flows, one-hour tokens', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      UserPoolId: { Ref: id('Users/Pool') },
      GenerateSecret: false,
      AllowedOAuthFlowsUserPoolClient: false,
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      PreventUserExistenceErrors: 'ENABLED',
      AccessTokenValidity: 60,
      IdTokenValidity: 60,
    });
    expect(resources[id('Users/Pool/Api')]?.Properties.CallbackURLs).toBeUndefined();
  });

  it("has the dashboard's client: the hosted UI's code grant back to the API's root only, no secret, no passwords", () => {
    const endpoint = { 'Fn::GetAtt': [id('Http/Api'), 'ApiEndpoint'] };
    const root = { 'Fn::Join': ['', [endpoint, '/']] };
    expect(resources[id('Users/Pool/Dashboard')]?.Properties).toMatchObject({
      UserPoolId: { Ref: id('Users/Pool') },
      GenerateSecret: false,
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      CallbackURLs: [root],
      LogoutURLs: [root],
      SupportedIdentityProviders: ['COGNITO'],
      ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
      IdTokenValidity: 60,
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      UserPoolId: { Ref: id('Users/Pool') },
      Domain: { 'Fn::Join': ['', ['tms-', { Ref: 'AWS::AccountId' }]] },
    });
  });

  it('has one group per TMS role: admin, developer, viewer (in that precedence)', () => {
    const groups = Object.values(template.findResources('AWS::Cognito::UserPoolGroup')).map((g) => ({
      name: g.Properties.GroupName,
      precedence: g.Properties.Precedence,
      pool: g.Properties.UserPoolId,
    }));
    expect(groups).toEqual([
      { name: 'admin', precedence: 0, pool: { Ref: id('Users/Pool') } },
      { name: 'developer', precedence: 1, pool: { Ref: id('Users/Pool') } },
      { name: 'viewer', precedence: 2, pool: { Ref: id('Users/Pool') } },
    ]);
  });
});

describe('the web dashboard, served by the api function', () => {
  const apiRoutes = Object.values(resources).filter((r) => r.Type === 'AWS::ApiGatewayV2::Route');

  it.each(['GET /', 'GET /app/config.json', 'GET /app/{file}'])('%s is public: no authorizer', (key) => {
    const route = apiRoutes.find((r) => r.Properties.RouteKey === key);
    expect(route?.Properties.AuthorizationType).toBe('NONE');
    expect(route?.Properties.AuthorizerId).toBeUndefined();
  });

  it("tells the function the hosted UI's domain and the dashboard's client", () => {
    const fn = resources[id('Api/Function')]?.Properties as {
      Environment: { Variables: Record<string, unknown> };
    };
    expect(fn.Environment.Variables.TMS_COGNITO_CLIENT_ID).toEqual({ Ref: id('Users/Pool/Dashboard') });
    expect(JSON.stringify(fn.Environment.Variables.TMS_COGNITO_DOMAIN)).toContain(id('Users/Pool/SignIn'));
  });
});

describe('outputs: what to paste where', () => {
  const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
  const endpoint = { 'Fn::GetAtt': [id('Http/Api'), 'ApiEndpoint'] };

  it('names the Slack request URL for manifest.yml', () => {
    expect(outputs.SlackEventsUrl?.Value).toEqual({ 'Fn::Join': ['', [endpoint, '/slack/events']] });
    expect(outputs.ApiUrl?.Value).toEqual(endpoint);
  });

  it('names the webhook URL of every ingest source', () => {
    const expected = ['github', 'jenkins', 'alertmanager', 'cloudwatch', 'kubernetes', 'logs', 'generic'];
    expect(Object.keys(SOURCES).sort()).toEqual(expected.sort());
    for (const source of expected) {
      const key = `Ingest${source[0]?.toUpperCase()}${source.slice(1)}Url`;
      expect(outputs[key]?.Value, key).toEqual({ 'Fn::Join': ['', [endpoint, `/ingest/${source}`]] });
    }
  });

  it('names the secrets to fill, the user pool and its client', () => {
    expect(outputs.SecretSlackSigningSecret?.Value).toBe('Tms/slack-signing-secret');
    expect(outputs.SecretSlackBotToken?.Value).toBe('Tms/slack-bot-token');
    expect(outputs.SecretIngestToken?.Value).toBe('Tms/ingest-token');
    expect(outputs.UserPoolId?.Value).toEqual({ Ref: id('Users/Pool') });
    expect(outputs.UserPoolClientId?.Value).toEqual({ Ref: id('Users/Pool/Api') });
  });
});

describe('a disposable stack (context deletionProtection=false)', () => {
  it('deletes what a real one keeps: table, user pool, secrets, logs', () => {
    const { template: disposable } = synth({ deletionProtection: false });
    for (const type of [
      'AWS::DynamoDB::GlobalTable',
      'AWS::Cognito::UserPool',
      'AWS::SecretsManager::Secret',
      'AWS::Logs::LogGroup',
    ])
      for (const [name, resource] of Object.entries(disposable.findResources(type)))
        expect(resource.DeletionPolicy, name).toBe('Delete');
    disposable.hasResourceProperties('AWS::Cognito::UserPool', { DeletionProtection: 'INACTIVE' });
  });
});
