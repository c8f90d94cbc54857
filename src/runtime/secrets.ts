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
export type SecretName = (typeof SECRET_NAMES)[number];

/**
 * A secret from the environment. The local stack puts its development defaults there; on AWS the
 * deployment resolves `<NAME>_SECRET_ARN` from Secrets Manager into it at cold start.
 */
export function secret(name: SecretName, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new MissingSecretError(`${name} is not set: TMS will not serve requests without it`);
  return value;
}
