import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { MissingSecretError, resolveSecrets } from '../../src/runtime/secrets.js';

const ARN = (name: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:Tms/${name}-AbCdEf`;
const notFound = () =>
  Object.assign(
    new Error("Secrets Manager can't find the specified secret value for staging label: AWSCURRENT"),
    {
      name: 'ResourceNotFoundException',
    },
  );

describe('secrets on AWS: resolved from Secrets Manager at cold start (aws-sdk-client-mock)', () => {
  it('reads each secret named by <NAME>_SECRET_ARN once, and serves it from memory, never from process.env', async () => {
    // Prepare
    const client = new SecretsManagerClient({ region: 'eu-west-1' });
    const sm = mockClient(client);
    sm.on(GetSecretValueCommand, { SecretId: ARN('slack-bot-token') })
      .resolves({ SecretString: 'xoxb-real' })
      .on(GetSecretValueCommand, { SecretId: ARN('slack-signing-secret') })
      .resolves({ SecretString: 'signing-real' });
    const env = {
      SLACK_BOT_TOKEN_SECRET_ARN: ARN('slack-bot-token'),
      SLACK_SIGNING_SECRET_SECRET_ARN: ARN('slack-signing-secret'),
    };

    // Act
    const secrets = await resolveSecrets(env, client);

    // Assess
    expect([...secrets.fromSecretsManager].sort()).toEqual(['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET']);
    expect(secrets.get('SLACK_BOT_TOKEN')).toBe('xoxb-real');
    expect(secrets.get('SLACK_SIGNING_SECRET')).toBe('signing-real');
    expect(secrets.get('SLACK_BOT_TOKEN')).toBe('xoxb-real');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(env).not.toHaveProperty('SLACK_BOT_TOKEN');
    expect(process.env.SLACK_BOT_TOKEN).toBeUndefined();
  });

  it('refuses a secret that has no value yet, naming it and its ARN and telling how to put one', async () => {
    const client = new SecretsManagerClient({ region: 'eu-west-1' });
    mockClient(client).on(GetSecretValueCommand).rejects(notFound());

    const resolving = resolveSecrets({ INGEST_TOKEN_SECRET_ARN: ARN('ingest-token') }, client);

    await expect(resolving).rejects.toThrow(MissingSecretError);
    await expect(resolving).rejects.toThrow(
      `INGEST_TOKEN has no value yet in Secrets Manager (${ARN('ingest-token')}): put one with aws secretsmanager put-secret-value`,
    );
  });

  it('refuses a secret it may not read, and one that is empty or binary, without ever quoting a value', async () => {
    const client = new SecretsManagerClient({ region: 'eu-west-1' });
    mockClient(client)
      .on(GetSecretValueCommand, { SecretId: ARN('github') })
      .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }))
      .on(GetSecretValueCommand, { SecretId: ARN('grafana') })
      .resolves({ SecretBinary: new Uint8Array([1, 2, 3]) });

    await expect(resolveSecrets({ GITHUB_WEBHOOK_SECRET_SECRET_ARN: ARN('github') }, client)).rejects.toThrow(
      `GITHUB_WEBHOOK_SECRET could not be read from Secrets Manager (${ARN('github')}): AccessDeniedException`,
    );
    await expect(
      resolveSecrets({ GRAFANA_WEBHOOK_SECRET_SECRET_ARN: ARN('grafana') }, client),
    ).rejects.toThrow(`GRAFANA_WEBHOOK_SECRET is empty in Secrets Manager (${ARN('grafana')})`);
  });

  it('reads nothing and loads no SDK client without _SECRET_ARN variables: the local stack keeps its environment', async () => {
    const client = new SecretsManagerClient({ region: 'eu-west-1' });
    const sm = mockClient(client);

    const secrets = await resolveSecrets({ INGEST_TOKEN: 'local-ingest-token' }, client);

    expect(sm.calls()).toHaveLength(0);
    expect(secrets.fromSecretsManager).toEqual([]);
    expect(secrets.get('INGEST_TOKEN')).toBe('local-ingest-token');
    expect(secrets.optional('GRAFANA_WEBHOOK_SECRET')).toBeUndefined();
    expect(() => secrets.get('TMS_API_TOKEN')).toThrow(MissingSecretError);
  });
});
