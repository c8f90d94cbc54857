import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SOURCES } from '../../src/ingest/pipeline.js';
import { inProcessStack, type TestStack } from '../helpers/local-stack.js';
import { snsSigner } from '../helpers/sns.js';

/**
 * Every source, the same checks: its route is served, a sender it cannot authenticate is refused, a body over
 * its limit is refused before it is read, garbage is a 400 with the JSON error shape, never a 500 or a trace.
 */
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

interface Case {
  /** Headers (and query) that authenticate a body, and a harmless valid body. */
  readonly signed: (body: string) => { headers: Record<string, string>; query?: string };
  readonly valid: unknown;
}
const TOKEN = { authorization: 'Bearer local-ingest-token' };
const CASES: Record<string, Case> = {
  generic: {
    signed: () => ({ headers: TOKEN }),
    valid: { routing_key: 'local-ingest-token', event_action: 'acknowledge', dedup_key: 'table-driven' },
  },
  alertmanager: { signed: () => ({ headers: TOKEN }), valid: { version: '4', alerts: [] } },
  cloudwatch: {
    // SNS signs the body itself: no header; the valid body is signed when the table runs.
    signed: () => ({ headers: { 'content-type': 'text/plain' } }),
    get valid() {
      return sns.sign({
        Type: 'UnsubscribeConfirmation',
        Message: 'unsubscribed',
        Token: 't',
        SubscribeURL: 'https://sns.eu-west-1.amazonaws.com/?x',
      });
    },
  },
  logs: {
    signed: () => ({ headers: TOKEN }),
    valid: { awslogs: { data: 'H4sIAAAAAAAAA6tWyk0tLk5MTw2pLEhVslJy9vcLCfL3ifd1DQ52dHdVqgUAG/cvDCEAAAA=' } },
  },
  kubernetes: {
    signed: () => ({ headers: TOKEN }),
    valid: { type: 'Normal', reason: 'Pulled', involvedObject: { kind: 'Pod', name: 'p' } },
  },
  jenkins: {
    signed: () => ({ headers: {}, query: '?token=local-ingest-token' }),
    valid: { name: 'j', build: { number: 1, phase: 'QUEUED' } },
  },
  github: {
    signed: (body) => ({
      headers: {
        'x-github-event': 'ping',
        'x-github-delivery': `table-${Math.random()}`,
        'x-hub-signature-256': `sha256=${createHmac('sha256', 'local-github-webhook-secret').update(body).digest('hex')}`,
      },
    }),
    valid: { zen: 'Design for failure.', hook_id: 1 },
  },
};

const post = async (source: string, body: string, headers: Record<string, string>, query = '') => {
  const response = await fetch(`${stack.url}/ingest/${source}${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await response.text();
  return {
    status: response.status,
    text,
    json: JSON.parse(text) as { error?: { code: string; message: string } },
  };
};

describe.each(Object.keys(SOURCES))('/ingest/%s', (source) => {
  const c = CASES[source] as Case;

  it('has a case in this table', () => {
    expect(c).toBeDefined();
  });

  it('accepts a valid delivery from an authenticated sender', async () => {
    const body = JSON.stringify(c.valid);
    const { headers, query } = c.signed(body);
    expect((await post(source, body, headers, query)).status).toBe(202);
  });

  it('refuses a sender it cannot authenticate', async () => {
    const { routing_key: _credential, ...rest } = c.valid as { routing_key?: string; Signature?: string };
    // A credential in the body is left out; a signature over it is forged.
    const unsigned =
      'Signature' in rest ? { ...rest, Signature: Buffer.from('forged').toString('base64') } : rest;
    const answer = await post(source, JSON.stringify(unsigned), {});
    expect(answer.status).toBe(401);
    expect(answer.json.error?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a body over its limit before reading it', async () => {
    const body = 'x'.repeat(SOURCES[source]?.maxBytes ?? 0).concat('x');
    const { headers, query } = c.signed(body);
    const answer = await post(source, body, headers, query);
    expect(answer.status).toBe(413);
    expect(answer.json.error?.code).toBe('TOO_LARGE');
  });

  it.each(['', 'not json', '[]', 'null', '{"alerts": "many"}', '{"build": {"number": -1}}', '\u0000\u0001'])(
    'answers garbage %j with a 400 or 202 and the JSON error shape, never a 500',
    async (garbage) => {
      const { headers, query } = c.signed(garbage);
      const answer = await post(source, garbage, headers, query);
      expect([400, 202]).toContain(answer.status);
      if (answer.status === 400)
        expect(answer.json.error).toEqual({ code: expect.any(String), message: expect.any(String) });
      expect(answer.text).not.toMatch(/at .*\.[tj]s:\d+/);
    },
  );
});
