import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoTaskStore } from '../../src/adapters/dynamo/task-store.js';
import { Alert } from '../../src/core/alert.js';
import { LIMITS, utf8Bytes } from '../../src/core/bounds.js';
import { ingestAlert } from '../../src/core/use-cases/ingest-alert.js';
import { dynamoForTests, type TestDynamo } from '../helpers/dynamo.js';
import { depsFor } from '../helpers/factories.js';
import { checkItemLimits, DYNAMO_LIMITS } from '../helpers/item-limits.js';

let dynamo: TestDynamo;
beforeAll(async () => {
  dynamo = await dynamoForTests();
});
afterAll(() => dynamo.close());

const CHARS = ['a', 'é', '€', '🙂', '&'] as const;
const SIZES = [
  'service',
  'fingerprint',
  'description',
  'summary',
  'labels',
  'labelKey',
  'labelValue',
  'links',
  'url',
] as const;
type Size = { char: (typeof CHARS)[number] } & Record<(typeof SIZES)[number], number>;

/** Text of about `length` UTF-16 units of one character: ASCII, two-, three- or four-byte UTF-8, or `&`. */
const text = (char: string, length: number) => char.repeat(Math.max(1, Math.ceil(length / char.length)));

describe('an alert at every size a sender can reach', () => {
  it('makes task, timeline and fingerprint items that fit DynamoDB (400 KB items, 2,048 / 1,024-byte keys) with room to spare', async () => {
    const table = await dynamo.freshTable();
    const store = new DynamoTaskStore(dynamo.embedded.db, table);
    const deps = depsFor(store);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          char: fc.constantFrom(...CHARS),
          service: fc.integer({ min: 1, max: 6_000 }),
          fingerprint: fc.integer({ min: 1, max: 6_000 }),
          description: fc.integer({ min: 0, max: 20_000 }),
          summary: fc.integer({ min: 1, max: 5_000 }),
          labels: fc.integer({ min: 0, max: 100 }),
          labelKey: fc.integer({ min: 1, max: 1_000 }),
          labelValue: fc.integer({ min: 1, max: 5_000 }),
          links: fc.integer({ min: 0, max: 40 }),
          url: fc.integer({ min: 1, max: 20_000 }),
        }),
        async (size) => {
          const run = ++n;
          const c = size.char;
          const alert = Alert.parse({
            source: 'alertmanager',
            action: 'trigger',
            fingerprint: `run-${run}:${text(c, size.fingerprint)}`,
            title: text(c, LIMITS.titleLength).slice(0, LIMITS.titleLength - 1),
            description: text(c, size.description),
            severity: text(c, size.labelValue),
            service: `${run}-${text(c, size.service)}`,
            routing: { namespace: text(c, size.labelValue), alarm: text(c, size.url) },
            labels: Object.fromEntries(
              Array.from({ length: size.labels }, (_, i) => [
                `${i}${text(c, size.labelKey)}`,
                text(c, size.labelValue),
              ]),
            ),
            links: Array.from({ length: size.links }, (_, i) => ({
              label: text(c, 200),
              url: `https://example.com/${i}/${text(c, size.url)}`,
            })),
            occurredAt: '2026-03-02T09:00:00.000Z',
            summary: text(c, size.summary),
          });
          // Opened, then repeated (an `occurred` entry with its summary): both versions of the item are measured.
          const opened = await ingestAlert(deps, alert);
          expect(opened.result).toBe('created');
          expect((await ingestAlert(deps, { ...alert, occurrenceKey: 'again' })).result).toBe('appended');
          expect(utf8Bytes(alert.service ?? '')).toBeLessThanOrEqual(LIMITS.nameBytes);
          expect(utf8Bytes(alert.fingerprint)).toBeLessThanOrEqual(LIMITS.fingerprintBytes);
        },
      ),
      {
        numRuns: 15,
        seed: 1302,
        // Every field at its largest, in each character width: the worst case is always among the runs.
        examples: CHARS.map((char): [Size] => [
          {
            char,
            service: 6_000,
            fingerprint: 6_000,
            description: 20_000,
            summary: 5_000,
            labels: 100,
            labelKey: 1_000,
            labelValue: 5_000,
            links: 40,
            url: LIMITS.urlLength - 40, // just within the bound as ASCII, far over it percent-encoded
          },
        ]),
      },
    );
    const report = await checkItemLimits(dynamo.embedded.endpoint, () => true, table);
    expect(report.violations).toEqual([]);
    expect(report.largestItemBytes).toBeLessThan(DYNAMO_LIMITS.itemBytes / 2); // well under, not just under
    expect(report.largestPartitionKeyBytes).toBeLessThanOrEqual(LIMITS.fingerprintBytes + 'FP#'.length);
  });
});
