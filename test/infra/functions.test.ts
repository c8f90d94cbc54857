import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { OPTIONAL_SECRET_NAMES, SECRET_NAMES } from '../../src/runtime/secrets.js';
import { actionsOf, logicalIdAt, resourcesOf, type Statement, statementsOf, synth } from './synth.js';

const { stack, template } = synth();
const id = (path: string) => logicalIdAt(stack, `Tms/${path}`);
const tableId = id('Store/Table');
const tableArn = { 'Fn::GetAtt': [tableId, 'Arn'] };
const indexArn = (index: string) => ({ 'Fn::Join': ['', [tableArn, `/index/${index}`]] });
const fnProps = (name: string) =>
  template.toJSON().Resources[id(`${name}/Function`)].Properties as {
    Environment: { Variables: Record<string, unknown> };
  };

/** Each function, by its construct id, and the handler it runs. */
const HANDLERS = {
  Api: 'src/handlers/api.ts',
  Ingest: 'src/handlers/ingest.ts',
  Bot: 'src/handlers/bot.ts',
  Events: 'src/handlers/aws-ingest.ts',
  Cards: 'src/handlers/cards-stream.ts',
  Sweeper: 'src/handlers/sweeper.ts',
  Processor: 'src/handlers/ingest-processor.ts',
  DeadLetters: 'src/handlers/dead-letters.ts',
} as const;
type Name = keyof typeof HANDLERS;

/**
 * What each handler's code calls on the table, read from the handlers and src/adapters/dynamo/*: written out
 * here rather than taken from the stack, so a grant that grows is a failing test to look at.
 */
const DYNAMO: Record<Name, { table: string[]; indexes: string[] }> = {
  // get a task and its card, its timeline (a query of its partition); list by status/service/assignee
  // (a list is a query of an index's keys, then one BatchGetItem of the page's tasks); insights: hourly
  // counters, a service's issue statistics and the trend episodes (each a query of its partition), a
  // trending fingerprint's task (get), whether a service had a task (a list of one); writes: the id counter
  // (update), a new task (put), a change (put, held entries copied in batches), an alert task's fingerprint
  // on resolve and reopen (updates)
  Api: {
    table: ['BatchGetItem', 'BatchWriteItem', 'DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'],
    indexes: ['gsi1', 'gsi2', 'gsi3'],
  },
  // archive raw (put, its chunks in batches, get, a chunked body's query, mark processed), silences (gsi1, count)
  Ingest: { table: ['BatchWriteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'], indexes: ['gsi1'] },
  Events: { table: ['BatchWriteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'], indexes: ['gsi1'] },
  // fingerprints, counter, task, timeline (batch), a redelivery's look at the task's history (query), silences
  Processor: { table: ['BatchWriteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'], indexes: ['gsi1'] },
  // its own tasks through the ingest use case: fingerprints, counter, task, timeline (batch), silences;
  // an ingest dead letter's archived delivery (get, a chunked body's query)
  DeadLetters: { table: ['BatchWriteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'], indexes: ['gsi1'] },
  // every use case, list + App Home (gsi1-3), silences, at-most-once markers (put, delete), cards
  Bot: {
    table: ['BatchGetItem', 'BatchWriteItem', 'DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'],
    indexes: ['gsi1', 'gsi2', 'gsi3'],
  },
  // lease/release the card, the task and its timeline, markers for DMs and P1 announcements
  Cards: { table: ['BatchGetItem', 'DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'], indexes: [] },
  // re-drive (gsi1 + the ingest path), reconcile cards (gsi1, the audit's BatchGetItem, the projector's path),
  // SLA warnings (gsi1)
  Sweeper: {
    table: ['BatchGetItem', 'BatchWriteItem', 'DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'],
    indexes: ['gsi1'],
  },
};
const SECRETS: Record<Name, string[]> = {
  Api: [], // on AWS /api/* is behind Cognito: no TMS_API_TOKEN
  Ingest: ['GITHUB_WEBHOOK_SECRET', 'GRAFANA_WEBHOOK_SECRET', 'INGEST_TOKEN'],
  Bot: ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET'],
  Events: [], // AWS invokes it: IAM is the proof
  Cards: ['SLACK_BOT_TOKEN'],
  Sweeper: ['SLACK_BOT_TOKEN', 'TMS_WEBHOOK_SECRET'],
  Processor: [], // it records alerts; cards and Slack follow from the stream
  DeadLetters: [],
};
const PUBLISHERS: Name[] = ['Cards', 'Sweeper'];
const names = Object.keys(HANDLERS) as Name[];

