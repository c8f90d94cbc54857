import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { STREAM_CONSUMERS } from '../../src/handlers/stream-consumers.js';
import { TASK_ITEMS } from '../../src/jobs/stream-consumers.js';
import { logicalIdAt, synth } from './synth.js';

const { stack, template } = synth();
const id = (path: string) => logicalIdAt(stack, `Tms/${path}`);

describe('the card projector on the table’s stream', () => {
  it('gets task changes only, reports its failed records, bisects, retries a bounded number of times, then gives up to its queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: id('Cards/Function') },
      EventSourceArn: { 'Fn::GetAtt': [id('Store/Table'), 'StreamArn'] },
      StartingPosition: 'LATEST',
      FilterCriteria: { Filters: [{ Pattern: '{"dynamodb":{"Keys":{"sk":{"S":["TASK"]}}}}' }] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      MaximumRecordAgeInSeconds: 3600,
      MaximumBatchingWindowInSeconds: 0,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [id('CardsFeed/Failures/Queue'), 'Arn'] } },
      },
    });
  });

  it('runs as many batches of a shard side by side as the local stack runs lanes, so a click’s card does not wait behind a storm’s', () => {
    const lanes = STREAM_CONSUMERS.find((c) => c.name === 'cards')?.parallelization;
    expect(lanes).toBeGreaterThan(1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: id('Cards/Function') },
      ParallelizationFactor: lanes,
    });
  });
});

describe('the aggregator on the table’s stream', () => {
  it('gathers up to a thousand records for 5 s, so a storm’s counters cost a write per item per batch', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: id('Aggregator/Function') },
      BatchSize: 1000,
      MaximumBatchingWindowInSeconds: 5,
      ParallelizationFactor: Match.absent(),
    });
  });

  it('is how every consumer of the stream is wired: its filter as the local stack applies it (task items only), partial failures, bounded retries, its own queue', () => {
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'))
      .map((m) => m.Properties)
      .filter((m) => JSON.stringify(m.EventSourceArn).includes('StreamArn'));
    expect(mappings).toHaveLength(STREAM_CONSUMERS.length);
    for (const consumer of STREAM_CONSUMERS) expect(consumer.filter).toEqual(TASK_ITEMS);
    // Task items first; the live pusher also takes trend episodes and sent SLA warnings (test/infra/live.test.ts).
    const patterns = mappings.map((m) => m.FilterCriteria.Filters.map((f: { Pattern: string }) => f.Pattern));
    expect(patterns.sort()).toEqual(
      STREAM_CONSUMERS.map((c) => [c.filter, ...(c.also ?? [])].map((p) => JSON.stringify(p))).sort(),
    );
    for (const mapping of mappings)
      expect(mapping).toMatchObject({
        EventSourceArn: { 'Fn::GetAtt': [id('Store/Table'), 'StreamArn'] },
        FilterCriteria: {
          Filters: expect.arrayContaining([{ Pattern: '{"dynamodb":{"Keys":{"sk":{"S":["TASK"]}}}}' }]),
        },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: 5,
        MaximumRecordAgeInSeconds: 3600,
      });
    const queues = mappings.map((m) => JSON.stringify(m.DestinationConfig));
    expect(new Set(queues).size).toBe(mappings.length);
  });
});

describe('failure queues: nothing accepted is lost', () => {
  const queues = [
    'IngestQueue/DeadLetters/Queue',
    'CardsFeed/Failures/Queue',
    'AggregatorFeed/Failures/Queue',
    'BotJobFailures/Queue',
    'EventsFailures/Queue',
  ];

  it.each(queues)(
    '%s is encrypted, refuses plain HTTP, keeps messages 14 days and has a depth alarm',
    (path) => {
      expect(template.toJSON().Resources[id(path)].Properties).toEqual({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 86_400,
      });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id(path) }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [id(path), 'QueueName'] } }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    },
  );
});
