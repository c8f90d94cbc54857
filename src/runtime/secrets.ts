import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** A secret a handler cannot run without is missing: the function refuses to start rather than run open. */
export class MissingSecretError extends Error {
  override readonly name = 'MissingSecretError';
}

export const SECRET_NAMES = [
  'SLACK_SIGNING_SECRET',
  'SLACK_BOT_TOKEN',
  'GITHUB_WEBHOOK_SECRET',
  'INGEST_TOKEN',
  'TMS_API_TOKEN',
] as const;
/**
 * Secrets that switch a feature on when present: Grafana's HMAC in place of the ingest token; the key that signs
 * schedules' webhooks (without it a webhook schedule is refused).
 */
export const OPTIONAL_SECRET_NAMES = ['GRAFANA_WEBHOOK_SECRET', 'TMS_WEBHOOK_SECRET'] as const;
/**
 * Secrets of the local stack only, never looked up in Secrets Manager: TMS_JWT_SECRET signs the API's local JWTs,
 * while on AWS the HTTP API's Cognito authorizer verifies tokens before the Lambda runs.
 */
export const LOCAL_SECRET_NAMES = ['TMS_JWT_SECRET'] as const;
export type SecretName =
  | (typeof SECRET_NAMES)[number]
  | (typeof OPTIONAL_SECRET_NAMES)[number]
  | (typeof LOCAL_SECRET_NAMES)[number];

/** On AWS a function is given the ARN of each secret it needs, never the secret: `SLACK_BOT_TOKEN_SECRET_ARN`. */
export const secretArnVariable = (name: SecretName): `${SecretName}_SECRET_ARN` => `${name}_SECRET_ARN`;

/** The environment a process was started with, read and never written. */
export type Env = Readonly<Record<string, string | undefined>>;

/** The secrets of one container: read once (at cold start), kept in memory only, never copied into an environment. */
export interface Secrets {
  /** The secret's value; a MissingSecretError names the secret when it has none. */
  get(name: SecretName): string;
  /** A secret that only switches a feature on: undefined when it was not given. */
  optional(name: SecretName): string | undefined;
  /** Which of them were read from Secrets Manager (the rest come from the environment, as locally). */
  readonly fromSecretsManager: readonly SecretName[];
}

/** Secrets from values read from Secrets Manager, else from the environment by name (the local stack, tests). */
export function secretsOf(env: Env, resolved: ReadonlyMap<SecretName, string> = new Map()): Secrets {
  const optional = (name: SecretName) => resolved.get(name) || env[name] || undefined;
  return {
    get(name) {
      const value = optional(name);
      if (!value) throw new MissingSecretError(`${name} is not set: TMS will not serve requests without it`);
      return value;
    },
    optional,
    fromSecretsManager: [...resolved.keys()],
  };
}

/**
 * Reads every secret whose `<NAME>_SECRET_ARN` the environment names, once, from Secrets Manager. A secret
 * that cannot be read, or has no value yet, is a MissingSecretError: run at a Lambda's cold start (see
 * ./lambda-entry.ts), that fails the function's init, so it never serves without its secrets, and the next
 * invocation tries again (a secret put after the deploy is picked up without a redeploy). Without any
 * `_SECRET_ARN` variable (the local stack, tests) nothing is read and the SDK is not even loaded.
 * Errors name the secret and its ARN, never a value.
 */
export async function resolveSecrets(env: Env, client?: SecretsManagerClient): Promise<Secrets> {
  const wanted = [...SECRET_NAMES, ...OPTIONAL_SECRET_NAMES].flatMap((name) => {
    const arn = env[secretArnVariable(name)];
    return arn ? [{ name, arn }] : [];
  });
  const resolved = new Map<SecretName, string>();
  if (wanted.length === 0) return secretsOf(env, resolved);
  const sdk = await import('@aws-sdk/client-secrets-manager');
  const sm = client ?? new sdk.SecretsManagerClient({});
  await Promise.all(
    wanted.map(async ({ name, arn }) => {
      let value: string | undefined;
      try {
        value = (await sm.send(new sdk.GetSecretValueCommand({ SecretId: arn }))).SecretString;
      } catch (error) {
        const { name: kind, code } = error as { name?: string; code?: string };
        const reason = kind && kind !== 'Error' ? kind : (code ?? (error as Error).message);
        throw new MissingSecretError(
          reason === 'ResourceNotFoundException'
            ? `${name} has no value yet in Secrets Manager (${arn}): put one with aws secretsmanager put-secret-value`
            : `${name} could not be read from Secrets Manager (${arn}): ${reason}`,
          { cause: error },
        );
      }
      if (!value) throw new MissingSecretError(`${name} is empty in Secrets Manager (${arn})`);
      resolved.set(name, value);
    }),
  );
  return secretsOf(env, resolved);
}
