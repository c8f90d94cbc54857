import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveriesOf, makeAwsIngestHandler } from '../../src/handlers/aws-ingest.js';
import { API, getJson, inProcessStack, type TestStack } from '../helpers/local-stack.js';

/** AWS's own event shapes, from aws-lambda-go's testdata (see test/fixtures/aws/README.md). */
const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/aws/${name}.json`, import.meta.url), 'utf8'));
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:alarms';

let stack: TestStack;
let handler: ReturnType<typeof makeAwsIngestHandler>;
beforeAll(async () => {
  stack = await inProcessStack();
  handler = makeAwsIngestHandler(stack.deps);
});
afterAll(() => stack.close());

const task = async (id: string) => (await getJson(`${stack.url}/api/tasks/${id}`, API())).body.task;

/** The SNS-to-Lambda event, on an allowed topic, carrying an alarm with a real ARN. */
function snsEvent(name: string, changed: string, fixtureName = 'cloudwatch-alarm-sns-payload-single-metric') {
  const event = fixture(fixtureName);
  const sns = event.Records[0].Sns;
  sns.TopicArn = TOPIC;
  sns.MessageId = `${name}-${changed}`;
  sns.Message = JSON.stringify({
    ...JSON.parse(sns.Message),
    AlarmName: name,
    AWSAccountId: '123456789012',
    AlarmArn: `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${name}`,
    StateChangeTime: changed,
  });
  return event;
}

/** EventBridge's "CloudWatch Alarm State Change" for the same alarm and transition. */
const stateChange = (name: string, value: string, timestamp: string) => ({
  version: '0',
  id: `eb-${name}-${timestamp}`,
  'detail-type': 'CloudWatch Alarm State Change',
  source: 'aws.cloudwatch',
  account: '123456789012',
  time: '2026-11-22T10:00:01Z',
  region: 'eu-west-1',
  resources: [`arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${name}`],
  detail: {
    alarmName: name,
    state: { value, reason: 'Threshold Crossed', timestamp },
    previousState: { value: 'OK', timestamp: '2026-11-22T09:00:00.000+0000' },
    configuration: {
      description: 'p99 latency',
      metrics: [
        {
          id: 'm1',
          metricStat: {
            metric: {
              namespace: 'AWS/ApplicationELB',
              name: 'TargetResponseTime',
              dimensions: { LoadBalancer: 'app/checkout' },
            },
            period: 60,
            stat: 'p99',
          },
          returnData: true,
        },
      ],
    },
  },
});

describe('alert sources AWS invokes directly', () => {
  it('records an alarm from SNS-to-Lambda and its EventBridge copy as one occurrence; OK resolves', async () => {
    const fromSns = await handler(snsEvent('checkout-p99', '2026-11-22T10:00:00.000+0000'));
    const fromEventBridge = await handler(
      stateChange('checkout-p99', 'ALARM', '2026-11-22T10:00:00.000+0000'),
    );
    expect(fromEventBridge.taskIds).toEqual(fromSns.taskIds);
    const [id] = fromSns.taskIds;
    expect(await task(id as string)).toMatchObject({ occurrences: 1, service: 'checkout', status: 'open' });
    await handler(stateChange('checkout-p99', 'OK', '2026-11-22T10:10:00.000+0000'));
    expect((await task(id as string)).status).toBe('resolved');
  });

  it('reads the EventBridge dimensions object and the multiple-metrics SNS payload', async () => {
    const eb = await handler(stateChange('checkout-5xx', 'ALARM', '2026-11-22T11:00:00.000+0000'));
    expect((await task(eb.taskIds[0] as string)).labels).toMatchObject({
      LoadBalancer: 'app/checkout',
      metric: 'TargetResponseTime',
    });
    const multi = await handler(
      snsEvent(
        'checkout-math',
        '2026-11-22T11:05:00.000+0000',
        'cloudwatch-alarm-sns-payload-multiple-metrics',
      ),
    );
    expect((await task(multi.taskIds[0] as string)).labels).toMatchObject({ metric: 'metric math' });
  });

  it('takes a CloudWatch Logs subscription event as the HTTP route does', async () => {
    const result = await handler(fixture('cloudwatch-logs-event'));
    expect(result.taskIds).toHaveLength(2);
  });

  it('ignores an SNS topic that is not allowed, and shapes it does not know', async () => {
    const event = snsEvent('elsewhere', '2026-11-22T12:00:00.000+0000');
    event.Records[0].Sns.TopicArn = 'arn:aws:sns:eu-west-1:999999999999:other';
    expect(await handler(event)).toEqual({ taskIds: [] });
    expect(deliveriesOf({ Records: [{ EventSource: 'aws:sqs' }] })).toEqual([]);
    expect(await handler({ hello: 'world' })).toEqual({ taskIds: [] });
  });
});
