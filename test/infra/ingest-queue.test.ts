/** Accept fast, process from a queue: the ingest queue, its dead-letter queue, the processor and who may send. */
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { MAX_RECEIVES, PROCESSOR_MAX_CONCURRENCY } from '../../infra/constructs/ingest-queue.js';
import { PROCESSOR_ENTRY } from '../../infra/stack.js';
import { VISIBILITY_TIMEOUT_S } from '../../src/ingest/queue.js';
import { actionsOf, logicalIdAt, resourcesOf, statementsOf, synth } from './synth.js';

const { stack, template } = synth();
const id = (path: string) => logicalIdAt(stack, `Tms/${path}`);
const resources = template.toJSON().Resources as Record<
  string,
  { Type: string; Properties: Record<string, unknown> }
>;
const queueId = id('IngestQueue/Queue');
const deadId = id('IngestQueue/DeadLetters/Queue');
const queueArn = { 'Fn::GetAtt': [queueId, 'Arn'] };
/** A resource's properties, by its construct path. */
function propertiesAt(path: string): Record<string, unknown> {
  const found = resources[id(path)];
  if (!found) throw new Error(`nothing at ${path}`);
  return found.Properties;
}
const variablesOf = (name: string) =>
  (propertiesAt(`${name}/Function`) as { Environment: { Variables: Record<string, unknown> } }).Environment
    .Variables;
const queue = () => propertiesAt('IngestQueue/Queue');
const mapping = () =>
  Object.values(resources).find(
    (r) =>
      r.Type === 'AWS::Lambda::EventSourceMapping' &&
      JSON.stringify(r.Properties.EventSourceArn) === JSON.stringify(queueArn),
  )?.Properties as Record<string, unknown>;
/** Every function of the stack, by its construct id. */
const FUNCTIONS = [
  'Api',
  'Ingest',
  'Bot',
  'Events',
  'Cards',
  'Sweeper',
  'Aggregator',
  'Processor',
  'DeadLetters',
];
const SENDERS = ['Ingest', 'Events', 'Sweeper'];
/** What SqsEventSource grants a consumer: everything but sending. */
const CONSUMING = [
  'sqs:ChangeMessageVisibility',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
  'sqs:GetQueueUrl',
  'sqs:ReceiveMessage',
];
const onIngestQueue = (name: string) =>
  statementsOf(template, id(`${name}/Role`)).filter((s) =>
    resourcesOf(s).some((r) => JSON.stringify(r) === JSON.stringify(queueArn)),
  );

describe('the ingest queue', () => {
  it('is encrypted (SQS-managed keys) and refuses plain HTTP', () => {
    expect(queue().SqsManagedSseEnabled).toBe(true);
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sqs:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it(`moves a message received ${MAX_RECEIVES} times to its dead-letter queue, which keeps it 14 days, longer than the queue would`, () => {
    expect(MAX_RECEIVES).toBe(5);
    expect(queue().RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [deadId, 'Arn'] },
      maxReceiveCount: 5,
    });
    const dead = propertiesAt('IngestQueue/DeadLetters/Queue');
    expect(dead).toEqual({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 });
    // SQS keeps a moved message's first enqueue time: a dead letter has at least the difference left.
    expect(queue().MessageRetentionPeriod).toBe(4 * 86_400);
    expect(dead.MessageRetentionPeriod as number).toBeGreaterThan(queue().MessageRetentionPeriod as number);
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: deadId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it("hides a received message for six times the processor's timeout plus the batching window", () => {
    const processor = propertiesAt('Processor/Function') as { Timeout: number };
    const window = mapping().MaximumBatchingWindowInSeconds as number;
    expect(processor.Timeout).toBe(60);
    expect(queue().VisibilityTimeout).toBe(6 * processor.Timeout + window);
    // The processor's and the sweeper's lease reckon with this figure (src/ingest/queue.ts QUEUE_LEASE_MS).
    expect(queue().VisibilityTimeout).toBe(VISIBILITY_TIMEOUT_S);
  });
});

describe('the processor', () => {
  it('runs src/handlers/ingest-processor.ts from the house construct, with no secret and no topic', () => {
    expect(PROCESSOR_ENTRY).toBe('src/handlers/ingest-processor.ts');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Tags: Match.arrayWith([{ Key: 'tms:handler', Value: PROCESSOR_ENTRY }]),
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Role: { 'Fn::GetAtt': [id('Processor/Role'), 'Arn'] },
    });
    const variables = variablesOf('Processor');
    expect(Object.keys(variables).filter((v) => v.endsWith('_SECRET_ARN'))).toEqual([]);
    expect(variables).not.toHaveProperty('TMS_NOTIFY_TOPIC_ARN');
    // The contract: the processor gets no variable beyond the house ones (it sends nothing to the queue).
    expect(variables).not.toHaveProperty('TMS_INGEST_QUEUE_URL');
  });

  it('takes batches of 10 gathered for at most a second, reports its failed messages, and runs at most 10 at once', () => {
    expect(mapping()).toEqual({
      EventSourceArn: queueArn,
      FunctionName: { Ref: id('Processor/Function') },
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: PROCESSOR_MAX_CONCURRENCY },
      Tags: [{ Key: 'tms:handler', Value: PROCESSOR_ENTRY }],
    });
    expect(PROCESSOR_MAX_CONCURRENCY).toBe(10);
  });

  it('consumes the ingest queue and sends nothing to it; nothing else on SQS', () => {
    const sqs = statementsOf(template, id('Processor/Role')).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('sqs:')),
    );
    expect(sqs).toHaveLength(1);
    expect(sqs.flatMap(resourcesOf)).toEqual([queueArn]);
    expect(sqs.flatMap(actionsOf).sort()).toEqual(CONSUMING);
  });
});

describe('who may send to the ingest queue', () => {
  it.each(SENDERS)(
    '%s: SendMessage on it alone, its URL as TMS_INGEST_QUEUE_URL, and no consuming',
    (name) => {
      expect(onIngestQueue(name)).toEqual([
        { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: queueArn },
      ]);
      const variables = variablesOf(name);
      expect(variables.TMS_INGEST_QUEUE_URL).toEqual({ Ref: queueId });
      // Not on any other queue either: receiving or deleting is the processor's alone.
      const sqsActions = statementsOf(template, id(`${name}/Role`))
        .flatMap(actionsOf)
        .filter((a) => a.startsWith('sqs:'));
      expect(
        sqsActions.filter((a) =>
          ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'].includes(a),
        ),
      ).toEqual([]);
    },
  );

  it('nobody else: no other function may send to it or knows its URL', () => {
    for (const name of FUNCTIONS.filter((n) => !SENDERS.includes(n))) {
      const onQueue = onIngestQueue(name).flatMap(actionsOf);
      expect(onQueue, name).not.toContain('sqs:SendMessage');
      if (name !== 'Processor') expect(onQueue, name).toEqual([]);
      const variables = variablesOf(name);
      expect(variables, name).not.toHaveProperty('TMS_INGEST_QUEUE_URL');
    }
  });

  it('says where its dead letters are, for start-message-move-task', () => {
    template.hasOutput('IngestDeadLetterQueueArn', { Value: { 'Fn::GetAtt': [deadId, 'Arn'] } });
  });
});
