import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnsNotifier } from '../../../src/adapters/aws/sns-notifier.js';
import { TransientError } from '../../../src/core/errors.js';
import { LOCAL_AWS } from '../../../src/local/embedded-dynamo.js';
import { SnsEmulator } from '../../../src/local/sns-emulator.js';
import type { TestStack } from '../../helpers/local-stack.js';
import { getJson, inProcessStack } from '../../helpers/local-stack.js';
import { notifierContract } from '../notifier.contract.js';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:tms-notifications';

/** The SNS emulator behind a port of its own, as SNS's query protocol over HTTP: the real SDK talks to it. */
async function snsOverHttp() {
  let emulator = new SnsEmulator(TOPIC);
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const answer = emulator.handle(
      new URLSearchParams(Buffer.concat(chunks).toString('utf8')),
      request.headers.authorization,
    );
    response.writeHead(answer.status, { 'content-type': 'text/xml' }).end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = new SNSClient({
    ...LOCAL_AWS,
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  });
  return {
    client,
    messages: () => emulator.messages(),
    /** Forgets what was published, for the next test. */
    reset: () => {
      emulator = new SnsEmulator(TOPIC);
    },
    close: async () => {
      client.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('SnsNotifier against the SNS emulator', () => {
  let sns: Awaited<ReturnType<typeof snsOverHttp>>;
  beforeAll(async () => {
    sns = await snsOverHttp();
  });
  afterAll(() => sns.close());

  notifierContract('SnsNotifier', async () => {
    sns.reset();
    return {
      notifier: new SnsNotifier(sns.client, TOPIC),
      delivered: async () =>
        sns.messages().map(({ subject, message, attributes }) => ({
          subject: subject ?? '',
          message,
          ...(Object.keys(attributes).length > 0 ? { attributes } : {}),
        })),
    };
  });

  it('keeps a subject within what email allows: at most 100 characters of printable ASCII', async () => {
    sns.reset();
    await new SnsNotifier(sns.client, TOPIC).publish({
      subject: `P1 TMS-42 Checkout down — ${'x'.repeat(120)}`,
      message: 'Checkout is down in eu-west-1',
    });
    const [published] = sns.messages();
    expect(published?.subject).toHaveLength(100);
    expect(published?.subject).toMatch(/^P1 TMS-42 Checkout down \? x+\.\.\.$/);
  });

  it('refuses a topic SNS does not have', async () => {
    const notifier = new SnsNotifier(sns.client, 'arn:aws:sns:eu-west-1:123456789012:nope');
    await expect(notifier.publish({ subject: 's', message: 'm' })).rejects.toMatchObject({
      name: 'NotFoundException',
    });
  });
});

describe('SnsNotifier faults the emulator cannot stage (aws-sdk-client-mock)', () => {
  it('reports throttling as a transient error and anything else as it is', async () => {
    const client = new SNSClient({ region: 'eu-west-1' });
    const sns = mockClient(client);
    sns
      .on(PublishCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottledException' }))
      .rejectsOnce(Object.assign(new Error('Topic does not exist'), { name: 'NotFoundException' }));
    await expect(
      new SnsNotifier(client, TOPIC).publish({ subject: 's', message: 'm' }),
    ).rejects.toBeInstanceOf(TransientError);
    await expect(new SnsNotifier(client, TOPIC).publish({ subject: 's', message: 'm' })).rejects.toThrow(
      'Topic does not exist',
    );
  });
});

describe('SNS played by the local stack', () => {
  let tms: TestStack;
  beforeAll(async () => {
    tms = await inProcessStack();
  });
  afterAll(async () => {
    await tms.close();
  });

  it('records what its notifier publishes through the real SDK, readable at /_sandbox/sns/messages', async () => {
    // Prepare: the notifier the stack built from its deps, as a deployed handler builds its own.
    const { notifier } = tms.deps;
    expect(notifier).toBeInstanceOf(SnsNotifier);
    // Act
    await notifier?.publish({
      subject: 'P1 TMS-7 opened',
      message: 'Checkout 5xx above 5%',
      attributes: { priority: 'P1' },
    });
    // Assess
    const { body } = await getJson(`${tms.url}/_sandbox/sns/messages`);
    expect(body.messages).toEqual([
      {
        messageId: expect.any(String),
        topicArn: 'arn:aws:sns:local:000000000000:tms-notifications',
        subject: 'P1 TMS-7 opened',
        message: 'Checkout 5xx above 5%',
        attributes: { priority: 'P1' },
        timestamp: expect.any(String),
      },
    ]);
    expect(tms.lines.some((l) => l.includes('sns published'))).toBe(true);
  });
});
