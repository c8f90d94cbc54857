import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.js';
import {
  cachedCertificates,
  cloudwatchSource,
  MAX_CACHED_CERTIFICATES,
  trustedSnsUrl,
} from '../../src/ingest/sources/cloudwatch.js';
import { API, getJson, inProcessStack, postJson, type TestStack } from '../helpers/local-stack.js';
import { CERT_URL, snsSigner, TOPIC } from '../helpers/sns.js';

let stack: TestStack;
let sns: ReturnType<typeof snsSigner>;
beforeAll(async () => {
  sns = snsSigner();
  stack = await inProcessStack({ TMS_SNS_CERT_DIR: sns.dir });
});
afterAll(async () => {
  await stack.close();
  sns.dispose();
});

/** The alarm JSON of aws-lambda-go's single-metric example (see test/fixtures/aws/README.md). */
const upstreamAlarm = () =>
  JSON.parse(
    JSON.parse(
      readFileSync(
        new URL('../fixtures/aws/cloudwatch-alarm-sns-payload-single-metric.json', import.meta.url),
        'utf8',
      ),
    ).Records[0].Sns.Message,
  );
const alarm = (state: string, at: string, name = 'checkout-latency') => ({
  ...upstreamAlarm(),
  AlarmName: name,
  NewStateValue: state,
  StateChangeTime: at,
  AlarmArn: `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${name}`,
});

const signed = (...args: Parameters<ReturnType<typeof snsSigner>['sign']>) => sns.sign(...args);
const send = (message: unknown) =>
  postJson(`${stack.url}/ingest/cloudwatch`, JSON.stringify(message), {
    'content-type': 'text/plain; charset=UTF-8',
  });
const task = async (id: string) => (await getJson(`${stack.url}/api/tasks/${id}`, API())).body.task;

