import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamRecord } from '../../src/local/stream-feed.js';
import type { TestStack } from '../helpers/local-stack.js';
import { API, getJson, inProcessStack, postJson } from '../helpers/local-stack.js';

let tms: TestStack;
beforeAll(async () => {
  tms = await inProcessStack();
});
afterAll(async () => {
  await tms.close();
});

const event = (fields: Record<string, unknown> = {}, payload: Record<string, unknown> = {}) => ({
  routing_key: 'local-ingest-token',
  event_action: 'trigger',
  payload: { summary: 'Checkout p99 above 2s', source: 'prometheus', severity: 'error', ...payload },
  ...fields,
});
const send = (body: unknown, headers: Record<string, string> = {}, query = '') =>
  postJson(`${tms.url}/ingest/generic${query}`, body, headers);
const task = async (dedupKey: string) => {
  const { body } = await getJson(`${tms.url}/api/tasks?limit=100`, API());
  return body.tasks.find((t: { fingerprint: string }) => t.fingerprint === `generic:${dedupKey}`);
};

describe('POST /ingest/generic (PagerDuty Events API v2)', () => {
  it('accepts the ingest token as routing_key, as a Bearer header, or as ?token=', async () => {
    const { routing_key: _, ...withoutKey } = event({ dedup_key: 'auth-1' });
    expect((await send(event({ dedup_key: 'auth-1' }))).status).toBe(202);
    expect((await send(withoutKey, { authorization: 'Bearer local-ingest-token' })).status).toBe(202);
    expect((await send(withoutKey, {}, '?token=local-ingest-token')).status).toBe(202);
    expect((await task('auth-1'))?.occurrences).toBe(3);
  });

  it('refuses a missing or wrong token with 401, before anything is recorded', async () => {
    const { routing_key: _, ...withoutKey } = event({ dedup_key: 'forged' });
    for (const [body, headers] of [
      [withoutKey, {}],
      [event({ dedup_key: 'forged', routing_key: 'guess' }), {}],
      [withoutKey, { authorization: 'Bearer guess' }],
      // A wrong header token is refused even when the body holds the right routing_key.
      [event({ dedup_key: 'forged' }), { authorization: 'Bearer guess' }],
    ] as const) {
      const answer = await send(body, headers);
      expect(answer.status).toBe(401);
      expect(answer.body.error).toEqual({
        code: 'UNAUTHENTICATED',
        message: expect.stringContaining('ingest token'),
      });
    }
    expect(await task('forged')).toBeUndefined();
  });

  it('answers as PagerDuty does, generating a dedup_key when the event has none', async () => {
    const answer = await send(event());
    expect(answer).toMatchObject({
      status: 202,
      body: {
        status: 'success',
        message: 'Event processed',
        dedup_key: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
    });
    expect(await task(answer.body.dedup_key)).toMatchObject({
      title: 'Checkout p99 above 2s',
      priority: 'P2',
    });
  });

  it('routes by component, else a service custom detail, else the config, else the default, and maps severity', async () => {
    await send(event({ dedup_key: 'r-1' }, { component: 'checkout', severity: 'critical' }));
    await send(
      event(
        { dedup_key: 'r-2' },
        { custom_details: { service: 'checkout', region: 'eu-west-1' }, severity: 'warning' },
      ),
    );
    await send(event({ dedup_key: 'r-3' }, { custom_details: { app: 'checkout' }, severity: 'info' }));
    await send(event({ dedup_key: 'r-4' }, { severity: 'error' }));
    expect(await task('r-1')).toMatchObject({
      service: 'checkout',
      team: 'payments',
      channel: 'C0CHECKOUT',
      priority: 'P1',
    });
    expect(await task('r-2')).toMatchObject({
      service: 'checkout',
      priority: 'P3',
      description: 'service: checkout\nregion: eu-west-1',
    });
    expect(await task('r-3')).toMatchObject({
      service: 'checkout',
      priority: 'P4',
      labels: expect.objectContaining({ app: 'checkout', source: 'prometheus' }),
    });
    expect(await task('r-4')).toMatchObject({ service: 'general', channel: 'C0GENERAL', priority: 'P2' });
  });

  it('keeps links, the sender time and text in any language', async () => {
    await send(
      event(
        {
          dedup_key: 'l-1',
          links: [
            { href: 'https://grafana.example/d/abc', text: 'Dashboard' },
            { href: 'javascript:alert(1)', text: 'bad' },
          ],
          client: 'Prometheus',
          client_url: 'https://prometheus.example/graph',
        },
        { summary: 'Zahlung fehlgeschlagen: Überlast — 決済', timestamp: '2026-03-02T10:00:00+01:00' },
      ),
    );
    expect(await task('l-1')).toMatchObject({
      title: 'Zahlung fehlgeschlagen: Überlast — 決済',
      // Months before its receipt: counted at receipt, and what the sender's clock said kept for the card.
      reportedAt: '2026-03-02T09:00:00.000Z',
      links: [
        { label: 'Dashboard', url: 'https://grafana.example/d/abc' },
        { label: 'Prometheus', url: 'https://prometheus.example/graph' },
      ],
    });
  });

  it('checks a header token before it reads the body', async () => {
    const answer = await send('{"not json', { authorization: 'Bearer guess' });
    expect(answer.status).toBe(401);
  });

  it('reads the sender time as ISO 8601 with any offset, or as Unix seconds or milliseconds', async () => {
    const cases: [unknown, string][] = [
      ['2015-07-17T08:42:58.315+0000', '2015-07-17T08:42:58.315Z'],
      ['2026-03-02T10:00:00+01:00', '2026-03-02T09:00:00.000Z'],
      [1772442000, '2026-03-02T09:00:00.000Z'],
      ['1772442000000', '2026-03-02T09:00:00.000Z'],
    ];
    for (const [i, [timestamp, expected]] of cases.entries()) {
      expect((await send(event({ dedup_key: `t-${i}` }, { timestamp }))).status).toBe(202);
      expect((await task(`t-${i}`))?.reportedAt).toBe(expected);
    }
  });

  it('says what is wrong with a malformed event, in PagerDuty terms and ours', async () => {
    const cases: [unknown, string][] = [
      ['{"event_action": "trig', 'not JSON'],
      [event({ event_action: 'page' }), 'event_action'],
      [event({}, { severity: 'sev1' }), 'payload.severity'],
      [{ routing_key: 'local-ingest-token', event_action: 'trigger' }, "'payload' is missing"],
      [{ routing_key: 'local-ingest-token', event_action: 'resolve' }, 'dedup_key'],
      [event({}, { timestamp: 'yesterday' }), 'payload.timestamp'],
      [event({}, { summary: '' }), 'payload.summary'],
    ];
    for (const [body, reason] of cases) {
      const answer = await send(body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body).toMatchObject({
        status: 'invalid event',
        message: 'Event object is invalid',
        error: { code: 'INVALID_EVENT' },
      });
      expect(answer.body.errors.join(' ')).toContain(reason);
    }
  });

  it('refuses a body over 512 KB with 413 before reading it', async () => {
    const answer = await send(
      event({ dedup_key: 'big' }, { custom_details: { blob: 'x'.repeat(600 * 1024) } }),
    );
    expect(answer.status).toBe(413);
    expect(answer.body.error.code).toBe('TOO_LARGE');
    expect(await task('big')).toBeUndefined();
  });

  it('archives every accepted delivery before processing it, without the credentials it came with', async () => {
    const raw: StreamRecord[] = [];
    const stop = tms.feed.onRecord((record) => {
      if (record.dynamodb.Keys?.pk?.S?.startsWith('RAW#generic#')) raw.push(record);
    });
    try {
      await send(event({ dedup_key: 'archived-1' }), { authorization: 'Bearer local-ingest-token' });
    } finally {
      stop();
    }
    const [archived, processed] = raw;
    expect(raw.map((r) => r.eventName)).toEqual(['INSERT', 'MODIFY']);
    expect(archived?.dynamodb.NewImage?.body?.S).toContain('"dedup_key":"archived-1"');
    expect(archived?.dynamodb.NewImage?.body?.S).not.toContain('local-ingest-token');
    expect(archived?.dynamodb.NewImage?.headers?.M).toHaveProperty('content-type');
    expect(archived?.dynamodb.NewImage?.headers?.M).not.toHaveProperty('authorization');
    expect(archived?.dynamodb.NewImage?.ttl?.N).toMatch(/^\d{10}$/);
    expect(processed?.dynamodb.NewImage?.processedAt?.S).toBeDefined();
    expect(processed?.dynamodb.NewImage?.taskIds?.L).toEqual([{ S: (await task('archived-1')).id }]);
  });

  it('answers unknown sources with 404', async () => {
    const answer = await postJson(`${tms.url}/ingest/nagios`, {});
    expect(answer).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
  });
});
