import { gzipSync } from 'node:zlib';
import { expect, it } from 'vitest';
import { Alert } from '../../src/core/alert.js';
import { decodeMessage, encodeMessage, type IngestMessage, splitDelivery } from '../../src/ingest/queue.js';
import { anAlert, T0 } from '../helpers/factories.js';

const one = (alert = anAlert()) =>
  splitDelivery({ source: 'generic', deliveryId: 'd', receivedAt: T0 }, [alert])[0] as IngestMessage;

it('gives no object of a message a prototype from its body (`__proto__` keys)', () => {
  const alert = Alert.parse({ ...anAlert(), labels: JSON.parse('{"__proto__":"x","a":"b"}') });
  const read = decodeMessage(encodeMessage(one(alert))).alerts[0];
  expect(Object.getPrototypeOf(read?.labels)).toBeNull();
  expect(Object.entries(read?.labels ?? {})).toContainEqual(['a', 'b']);
  const hostile = JSON.stringify(one()).replace('"labels":{', '"labels":{"__proto__":{"polluted":"yes"},');
  try {
    const decoded = decodeMessage(hostile);
    expect((decoded.alerts[0]?.labels as Record<string, unknown> | undefined)?.polluted).toBeUndefined();
  } catch {
    // refused: as good
  }
  expect(() => decodeMessage(JSON.stringify({ ...one(), __proto__: { x: 1 } }))).not.toThrow();
  expect(() =>
    decodeMessage(JSON.stringify(one()).replace('{"v":1', '{"__proto__":{"v":2},"v":1')),
  ).toThrow();
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

it('refuses a compressed body that unpacks to far more than a message can be (a gzip bomb)', () => {
  const bomb = JSON.stringify({
    v: 1,
    gzip: gzipSync(Buffer.alloc(180 * 1024 * 1024, 0x20)).toString('base64'),
  });
  expect(Buffer.byteLength(bomb)).toBeLessThan(256 * 1024); // a body SQS takes
  const before = process.memoryUsage().rss;
  expect(() => decodeMessage(bomb)).toThrow();
  expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
});