describe('a function for every handler, from one house construct', () => {
  it.each(names)(
    '%s: its handler, Node 22 on arm64, untraced, the bundled config, its own log group',
    (name) => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Tags: Match.arrayWith([{ Key: 'tms:handler', Value: HANDLERS[name] }]),
        Handler: 'index.handler',
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: Match.absent(),
        Role: { 'Fn::GetAtt': [id(`${name}/Role`), 'Arn'] },
        LoggingConfig: { LogGroup: { Ref: id(`${name}/Logs`) } },
        Environment: {
          Variables: Match.objectLike({
            TMS_TABLE: { Ref: tableId },
            TMS_CONFIG: '/var/task/tms.config.yaml',
            NODE_OPTIONS: '--enable-source-maps',
            POWERTOOLS_SERVICE_NAME: 'tms',
            POWERTOOLS_METRICS_NAMESPACE: 'TMS',
          }),
        },
      });
      expect(template.toJSON().Resources[id(`${name}/Logs`)].Properties).toEqual({ RetentionInDays: 30 });
    },
  );

  it('gives no role an AWS managed policy: logs go to its own group only', () => {
    for (const [roleId, role] of Object.entries(template.findResources('AWS::IAM::Role')))
      expect(role.Properties.ManagedPolicyArns, roleId).toBeUndefined();
    for (const name of names)
      expect(
        statementsOf(template, id(`${name}/Role`)).filter((s) =>
          actionsOf(s).some((a) => a.startsWith('logs:')),
        ),
      ).toEqual([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [id(`${name}/Logs`), 'Arn'] },
        },
      ]);
  });
});

describe('least privilege on the table: only what each handler calls', () => {
  it.each(names)('%s', (name) => {
    const dynamo = statementsOf(template, id(`${name}/Role`)).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('dynamodb:')),
    );
    const onTable = dynamo.filter((s) => JSON.stringify(resourcesOf(s)) === JSON.stringify([tableArn]));
    const onIndexes = dynamo.filter((s) => JSON.stringify(s.Resource).includes('/index/'));
    const onStream = dynamo.filter((s) => JSON.stringify(s.Resource).includes('StreamArn'));
    expect(onTable.flatMap(actionsOf).sort()).toEqual(DYNAMO[name].table.map((a) => `dynamodb:${a}`));
    if (DYNAMO[name].indexes.length === 0) expect(onIndexes).toEqual([]);
    else
      expect(onIndexes).toEqual([
        {
          Effect: 'Allow',
          Action: 'dynamodb:Query',
          Resource: DYNAMO[name].indexes.length === 1 ? indexArn('gsi1') : DYNAMO[name].indexes.map(indexArn),
        },
      ]);
    // Nothing else on DynamoDB: no Scan, no wildcard, no other table; stream reads for the stream consumer.
    expect(dynamo.length).toBe(onTable.length + onIndexes.length + onStream.length);
    expect(onStream.flatMap(actionsOf).sort()).toEqual(
      name === 'Cards'
        ? [
            'dynamodb:DescribeStream',
            'dynamodb:GetRecords',
            'dynamodb:GetShardIterator',
            'dynamodb:ListStreams',
          ]
        : [],
    );
  });
});

