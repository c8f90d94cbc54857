import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnsNotifier } from '../../../src/adapters/aws/sns-notifier.js';
import { TransientError } from '../../../src/core/errors.js';
import type { TestStack } from '../../helpers/local-stack.js';
import { getJson, inProcessStack } from '../../helpers/local-stack.js';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:tms-notifications';

describe('SnsNotifier (aws-sdk-client-mock)', () => {
  it('publishes subject, message and attributes to the topic, keeping the subject within what email allows', async () => {
    const client = new SNSClient({ region: 'eu-west-1' });
    const sns = mockClient(client);
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    await new SnsNotifier(client, TOPIC).publish({
      subject: `P1 TMS-42 Checkout down — ${'x'.repeat(120)}`,
      message: 'Checkout is down in eu-west-1',
      attributes: { priority: 'P1', service: 'checkout' },
    });
    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      TopicArn: TOPIC,
      Message: 'Checkout is down in eu-west-1',
      MessageAttributes: {
        priority: { DataType: 'String', StringValue: 'P1' },
        service: { DataType: 'String', StringValue: 'checkout' },
      },
    });
    expect(input?.Subject).toHaveLength(100);
    expect(input?.Subject).toMatch(/^P1 TMS-42 Checkout down \? x+\.\.\.$/);
  });

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

  it('records what the real SDK publishes to the notification topic, readable at /_sandbox/sns/messages', async () => {
    // Prepare: the SDK finds the local SNS through AWS_ENDPOINT_URL_SNS, as a deployed handler finds AWS.
    const notifier = new SnsNotifier(new SNSClient({}), process.env.TMS_NOTIFY_TOPIC_ARN as string);
    // Act
    await notifier.publish({
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

  it('refuses a topic it does not have, as SNS does', async () => {
    const notifier = new SnsNotifier(new SNSClient({}), 'arn:aws:sns:local:000000000000:nope');
    await expect(notifier.publish({ subject: 's', message: 'm' })).rejects.toMatchObject({
      name: 'NotFoundException',
    });
  });
});
