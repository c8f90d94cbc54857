import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { type CfnSecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { SecretName } from '../../src/runtime/secrets.js';

/** A secret the deployment keeps in Secrets Manager. */
export interface DeployedSecret {
  readonly name: SecretName;
  /** Its name in Secrets Manager after the stack's name: `<stack>/<id>`. */
  readonly id: string;
  /** Where its value comes from. */
  readonly what: string;
  /**
   * TMS decides it (a random value at the first deploy, which the sender is then given), or someone else
   * does (Slack): then the secret is created empty, and the functions that need it refuse to start until a
   * value is put.
   */
  readonly generated: boolean;
}

/** TMS_API_TOKEN is not among them: on AWS `/api/*` is behind Cognito. */
export const DEPLOYED_SECRETS: readonly DeployedSecret[] = [
  {
    name: 'SLACK_SIGNING_SECRET',
    id: 'slack-signing-secret',
    what: "the Slack app's Signing Secret (Basic Information)",
    generated: false,
  },
  {
    name: 'SLACK_BOT_TOKEN',
    id: 'slack-bot-token',
    what: 'the Bot User OAuth Token, xoxb-… (OAuth & Permissions, after installing the app)',
    generated: false,
  },
  {
    name: 'GITHUB_WEBHOOK_SECRET',
    id: 'github-webhook-secret',
    what: 'the Secret of GitHub webhooks',
    generated: true,
  },
  {
    name: 'INGEST_TOKEN',
    id: 'ingest-token',
    what: 'the token of senders without a signature scheme of their own',
    generated: true,
  },
  {
    name: 'GRAFANA_WEBHOOK_SECRET',
    id: 'grafana-webhook-secret',
    what: "the HMAC secret of Grafana's webhook contact point",
    generated: true,
  },
  {
    name: 'TMS_WEBHOOK_SECRET',
    id: 'webhook-signing-secret',
    what: "the key that signs schedules' webhooks (X-TMS-Signature-256); give it to their receivers",
    generated: true,
  },
];

/** Its name in Secrets Manager: `Tms/slack-bot-token` for the stack Tms. */
export const secretNameOf = (scope: Construct, spec: DeployedSecret): string =>
  `${Stack.of(scope).stackName}/${spec.id}`;

/**
 * The secrets of TMS in Secrets Manager, encrypted with the account's Secrets Manager key. Functions get
 * their ARNs (TmsFunction.readSecret) and read them at cold start.
 */
export class TmsSecrets extends Construct {
  private readonly secrets = new Map<SecretName, Secret>();

  constructor(scope: Construct, id: string, props: { readonly retain: boolean }) {
    super(scope, id);
    for (const spec of DEPLOYED_SECRETS) {
      const secret = new Secret(this, spec.name, {
        secretName: secretNameOf(this, spec),
        description: `TMS ${spec.name}: ${spec.what}`,
        removalPolicy: props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
        // Letters and digits only: the ingest token travels in URLs (`?token=`) and Basic auth.
        ...(spec.generated
          ? { generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false } }
          : {}),
      });
      // Without either property CloudFormation creates the secret with no value at all.
      if (!spec.generated)
        (secret.node.defaultChild as CfnSecret).addPropertyDeletionOverride('GenerateSecretString');
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason: spec.generated
          ? `${spec.name} is shared with a sender (${spec.what}), which cannot follow an automatic rotation; rotate by putting a new value and updating the sender.`
          : `${spec.name} is issued by Slack (${spec.what}); Secrets Manager cannot rotate it, Slack's app settings do, after which the new value is put here.`,
      });
      this.secrets.set(spec.name, secret);
    }
  }

  get(name: SecretName): Secret {
    const secret = this.secrets.get(name);
    if (!secret) throw new Error(`TMS deploys no secret ${name}`);
    return secret;
  }
}