describe('secrets: by ARN, read at cold start, never a value in the environment', () => {
  const secretIds = Object.fromEntries(
    [...SECRET_NAMES, ...OPTIONAL_SECRET_NAMES]
      .filter((n) => n !== 'TMS_API_TOKEN')
      .map((n) => [n, id(`Secrets/${n}`)]),
  );

  it.each(names)(
    '%s gets <NAME>_SECRET_ARN for exactly the secrets its code reads, and may read only those',
    (name) => {
      const variables = fnProps(name).Environment.Variables;
      const arnVariables = Object.keys(variables).filter((v) => v.endsWith('_SECRET_ARN'));
      expect(arnVariables.sort()).toEqual(SECRETS[name].map((s) => `${s}_SECRET_ARN`));
      for (const secret of SECRETS[name])
        expect(variables[`${secret}_SECRET_ARN`]).toEqual({ Ref: secretIds[secret] });
      for (const secret of [...SECRET_NAMES, ...OPTIONAL_SECRET_NAMES])
        expect(variables).not.toHaveProperty(secret);
      const reads = statementsOf(template, id(`${name}/Role`)).filter((s) =>
        actionsOf(s).includes('secretsmanager:GetSecretValue'),
      );
      expect(reads.flatMap(resourcesOf)).toEqual(
        SECRETS[name].map((s) => ({ Ref: secretIds[s] })).sort(byRef(reads)),
      );
    },
  );

  it('creates the secrets under the stack name; Slack issues its own (created empty), TMS generates the rest', () => {
    const secrets = template.findResources('AWS::SecretsManager::Secret');
    const byName = Object.fromEntries(
      Object.values(secrets).map((s) => [s.Properties.Name as string, s as Record<string, unknown>]),
    );
    expect(Object.keys(byName).sort()).toEqual([
      'Tms/github-webhook-secret',
      'Tms/grafana-webhook-secret',
      'Tms/ingest-token',
      'Tms/slack-bot-token',
      'Tms/slack-signing-secret',
      'Tms/webhook-signing-secret',
    ]);
    for (const name of ['Tms/slack-bot-token', 'Tms/slack-signing-secret']) {
      const props = (byName[name] as { Properties: Record<string, unknown> }).Properties;
      expect(props).not.toHaveProperty('GenerateSecretString');
      expect(props).not.toHaveProperty('SecretString');
    }
    for (const name of [
      'Tms/github-webhook-secret',
      'Tms/grafana-webhook-secret',
      'Tms/ingest-token',
      'Tms/webhook-signing-secret',
    ])
      expect(
        (byName[name] as { Properties: Record<string, unknown> }).Properties.GenerateSecretString,
      ).toEqual({
        PasswordLength: 48,
        ExcludePunctuation: true,
        IncludeSpace: false,
      });
    for (const secret of Object.values(byName)) expect(secret.DeletionPolicy).toBe('Retain');
  });
});

describe('the notification topic: only the functions that publish may', () => {
  it.each(names)('%s', (name) => {
    const variables = fnProps(name).Environment.Variables;
    const publishes = statementsOf(template, id(`${name}/Role`)).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('sns:') || a.startsWith('kms:')),
    );
    if (!PUBLISHERS.includes(name)) {
      expect(variables).not.toHaveProperty('TMS_NOTIFY_TOPIC_ARN');
      expect(publishes).toEqual([]);
      return;
    }
    expect(variables.TMS_NOTIFY_TOPIC_ARN).toEqual({ Ref: id('Notifications/Topic') });
    expect(publishes).toEqual([
      { Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: id('Notifications/Topic') } },
      {
        Effect: 'Allow',
        Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
        Resource: { 'Fn::GetAtt': [id('Notifications/Key'), 'Arn'] },
      },
    ]);
  });

  it('is encrypted with a rotated key of its own, TLS only, and mails the config’s addresses', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [id('Notifications/Key'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sns:Publish',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      TopicArn: { Ref: id('Notifications/Topic') },
    });
  });
});

describe("the bot's slow work: an asynchronous invocation of itself", () => {
  it('may invoke itself and nothing else, through a policy of its own (no dependency cycle)', () => {
    expect(
      statementsOf(template, id('Bot/Role')).filter((s) => actionsOf(s).includes('lambda:InvokeFunction')),
    ).toEqual([
      {
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: { 'Fn::GetAtt': [id('Bot/Function'), 'Arn'] },
      },
    ]);
    for (const name of names.filter((n) => n !== 'Bot'))
      expect(statementsOf(template, id(`${name}/Role`)).flatMap(actionsOf)).not.toContain(
        'lambda:InvokeFunction',
      );
  });

  it('retries a failed job twice within ten minutes, then sends it to its failure queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: id('Bot/Function') },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 600,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [id('BotJobFailures/Queue'), 'Arn'] } },
      },
    });
  });

  it('AWS-invoked events retry twice within six hours, then wait in their failure queue; a sweep is not retried', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: id('Events/Function') },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 6 * 3600,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [id('EventsFailures/Queue'), 'Arn'] } },
      },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: id('Sweeper/Function') },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
    });
  });
});

/** Sorts expected refs in the order the statements list them (the order grants were made). */
function byRef(reads: Statement[]) {
  const order = reads.flatMap(resourcesOf).map((r) => JSON.stringify(r));
  return (a: unknown, b: unknown) => order.indexOf(JSON.stringify(a)) - order.indexOf(JSON.stringify(b));
}
