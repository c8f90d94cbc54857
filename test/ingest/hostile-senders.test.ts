import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/core/bounds.js';
import { ARCHIVED_HEADERS } from '../../src/ingest/archive-policy.js';
import { LOCAL_AWS } from '../../src/local/embedded-dynamo.js';
import { checkItemLimits, itemsOfTasks } from '../helpers/item-limits.js';
import { API, getJson, inProcessStack, postJson, type TestStack } from '../helpers/local-stack.js';
import { BEN, GENERAL, slackOf } from '../helpers/slack.js';

/**
 * What a hostile (or merely unusual) sender controls, sent through the local stack as a sender would: each
 * payload is a real upstream one from test/fixtures with one field swapped for the hostile value. Whatever
 * is sent, the answer is a 4xx or a task, and every item the store keeps is within DynamoDB's limits
 * (which dynalite does not enforce, so each test measures them).
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await inProcessStack();
});
afterAll(() => stack.close());

const TOKEN = { authorization: 'Bearer local-ingest-token' };
const fixture = (path: string) => JSON.parse(readFileSync(`test/fixtures/${path}`, 'utf8'));
/** Alertmanager's documented v4 webhook, its one alert's labels changed, as the group of that one alert. */
const alertmanager = (labels: Record<string, string>, fingerprint: string) => {
  const webhook = fixture('alertmanager/alertmanager-v4-firing.json');
  const [alert] = webhook.alerts;
  webhook.alerts = [{ ...alert, fingerprint, labels: { ...alert.labels, ...labels } }];
  webhook.commonLabels = { ...webhook.commonLabels, ...labels };
  webhook.groupKey = `{}:{fingerprint="${fingerprint}"}`;
  return webhook;
};
/** PagerDuty's documented trigger event, with the local token and a dedup key of the test's own. */
// biome-ignore lint/suspicious/noExplicitAny: a fixture's JSON, changed field by field as each test says
type Json = any;
const pagerduty = (dedupKey: string, change: (event: Json) => void = () => {}) => {
  const event = fixture('generic/pagerduty-trigger.json');
  event.routing_key = 'local-ingest-token';
  event.dedup_key = dedupKey;
  change(event);
  return event;
};
const send = (source: string, body: unknown, headers: Record<string, string> = TOKEN, query = '') =>
  postJson(`${stack.url}/ingest/${source}${query}`, body, headers);
const task = async (id: string) => (await getJson(`${stack.url}/api/tasks/${id}`, API())).body.task;
const byFingerprint = async (fingerprint: string) =>
  (await getJson(`${stack.url}/api/tasks?limit=100`, API())).body.tasks.find(
    (t: { fingerprint: string }) => t.fingerprint === fingerprint,
  );
/** What DynamoDB would refuse of these tasks' items (their task, timeline and fingerprint items). */
const beyondDynamoLimits = async (tasks: readonly { id: string; fingerprint: string | null }[]) => {
  const report = await checkItemLimits(stack.storeUrl, itemsOfTasks(tasks));
  expect(report.items).toBeGreaterThanOrEqual(tasks.length);
  return report.violations;
};

