import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/time.js';
import {
  DeadLetterSettingsError,
  DeadLetterWatchError,
  fromEnvironment,
  makeDeadLetterHandler,
  parseDeadLetterQueues,
} from '../../src/handlers/dead-letters.js';
import { secretsOf } from '../../src/runtime/secrets.js';
import { FakeDeadLetterQueue } from '../fakes/fake-dead-letter-queue.js';
import { MemoryTaskStore } from '../fakes/memory-task-store.js';
import { depsFor, T0 } from '../helpers/factories.js';

const INGEST = {
  name: 'ingest',
  url: 'https://sqs.eu-west-1.amazonaws.com/123456789012/Tms-IngestDeadLetters',
  holds: 'alerts the ingest processor failed on at every receive',
  redrive: 'npm run redrive -- --aws --queue-arn arn:aws:sqs:eu-west-1:123456789012:Tms-IngestDeadLetters',
};
const CARDS = {
  name: 'cards-stream',
  url: 'https://sqs.eu-west-1.amazonaws.com/123456789012/Tms-CardsFailures',
  holds: 'card updates the cards stream consumer gave up on',
  redrive: 'nothing to move back: the sweeper reconciles the cards; then aws sqs purge-queue --queue-url …',
  priority: 'P3',
};

describe('TMS_DEAD_LETTER_QUEUES, read at the cold start', () => {
  it('reads the queues the CDK stack names, with their own priority when they have one', () => {
    expect(parseDeadLetterQueues(JSON.stringify([INGEST, CARDS]))).toEqual([INGEST, CARDS]);
  });

  it.each([
    [
      undefined,
      'TMS_DEAD_LETTER_QUEUES is not set: the dead-letter monitor watches the queues it names, [{"name":"ingest"',
    ],
    ['  ', 'TMS_DEAD_LETTER_QUEUES is not set'],
    ['[{name:"ingest"}]', 'TMS_DEAD_LETTER_QUEUES is not JSON ('],
    [JSON.stringify({ ...INGEST }), 'TMS_DEAD_LETTER_QUEUES is not a list of queues such as'],
    [JSON.stringify([{ ...INGEST, url: 'sqs/tms-dlq' }]), '0.url: '],
    [JSON.stringify([INGEST, { ...CARDS, holds: '' }]), '1.holds: '],
    [JSON.stringify([{ ...INGEST, arn: 'arn:aws:sqs:…' }]), 'Unrecognized key: "arn"'],
    [JSON.stringify([{ ...INGEST, priority: 'urgent' }]), '0.priority: '],
    [
      JSON.stringify([{ ...INGEST, name: 'Ingest Queue' }]),
      '0.name: a short lower-case name such as ingest or cards-stream',
    ],
    [
      JSON.stringify([INGEST, { ...CARDS, name: 'ingest' }]),
      'TMS_DEAD_LETTER_QUEUES names ingest more than once',
    ],
  ])('refuses %s, saying why', (value, message) => {
    expect(() => parseDeadLetterQueues(value)).toThrow(DeadLetterSettingsError);
    expect(() => parseDeadLetterQueues(value)).toThrow(message);
  });

  it('a bad value fails the cold start with that message; a good one builds the handler without a call to AWS', () => {
    const env = { AWS_REGION: 'eu-west-1', TMS_TABLE: 'tms' };
    expect(() => fromEnvironment({ ...env, TMS_DEAD_LETTER_QUEUES: '[]x' }, secretsOf({}))).toThrow(
      'TMS_DEAD_LETTER_QUEUES is not JSON',
    );
    expect(() => fromEnvironment(env, secretsOf({}))).toThrow(DeadLetterSettingsError);
    const handler = fromEnvironment(
      { ...env, TMS_DEAD_LETTER_QUEUES: JSON.stringify([INGEST, CARDS]) },
      secretsOf({}),
    );
    expect(handler).toBeTypeOf('function');
  });
});

describe('the scheduled handler', () => {
  it('watches every queue, then fails the invocation naming the ones it could not look at', async () => {
    // Prepare
    const store = new MemoryTaskStore();
    const deps = depsFor(store, new ManualClock(T0));
    const ingest = new FakeDeadLetterQueue('ingest').failing(
      Object.assign(new Error('Rate exceeded'), { name: 'RequestThrottled' }),
    );
    const cards = new FakeDeadLetterQueue('cards-stream').holding({ depth: 2 });
    const handler = makeDeadLetterHandler(deps, [ingest, cards]);

    // Act
    const failed = await handler({}).catch((error: unknown) => error);

    // Assess
    expect(failed).toBeInstanceOf(DeadLetterWatchError);
    expect((failed as Error).message).toBe(
      '1 of 2 dead-letter queues were not watched: ingest (RequestThrottled: Rate exceeded)',
    );
    expect(cards.looks).toBe(1);
    expect(store.tasks.size).toBe(1);
    ingest.holding({ depth: 0 });
    expect((await handler({})).map((w) => w.result)).toEqual(['ignored', 'ignored']);
  });
});
