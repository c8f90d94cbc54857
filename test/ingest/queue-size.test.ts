import { randomInt } from 'node:crypto';
import { expect, it } from 'vitest';
import { Alert } from '../../src/core/alert.js';
import { LIMITS } from '../../src/core/bounds.js';
import { decodeMessage, encodeMessage, splitDelivery } from '../../src/ingest/queue.js';
import { anAlert, T0 } from '../helpers/factories.js';

const SQS_MAX_BYTES = 256 * 1024;
// Characters that do not compress: random ones of wide ranges, mixed with those the encoding escapes.
const alphabets = [
  () => String.fromCodePoint(0x4e00 + randomInt(0x5000)),
  () => String.fromCodePoint(0x10000 + randomInt(0x10000)),
  () => (randomInt(2) ? '\uFFFF' : String.fromCodePoint(0x4e00 + randomInt(0x5000))),
  () => (randomInt(2) ? '\uFFFE' : String.fromCharCode(randomInt(32))),
  () => String.fromCharCode(randomInt(32)),
];
const text = (pick: () => string, chars: number) => Array.from({ length: chars }, pick).join('');

it('keeps every message under SQS’s 256 KB for alerts as large as LIMITS allow, of incompressible text', () => {
  for (const pick of alphabets) {
    const labels: Record<string, string> = {};
    for (let i = 0; i < 400; i++) labels[`k${i}`] = text(pick, LIMITS.labelValueLength);
    const alerts = Array.from({ length: 12 }, (_, i) =>
      Alert.parse({
        ...anAlert({ fingerprint: `fp-${i}-${text(pick, 100)}` }),
        title: text(pick, LIMITS.titleLength),
        description: text(pick, LIMITS.descriptionLength),
        summary: text(pick, LIMITS.summaryLength),
        labels,
      }),
    );
    const messages = splitDelivery({ source: 'generic', deliveryId: 'd', receivedAt: T0 }, alerts);
    expect(messages.flatMap((m) => m.alerts)).toHaveLength(12);
    for (const message of messages) {
      const body = encodeMessage(message);
      expect(Buffer.byteLength(body)).toBeLessThanOrEqual(SQS_MAX_BYTES);
      expect(decodeMessage(body)).toEqual(message);
    }
  }
});