describe('POST /ingest/cloudwatch (SNS over HTTPS)', () => {
  it('opens a task on ALARM and resolves it on OK, signatures v1 and v2 verified', async () => {
    const opened = await send(
      signed(
        { Type: 'Notification', Message: JSON.stringify(alarm('ALARM', '2026-11-22T10:00:00.000+0000')) },
        '1',
      ),
    );
    expect(opened.status).toBe(202);
    const [id] = opened.body.taskIds;
    expect(await task(id)).toMatchObject({
      title: 'checkout-latency in alarm',
      service: 'checkout', // the config's alarms glob
      fingerprint: 'cloudwatch:123456789012:eu-west-1:checkout-latency',
      reportedAt: '2026-11-22T10:00:00.000Z',
      labels: expect.objectContaining({
        region: 'eu-west-1',
        metric: 'NetworkOut',
        InstanceId: 'TestInstance',
      }),
    });
    const resolved = await send(
      signed({ Type: 'Notification', Message: JSON.stringify(alarm('OK', '2026-11-22T10:05:00.000+0000')) }),
    );
    expect(resolved.body.taskIds).toEqual([id]);
    expect((await task(id)).status).toBe('resolved');
  });

  it('counts one transition once (its copies, its redelivery by MessageId); INSUFFICIENT_DATA pages nobody', async () => {
    const transition = JSON.stringify(alarm('ALARM', '2026-11-22T11:00:00.000+0000', 'checkout-errors'));
    const first = signed({ Type: 'Notification', Message: transition });
    const [id] = (await send(first)).body.taskIds;
    expect((await send(first)).body.taskIds).toEqual([id]); // SNS redelivers with the same MessageId
    await send(signed({ Type: 'Notification', Message: transition })); // another copy of the transition
    expect((await task(id)).occurrences).toBe(1);
    const unknown = await send(
      signed({
        Type: 'Notification',
        Message: JSON.stringify(alarm('INSUFFICIENT_DATA', '2026-11-22T11:01:00Z', 'x')),
      }),
    );
    expect(unknown.body).toEqual({ taskIds: [] });
  });

  it('takes metric-math alarms and older payloads without AlarmArn', async () => {
    const {
      AlarmArn: _arn,
      Trigger: _trigger,
      ...old
    } = alarm('ALARM', '2026-11-22T12:00:00.000+0000', 'legacy');
    const legacy = await send(
      signed({
        Type: 'Notification',
        Message: JSON.stringify({ ...old, Trigger: { Metrics: [{ Id: 'e1', Expression: 'm1/m2' }] } }),
      }),
    );
    expect(await task(legacy.body.taskIds[0])).toMatchObject({
      fingerprint: 'cloudwatch:123456789012:unknown:legacy',
      labels: expect.objectContaining({ metric: 'metric math' }),
    });
  });

  it('refuses a forged or tampered message, and a certificate from anywhere but SNS, before fetching it', async () => {
    const good = signed({
      Type: 'Notification',
      Message: JSON.stringify(alarm('ALARM', '2026-11-22T13:00:00Z')),
    });
    expect((await send({ ...good, Message: good.Message.replace('ALARM', 'OK') })).status).toBe(401);
    expect(
      (await send({ ...good, SigningCertURL: 'https://evil.example/SimpleNotificationService-tms-test.pem' }))
        .status,
    ).toBe(401);
    expect((await send({ ...good, SigningCertURL: CERT_URL.replace('https', 'http') })).status).toBe(401);
    expect((await send({ ...good, TopicArn: 'arn:aws:sns:eu-west-1:999999999999:alarms' })).status).toBe(403);
    expect((await send({ ...good, SignatureVersion: '3' })).status).toBe(401);
    // Stale or future-dated, though correctly signed.
    const stale = signed({
      Type: 'Notification',
      Message: good.Message,
      Timestamp: new Date(Date.now() - 25 * 3_600_000).toISOString(),
    });
    const future = signed({
      Type: 'Notification',
      Message: good.Message,
      Timestamp: new Date(Date.now() + 10 * 60_000).toISOString(),
    });
    expect((await send(stale)).body.error.message).toBe('The SNS message is stale, or dated in the future');
    expect((await send(future)).status).toBe(401);
    expect((await send('not json')).status).toBe(400);
    expect(trustedSnsUrl('https://sns.us-east-1.amazonaws.com.evil.example/x.pem', true)).toBeUndefined();
    expect(
      trustedSnsUrl('https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-0a1b.pem', true),
    ).toBeDefined();
  });

  it('fetches nothing for what it can refuse without: certificate host or scheme, signature version, topic', async () => {
    const fetched: string[] = [];
    const source = cloudwatchSource(async (url) => {
      fetched.push(url.href);
      return readFileSync(`${sns.dir}/SimpleNotificationService-tms-test.pem`, 'utf8');
    });
    const receive = (message: unknown) =>
      source.receive(
        { headers: {}, query: {}, body: JSON.stringify(message), receivedAt: new Date() },
        { ingestToken: '' },
        { verify: true, config: loadConfig({ TMS_CONFIG: 'tms.config.yaml' }) },
      );
    const good = signed({
      Type: 'Notification',
      Message: JSON.stringify(alarm('ALARM', '2026-11-22T14:00:00Z')),
    });
    const UNSEEN = 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-never-seen.pem';
    const refusals = [
      { ...good, SigningCertURL: 'https://sns.eu-west-1.amazonaws.com.evil.example/x.pem' },
      { ...good, SigningCertURL: 'http://sns.eu-west-1.amazonaws.com/x.pem' },
      { ...good, SigningCertURL: 'https://sns.eu-west-1.amazonaws.com/x.txt' },
      // On a certificate address never seen (so never cached): only refusing first keeps it unfetched.
      { ...good, SignatureVersion: '3', SigningCertURL: UNSEEN },
      { ...good, TopicArn: 'arn:aws:sns:eu-west-1:999999999999:other', SigningCertURL: UNSEEN },
    ];
    for (const message of refusals) expect((await receive(message)).ok).toBe(false);
    expect(fetched).toEqual([]);
    // A tampered body needs the certificate to be found out: fetched once, from SNS, then cached.
    expect((await receive({ ...good, Message: good.Message.replace('ALARM', 'OK') })).ok).toBe(false);
    expect((await receive(good)).ok).toBe(true);
    expect(fetched.every((url) => url === CERT_URL)).toBe(true);
  });

  it('keys certificates by their canonical URL, refuses query strings, fragments, user info and ports unfetched, and caches a few', async () => {
    // Prepare: 6,000 signed notifications from an allowed topic, each naming the certificate with ?v=N
    // (before: 6,000 fetches and 6,000 cache entries, the heap from 23 to 542 MB).
    const fetched: string[] = [];
    const fetcher = async (url: URL) => {
      fetched.push(url.href);
      return readFileSync(`${sns.dir}/SimpleNotificationService-tms-test.pem`, 'utf8');
    };
    const source = cloudwatchSource(fetcher);
    const config = loadConfig({ TMS_CONFIG: 'tms.config.yaml' });
    const receive = (message: unknown) =>
      source.receive(
        { headers: {}, query: {}, body: JSON.stringify(message), receivedAt: new Date() },
        { ingestToken: '' },
        { verify: true, config },
      );
    const good = signed({
      Type: 'Notification',
      Message: JSON.stringify(alarm('OK', '2026-11-22T16:00:00Z')),
    });
    // Act
    let refused = 0;
    for (let n = 0; n < 6_000; n++)
      if (!(await receive({ ...good, SigningCertURL: `${CERT_URL}?v=${n}` })).ok) refused++;
    const variants = ['#x', ':443', '//user@'].map((v) =>
      v === ':443'
        ? CERT_URL.replace('.com/', '.com:443/')
        : v === '#x'
          ? `${CERT_URL}#x`
          : CERT_URL.replace('https://', 'https://user@'),
    );
    for (const url of variants) if (!(await receive({ ...good, SigningCertURL: url })).ok) refused++;
    // Assess
    expect(refused).toBe(6_003);
    expect(fetched).toEqual([]);
    // Distinct canonical names are each fetched once, and only the most recent few are kept.
    for (let n = 0; n < 100; n++)
      await receive({ ...good, SigningCertURL: CERT_URL.replace('tms-test', `tms-test-${n}`) });
    expect(cachedCertificates(fetcher)).toBeLessThanOrEqual(MAX_CACHED_CERTIFICATES);
    expect((await receive(good)).ok).toBe(true);
    // Over HTTP too: refused with 401, before any fetch.
    expect((await send({ ...good, SigningCertURL: `${CERT_URL}?v=1` })).status).toBe(401);
  });

  it('records INSUFFICIENT_DATA on the open task, and pages nobody', async () => {
    const [id] = (
      await send(
        signed({
          Type: 'Notification',
          Message: JSON.stringify(alarm('ALARM', '2026-11-22T15:00:00.000+0000', 'checkout-data')),
        }),
      )
    ).body.taskIds;
    const noted = await send(
      signed({
        Type: 'Notification',
        Message: JSON.stringify(alarm('INSUFFICIENT_DATA', '2026-11-22T15:05:00.000+0000', 'checkout-data')),
      }),
    );
    expect(noted.body.taskIds).toEqual([id]);
    const { task: stored, timeline } = (await getJson(`${stack.url}/api/tasks/${id}`, API())).body;
    expect(stored).toMatchObject({ status: 'open', occurrences: 1 });
    expect(timeline.at(-1)).toMatchObject({
      type: 'commented',
      text: expect.stringMatching(/^INSUFFICIENT_DATA: /),
    });
  });

  it('confirms a subscription from an allowed topic once, and from any other topic never', async () => {
    const confirmations: string[] = [];
    const realFetch = globalThis.fetch;
    const spy = vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      if (url.startsWith('https://sns.')) {
        confirmations.push(url);
        return new Response('<ConfirmSubscriptionResponse/>', { status: 200 });
      }
      return realFetch(input, init);
    });
    try {
      const subscribe = (topic: string) =>
        signed({
          Type: 'SubscriptionConfirmation',
          TopicArn: topic,
          Token: 'tok',
          Message: 'You have chosen to subscribe to the topic',
          SubscribeURL: `https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${topic}&Token=tok`,
        });
      const allowed = subscribe(TOPIC);
      expect((await send(allowed)).status).toBe(202);
      expect((await send(allowed)).status).toBe(202); // SNS retries it: confirmed once
      const other = await send(subscribe('arn:aws:sns:eu-west-1:999999999999:other'));
      expect(other.status).toBe(403);
      expect(confirmations).toHaveLength(1);
      expect(confirmations[0]).toContain(
        encodeURIComponent(TOPIC).length > 0 ? 'Action=ConfirmSubscription' : '',
      );
    } finally {
      spy.mockRestore();
    }
  });
});
