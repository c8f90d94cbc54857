import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  forgetResolvedSecrets,
  MissingSecretError,
  optionalSecret,
  resolveSecrets,
  secret,
} from '../../src/runtime/secrets.js';

const ARN = (name: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:Tms/${name}-AbCdEf`;
const notFound = () =>
  Object.assign(
    new Error("Secrets Manager can't find the specified secret value for staging label: AWSCURRENT"),
    {
      name: 'ResourceNotFoundException',
    },
  );

describe('secrets on AWS: resolved from Secrets Manager at cold start (aws-sdk-client-mock)', () => {
  afterEach(() => forgetResolvedSecrets());

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
    const names = await resolveSecrets(env, client);

    // Assess
    expect(names.sort()).toEqual(['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET']);
    expect(secret('SLACK_BOT_TOKEN', env)).toBe('xoxb-real');
    expect(secret('SLACK_SIGNING_SECRET', env)).toBe('signing-real');
    expect(secret('SLACK_BOT_TOKEN', env)).toBe('xoxb-real');
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
    expect(() => secret('INGEST_TOKEN', {})).toThrow(MissingSecretError);
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

    expect(await resolveSecrets({ INGEST_TOKEN: 'local-ingest-token' }, client)).toEqual([]);

    expect(sm.calls()).toHaveLength(0);
    expect(secret('INGEST_TOKEN', { INGEST_TOKEN: 'local-ingest-token' })).toBe('local-ingest-token');
    expect(optionalSecret('GRAFANA_WEBHOOK_SECRET', {})).toBeUndefined();
  });
});

describe('a Lambda cold start (src/runtime/cold-start.ts, first in every bundle)', () => {
  const variable = 'SLACK_BOT_TOKEN_SECRET_ARN';
  afterEach(() => {
    delete process.env[variable];
    vi.resetModules();
  });

  it('fails the init when a secret it was given cannot be read, so the function never serves', async () => {
    // Prepare: every SecretsManagerClient the module builds answers "no value yet"
    const sm = mockClient(SecretsManagerClient);
    sm.on(GetSecretValueCommand).rejects(notFound());
    process.env[variable] = ARN('slack-bot-token');
    vi.resetModules();

    // Act + Assess
    await expect(import('../../src/runtime/cold-start.js')).rejects.toThrow(
      /SLACK_BOT_TOKEN has no value yet/,
    );
    sm.restore();
  });

  it('has the secret in hand before the handler module runs', async () => {
    const sm = mockClient(SecretsManagerClient);
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'xoxb-from-secrets-manager' });
    process.env[variable] = ARN('slack-bot-token');
    vi.resetModules();

    await import('../../src/runtime/cold-start.js');
    const { secret: fresh } = await import('../../src/runtime/secrets.js');

    expect(fresh('SLACK_BOT_TOKEN')).toBe('xoxb-from-secrets-manager');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    sm.restore();
  });
});