describe('a hostile sender at the ingest edge', () => {
  it('is told 404, not 500, for a source named like a property every object has', async () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const answer = await send(name, { hello: 'world' }, {});
      expect([name, answer.status]).toEqual([name, 404]);
      expect(answer.body.error.code).toBe('NOT_FOUND');
    }
  });

  it('opens a task for an Alertmanager alert with a label named constructor and a severity of constructor or __proto__', async () => {
    const answers = [
      await send('alertmanager', alertmanager({ constructor: 'yes', severity: 'constructor' }, 'ab01')),
      await send('alertmanager', alertmanager({ severity: '__proto__', toString: 'x' }, 'ab02')),
    ];
    expect(answers.map((a) => a.status)).toEqual([202, 202]);
    const ids = answers.flatMap((a) => a.body.taskIds);
    expect(ids).toHaveLength(2); // each became a task at once, not "202 and then nothing"
    const [first, second] = await Promise.all(ids.map(task));
    expect(first).toMatchObject({ priority: 'P3', labels: expect.objectContaining({ constructor: 'yes' }) });
    expect(second).toMatchObject({ priority: 'P3', labels: expect.objectContaining({ toString: 'x' }) });
    expect(await beyondDynamoLimits([first, second])).toEqual([]);
  });

  it('opens a task for a PagerDuty event whose custom_details has a key named constructor', async () => {
    const answer = await send(
      'generic',
      pagerduty('proto-details', (e) => {
        e.payload.custom_details = { ...e.payload.custom_details, constructor: 'Object', __proto__: 'x' };
      }),
      {},
    );
    expect(answer.status).toBe(202);
    const opened = await byFingerprint('generic:proto-details');
    expect(opened?.labels).toMatchObject({ constructor: 'Object', component: 'mysql' });
  });

  it('keeps a 2,100-character service (Alertmanager and Kubernetes labels) within DynamoDB key limits', async () => {
    const long = `svc-${'x'.repeat(2096)}`;
    const fromAlertmanager = await send('alertmanager', alertmanager({ service: long }, 'ab03'));
    const event = fixture('kubernetes/backoff-warning.json');
    event.involvedObject.labels = { ...event.involvedObject.labels, service: `${long}-é🙂` };
    const fromKubernetes = await send('kubernetes', event);
    const ids = [...fromAlertmanager.body.taskIds, ...fromKubernetes.body.taskIds];
    expect(ids).toHaveLength(2);
    const tasks = await Promise.all(ids.map(task));
    const services = tasks.map((t) => t.service as string);
    for (const service of services) {
      expect(Buffer.byteLength(service)).toBeLessThanOrEqual(LIMITS.nameBytes);
      expect(service.startsWith('svc-xxxx')).toBe(true);
    }
    expect(services[0]).not.toBe(services[1]); // two long names that share a prefix stay two services
    expect(await beyondDynamoLimits(tasks)).toEqual([]);
  });

  it('turns twenty 12 KB links (a 245 KB body) into a task: the overlong links left out, and said so', async () => {
    const body = pagerduty('long-links', (e) => {
      e.links = Array.from({ length: 20 }, (_, i) => ({
        href: `https://ci.example.com/run/${i}?q=${'a'.repeat(12_000)}`,
        text: `log ${i}`,
      }));
    });
    expect(JSON.stringify(body).length).toBeGreaterThan(240_000);
    const answer = await send('generic', body, {});
    expect(answer.status).toBe(202);
    const opened = await byFingerprint('generic:long-links');
    expect(opened).toBeDefined();
    expect(opened.links).toEqual([
      { label: 'Sample Monitoring Service', url: 'https://monitoring.service.com/' },
    ]);
    expect(opened.description).toContain('20 links left out');
    expect(await beyondDynamoLimits([opened])).toEqual([]);
  });

  it('archives no credential: headers by an allow-list, a ?token= in what is kept redacted', async () => {
    const answer = await send(
      'generic',
      pagerduty('no-credentials', (e) => {
        e.client_url = 'https://monitoring.service.com/callback?token=s3cr3t-callback&x=1';
      }),
      {
        authorization: 'Bearer local-ingest-token',
        'proxy-authorization': 'Basic cHJveHk6c2VjcmV0',
        'x-forwarded-authorization': 'Bearer forwarded-secret',
        cookie: 'session=secret',
        'x-vendor-token': 'vendor-secret',
        'user-agent': 'pagerduty-test/1.0',
      },
      '?token=local-ingest-token',
    );
    expect(answer.status).toBe(202);
    const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: stack.storeUrl });
    const raws: Record<string, unknown>[] = [];
    for await (const page of paginateScan({ client }, { TableName: 'tms' }))
      for (const item of page.Items ?? [])
        if (item.pk?.S?.startsWith('RAW#generic#')) raws.push(unmarshall(item));
    client.destroy();
    const archived = raws.find((r) => JSON.stringify(r).includes('no-credentials'));
    expect(archived).toBeDefined();
    const headers = archived?.headers as Record<string, string>;
    expect(Object.keys(headers).every((name) => ARCHIVED_HEADERS.has(name))).toBe(true);
    expect(headers['user-agent']).toBe('pagerduty-test/1.0');
    for (const secret of [
      'local-ingest-token',
      'cHJveHk6c2VjcmV0',
      'forwarded-secret',
      'vendor-secret',
      's3cr3t-callback',
    ])
      expect(JSON.stringify(archived)).not.toContain(secret);
  });

  it('reads the worst log lines (ERROR + "a." × 30,000 and others) into a task', async () => {
    const upstream = fixture('aws/cloudwatch-logs-event.json');
    const batch = JSON.parse(
      (await import('node:zlib')).gunzipSync(Buffer.from(upstream.awslogs.data, 'base64')).toString(),
    );
    const [line] = batch.logEvents;
    batch.logEvents = [
      { ...line, id: 'w1', message: `ERROR ${'a.'.repeat(30_000)}` },
      { ...line, id: 'w2', message: `ERROR "${'\\"'.repeat(30_000)}` },
      { ...line, id: 'w3', message: `ERROR ${'1'.repeat(60_000)}g` },
    ];
    const answer = await send('logs', {
      awslogs: { data: gzipSync(JSON.stringify(batch)).toString('base64') },
    });
    expect(answer.status).toBe(202);
    expect(answer.body.taskIds).toHaveLength(3);
    expect(await beyondDynamoLimits(await Promise.all(answer.body.taskIds.map(task)))).toEqual([]);
  });

  it('lets a silence glob of many stars be matched against an alert at once, and bounds its length', async () => {
    const slack = slackOf(stack);
    const command = async (text: string) =>
      String((await slack.client.command(text, { user: BEN, channel: GENERAL })).body.text);
    expect(await command(`silence group=${'*a'.repeat(12)}*b 1h`)).toContain('Silenced');
    expect(await command(`silence group=${'x'.repeat(LIMITS.globLength + 1)} 1h`)).toContain(
      `at most ${LIMITS.globLength} characters`,
    );
    // A regex made of that glob backtracks over every star: one alert held the server for minutes.
    const answer = await send(
      'generic',
      pagerduty('many-stars', (e) => {
        e.payload.group = 'a'.repeat(64);
      }),
      {},
    );
    expect(answer.status).toBe(202);
    expect(await byFingerprint('generic:many-stars')).toBeDefined(); // no b at the end: not silenced
  });
});
