import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AccountRecovery,
  ClientAttributes,
  FeaturePlan,
  Mfa,
  OAuthScope,
  StringAttribute,
  UserPool,
  type UserPoolClient,
  UserPoolClientIdentityProvider,
  type UserPoolDomain,
  UserPoolGroup,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { ROLES, type Role } from '../../src/core/rbac.js';

const GROUP_DESCRIPTIONS: Readonly<Record<Role, string>> = {
  admin: 'TMS admins: everything, including reassigning and changing how TMS is set up',
  developer: 'TMS developers: create, acknowledge, claim, resolve and comment',
  viewer: 'TMS viewers: read only',
};

/**
 * Who may call `/api/*` on AWS: a Cognito user pool (no self sign-up: an admin invites people), with MFA
 * by authenticator app, an app client for scripts and the CLI, and one group per TMS role (admin,
 * developer, viewer; precedence in that order). The JWT's `cognito:groups` carries the groups.
 */
export class TmsUsers extends Construct {
  readonly pool: UserPool;
  readonly client: UserPoolClient;
  /** Cognito's hosted UI, where the web dashboard sends people to sign in. */
  readonly domain: UserPoolDomain;
  readonly groups: Readonly<Record<Role, UserPoolGroup>>;

  constructor(scope: Construct, id: string, props: { readonly retain: boolean }) {
    super(scope, id);
    this.pool = new UserPool(this, 'Pool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      // The Slack user a person acts as through /api/* (src/http/identity.ts reads it from the ID token).
      customAttributes: { slack_user_id: new StringAttribute({ minLen: 9, maxLen: 32, mutable: true }) },
      featurePlan: FeaturePlan.ESSENTIALS,
      deletionProtection: props.retain,
      removalPolicy: props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    Validations.of(this.pool).acknowledge({
      id: 'AwsSolutions-COG8',
      reason:
        'Essentials, not Plus: the pool holds a handful of operators behind required MFA with no self sign-up, and Plus (threat protection) is billed per monthly active user on top. Switch featurePlan to PLUS if the pool grows to many users.',
    });
    this.client = this.pool.addClient('Api', {
      // SRP for SDKs; password auth for `aws cognito-idp initiate-auth` (MFA still required), no secret:
      // a CLI or script cannot keep one.
      authFlows: { userSrp: true, userPassword: true },
      // No hosted UI, so no OAuth flows (CDK's default would allow the implicit flow to example.com).
      disableOAuth: true,
      generateSecret: false,
      preventUserExistenceErrors: true,
      // What a user may change about themselves with their own token: their name, and nothing else. Who they
      // act as in Slack (custom:slack_user_id) is an admin's to set (admin-update-user-attributes), or anyone
      // could be anyone. Named, not left empty: an empty list is no list to Cognito, which then lets a client
      // write its pool's attributes by default.
      writeAttributes: new ClientAttributes().withStandardAttributes({ fullname: true }),
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
    });
    // The account and stack name keep the prefix unique per region, as Cognito requires of every domain.
    const stack = Stack.of(this);
    this.domain = this.pool.addDomain('SignIn', {
      cognitoDomain: {
        domainPrefix: `${stack.stackName.toLowerCase().replace(/[^a-z0-9-]/g, '-')}-${stack.account}`,
      },
    });
    this.groups = Object.fromEntries(
      ROLES.map((role, precedence) => [
        role,
        new UserPoolGroup(this, `Group-${role}`, {
          userPool: this.pool,
          groupName: role,
          description: GROUP_DESCRIPTIONS[role],
          precedence,
        }),
      ]),
    ) as Record<Role, UserPoolGroup>;
  }

  /**
   * The web dashboard's client: the hosted UI's authorization-code grant (the page adds PKCE), back to the
   * dashboard's own URL and nowhere else; no secret (a browser cannot keep one) and no password flows (the
   * hosted UI takes the password and the MFA code). Its own client, so the scripts' client keeps no OAuth at
   * all. Made once the API exists, whose URL is the callback: the client waits for the API, and the API's
   * authorizer (which names the client) for both, which is no cycle.
   */
  addDashboardClient(url: string): UserPoolClient {
    return this.pool.addClient('Dashboard', {
      // Named, not left out: without a list Cognito allows SRP and custom auth on it by default.
      authFlows: { userSrp: false },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls: [url],
        logoutUrls: [url],
      },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      generateSecret: false,
      preventUserExistenceErrors: true,
      writeAttributes: new ClientAttributes().withStandardAttributes({ fullname: true }),
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      // A wall screen signs in again each working day at most: the session's ID token lasts an hour.
      refreshTokenValidity: Duration.days(1),
    });
  }
}
