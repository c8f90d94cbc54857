import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { REQUEST_BODIES } from '../../src/http/api-schemas.js';

/** The examples are what the OpenAPI document will show: each must be a body the route accepts. */
describe('the request schemas of /api/*', () => {
  it.each(Object.entries(REQUEST_BODIES))('%s: every example validates', (_route, schema) => {
    const examples = (z.globalRegistry.get(schema)?.examples ?? []) as unknown[];
    expect(examples.length).toBeGreaterThan(0);
    for (const example of examples)
      expect(schema.safeParse(example).error, JSON.stringify(example)).toBeUndefined();
  });

  it.each(Object.entries(REQUEST_BODIES))(
    '%s: converts to a JSON Schema that refuses unknown fields',
    (_route, schema) => {
      const json = z.toJSONSchema(schema, { io: 'input' }) as {
        additionalProperties?: boolean;
        examples?: unknown[];
      };
      expect(json.additionalProperties).toBe(false);
      expect(json.examples?.length).toBeGreaterThan(0);
    },
  );
});
