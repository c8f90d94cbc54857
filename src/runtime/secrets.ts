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
/** Secrets that switch a feature on when present (Grafana's HMAC in place of the ingest token). */
export const OPTIONAL_SECRET_NAMES = ['GRAFANA_WEBHOOK_SECRET'] as const;
export type SecretName = (typeof SECRET_NAMES)[number] | (typeof OPTIONAL_SECRET_NAMES)[number];

/** On AWS a function is given the ARN of each secret it needs, never the secret: `SLACK_BOT_TOKEN_SECRET_ARN`. */
export const secretArnVariable = (name: SecretName): `${SecretName}_SECRET_ARN` => `${name}_SECRET_ARN`;

/** Secrets read from Secrets Manager at cold start, kept in memory only (never copied into process.env). */
const resolved = new Map<SecretName, string>();

/**
 * A secret: the one resolved from Secrets Manager at cold start (AWS), else the environment's (the local
 * stack puts its development defaults there).
 */
export function secret(name: SecretName, env: NodeJS.ProcessEnv = process.env): string {
  const value = optionalSecret(name, env);
  if (!value) throw new MissingSecretError(`${name} is not set: TMS will not serve requests without it`);
  return value;
}

/** A secret that only switches a feature on: undefined when it was not given. */
export function optionalSecret(name: SecretName, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return resolved.get(name) || env[name] || undefined;
}

/**
 * Reads every secret whose `<NAME>_SECRET_ARN` the environment names, once, from Secrets Manager. A secret
 * that cannot be read, or has no value yet, is a MissingSecretError: run at a Lambda's cold start (see
 * ./cold-start.ts), that fails the function's init, so it never serves without its secrets, and the next
 * invocation tries again (a secret put after the deploy is picked up without a redeploy). Without any
 * `_SECRET_ARN` variable (the local stack, tests) nothing is read and the SDK is not even loaded.
 * Errors name the secret and its ARN, never a value.
 */
export async function resolveSecrets(
  env: NodeJS.ProcessEnv = process.env,
  client?: SecretsManagerClient,
): Promise<SecretName[]> {
  const wanted = [...SECRET_NAMES, ...OPTIONAL_SECRET_NAMES].flatMap((name) => {
    const arn = env[secretArnVariable(name)];
    return arn ? [{ name, arn }] : [];
  });
  if (wanted.length === 0) return [];
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
  return wanted.map(({ name }) => name);
}

/** Forgets what was resolved: for tests only. */
export function forgetResolvedSecrets(): void {
  resolved.clear();
}
