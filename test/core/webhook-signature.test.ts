import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook, WEBHOOK_HEADERS } from '../../src/core/webhook-signature.js';

const SECRET = 'a-shared-secret';
const NOW = new Date('2026-12-02T10:00:00Z');
const TS = Math.floor(NOW.getTime() / 1000);
const BODY = '{"schedule":"nightly-report","text":"café ☕"}';

describe('signWebhook', () => {
  it('is sha256= and the hex HMAC-SHA256 of "<timestamp>.<body>", as a receiver computes it itself', () => {
    // Prepare: the vector, computed here with node:crypto and not with the code under test
    const expected = `sha256=${createHmac('sha256', SECRET).update(`${TS}.${BODY}`, 'utf8').digest('hex')}`;
    // Act
    const signature = signWebhook(SECRET, TS, BODY);
    // Assess
    expect(signature).toBe(expected);
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
  });

  it('names the headers as a receiver reads them', () => {
    expect(WEBHOOK_HEADERS).toEqual({
      signature: 'x-tms-signature-256',
      timestamp: 'x-tms-timestamp',
      delivery: 'x-tms-delivery',
    });
  });
});

describe('verifyWebhook', () => {
  const headers = { signature: signWebhook(SECRET, TS, BODY), timestamp: String(TS) };

  it('accepts what TMS signed, within the tolerance either side of the clock', () => {
    // Act
    const now = verifyWebhook(SECRET, headers, BODY, NOW);
    const late = verifyWebhook(SECRET, headers, BODY, new Date(NOW.getTime() + 300_000));
    const early = verifyWebhook(SECRET, headers, BODY, new Date(NOW.getTime() - 300_000));
    // Assess
    expect(now).toEqual({ ok: true, value: { timestampSeconds: TS } });
    expect(late.ok).toBe(true);
    expect(early.ok).toBe(true);
  });

  it.each([
    ['a tampered body', { ...headers }, `${BODY} `, SECRET],
    ['a tampered timestamp', { ...headers, timestamp: String(TS - 1) }, BODY, SECRET],
    ['another secret', { ...headers }, BODY, 'another-secret'],
  ])('refuses %s', (_, given, body, secret) => {
    // Act
    const result = verifyWebhook(secret, given, body, NOW);
    // Assess
    expect(result).toMatchObject({ ok: false, error: { code: 'WEBHOOK_SIGNATURE_MISMATCH' } });
  });

  it('refuses an authentic request that is stale or from the future, and says by how much', () => {
    // Act
    const stale = verifyWebhook(SECRET, headers, BODY, new Date(NOW.getTime() + 301_000));
    const future = verifyWebhook(SECRET, headers, BODY, new Date(NOW.getTime() - 301_000));
    const tight = verifyWebhook(SECRET, headers, BODY, new Date(NOW.getTime() + 31_000), 30);
    // Assess
    expect(stale).toEqual({
      ok: false,
      error: {
        code: 'WEBHOOK_TIMESTAMP_STALE',
        reason: 'the timestamp is 301 s old; at most 300 s is accepted',
      },
    });
    expect(future).toMatchObject({ ok: false, error: { reason: expect.stringContaining('in the future') } });
    expect(tight).toMatchObject({ ok: false, error: { code: 'WEBHOOK_TIMESTAMP_STALE' } });
  });

  it.each([
    ['a signature of the wrong length', { ...headers, signature: `${headers.signature}00` }],
    ['a short signature', { ...headers, signature: 'sha256=abc' }],
    ['a signature without its prefix', { ...headers, signature: headers.signature.slice(7) }],
    ['a signature that is not hex', { ...headers, signature: `sha256=${'z'.repeat(64)}` }],
  ])('refuses %s without throwing', (_, given) => {
    // Act
    const result = verifyWebhook(SECRET, given, BODY, NOW);
    // Assess
    expect(result).toMatchObject({ ok: false, error: { code: 'WEBHOOK_SIGNATURE_MALFORMED' } });
  });

  it.each(['', '12.5', '-1', '1e9', ' 1764669600', '0x10', '9'.repeat(16)])(
    'refuses the timestamp %j: only digits are seconds',
    (timestamp) => {
      // Act
      const result = verifyWebhook(SECRET, { ...headers, timestamp }, BODY, NOW);
      // Assess
      expect(result.ok).toBe(false);
      if (!result.ok)
        expect(['WEBHOOK_TIMESTAMP_MALFORMED', 'WEBHOOK_SIGNATURE_MISSING']).toContain(result.error.code);
    },
  );

  it('refuses a request without the headers', () => {
    // Act
    const result = verifyWebhook(SECRET, { signature: undefined, timestamp: null }, BODY, NOW);
    // Assess
    expect(result).toMatchObject({ ok: false, error: { code: 'WEBHOOK_SIGNATURE_MISSING' } });
  });
});
