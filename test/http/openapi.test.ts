import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as z from 'zod';
import { REQUEST_BODIES } from '../../src/http/api-schemas.js';
import { openApiDocument, successSchema } from '../../src/http/openapi.js';
import { ROUTES } from '../../src/routes.js';
import { API, getJson, inProcessStack, postJson, type TestStack } from '../helpers/local-stack.js';

// biome-ignore lint/suspicious/noExplicitAny: the document is walked as the JSON a client reads
type Json = any;
const doc: Json = openApiDocument();
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

const operations = (): { key: string; op: Json }[] =>
  Object.entries(doc.paths as Record<string, Json>).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, op })),
  );

/** Every `$ref` in the document, with where it is. */
function refs(node: Json, at = '#'): { ref: string; at: string }[] {
  if (Array.isArray(node)) return node.flatMap((n, i) => refs(n, `${at}/${i}`));
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) =>
    key === '$ref' && typeof value === 'string' ? [{ ref: value, at }] : refs(value, `${at}/${key}`),
  );
}

function resolve(ref: string): Json {
  expect(ref.startsWith('#/')).toBe(true);
  return ref
    .slice(2)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((node: Json, part) => (node && Object.hasOwn(node, part) ? node[part] : undefined), doc);
}

describe('the OpenAPI document', () => {
  it('describes every route of the API function, and nothing that is not a route', () => {
    const expected = ROUTES.filter((r) => r.path === '/healthz' || r.path.startsWith('/api/')).map(
      (r) => `${r.method} ${r.path}`,
    );
    expect(expected).toContain('GET /api/openapi.json');
    expect(
      operations()
        .map((o) => o.key)
        .sort(),
    ).toEqual(expected.sort());
    // Ingest and Slack are their senders' contracts, not this API's.
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/ingest') || p.startsWith('/slack'))).toBe(false);
  });

  it('is OpenAPI 3.1 in shape: info, responses on every operation, unique ids, every $ref resolving', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: 'TMS', version: expect.stringMatching(/^\d+\.\d+\.\d+$/) });
    const ids = operations().map((o) => o.op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { key, op } of operations()) {
      expect(Object.keys(op.responses).length, key).toBeGreaterThan(0);
      for (const status of Object.keys(op.responses)) expect(status, key).toMatch(/^[1-5]\d\d$/);
      // Every template segment of the path is a declared path parameter, and none that is not.
      const templated = [...key.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const declared = (op.parameters ?? []).filter((p: Json) => p.in === 'path').map((p: Json) => p.name);
      expect(declared.sort(), key).toEqual(templated.sort());
    }
    const all = refs(doc);
    expect(all.length).toBeGreaterThan(10);
    for (const { ref, at } of all) expect(resolve(ref), `${ref} at ${at}`).toBeDefined();
  });

  it('asks for the bearer token on every route but /healthz', () => {
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.security).toEqual([{ bearer: [] }]);
    for (const { key, op } of operations()) {
      if (key === 'GET /healthz') expect(op.security).toEqual([]);
      else {
        expect(op.security, key).toBeUndefined(); // the document's default applies
        expect(op.responses['401'], key).toEqual({ $ref: '#/components/responses/E401' });
      }
    }
  });

  it('answers the error shape for every error status', () => {
    for (const { key, op } of operations())
      for (const [status, response] of Object.entries<Json>(op.responses))
        if (Number(status) >= 400)
          expect(resolve(response.$ref).content['application/json'].schema, key).toEqual({
            $ref: '#/components/schemas/Error',
          });
    expect(doc.components.schemas.Error.required).toEqual(['error']);
    expect(doc.components.schemas.Error.properties.error.required).toEqual(['code', 'message']);
  });

  it('generates each request body from the schema that validates it, and every example validates', () => {
    const bodies: Record<string, z.ZodType> = REQUEST_BODIES;
    const withBodies = operations().filter((o) => o.op.requestBody);
    expect(withBodies.map((o) => o.key).sort()).toEqual(Object.keys(bodies).sort());
    for (const { key, op } of withBodies) {
      const schema = bodies[key];
      if (!schema) throw new Error(`no zod schema for ${key}`);
      const media = op.requestBody.content['application/json'];
      const examples = Object.values<Json>(media.examples).map((e) => e.value);
      expect(examples.length, key).toBeGreaterThan(0);
      const json = media.schema;
      expect(json.additionalProperties, key).toBe(false);
      for (const example of examples) {
        expect(schema.safeParse(example).success, `${key}: ${JSON.stringify(example)}`).toBe(true);
        // The JSON Schema agrees: what it requires is there, and nothing it does not know.
        for (const field of json.required ?? []) expect(example, key).toHaveProperty(field);
        for (const field of Object.keys(example)) expect(Object.keys(json.properties), key).toContain(field);
      }
    }
  });

  it('renders what the zod schemas refuse: unknown fields, enums, patterns, bounds, nullables', () => {
    const create = doc.paths['/api/tasks'].post.requestBody.content['application/json'].schema;
    expect(create.required).toEqual(['title']);
    expect(create.properties.title).toMatchObject({ type: 'string', minLength: 1 });
    expect(create.properties.priority.enum).toEqual(['P1', 'P2', 'P3', 'P4']);
    expect(create.properties.assignee.anyOf).toEqual(
      expect.arrayContaining([expect.objectContaining({ pattern: expect.any(String) }), { type: 'null' }]),
    );
    expect(create.properties.labels).toMatchObject({
      type: 'object',
      additionalProperties: { type: 'string' },
    });
    // A patch: every field optional, at least one, none unknown; If-Match and the ETag it comes from.
    const patch = doc.paths['/api/tasks/{id}'].patch;
    const patchBody = patch.requestBody.content['application/json'].schema;
    expect(patchBody).toMatchObject({ additionalProperties: false, minProperties: 1 });
    expect(patchBody.required).toBeUndefined();
    expect(patch.parameters.map((p: Json) => `${p.in} ${p.name}`)).toEqual(['path id', 'header If-Match']);
    expect(patch.responses['200'].headers.ETag.schema.pattern).toBe('^"[1-9]\\d*"$');
    expect(doc.paths['/api/tasks/{id}'].delete.responses['204'].content).toBeUndefined();
    const task = doc.components.schemas.Task;
    expect(task.additionalProperties).toBe(false);
    expect(task.required).toEqual(expect.arrayContaining(['id', 'title', 'status', 'version']));
    expect(task.$schema).toBeUndefined(); // the document's dialect, not a schema's own
  });

  it('is built once: the same object each time', () => {
    expect(openApiDocument()).toBe(doc);
  });
});

describe('GET /api/openapi.json on the local stack', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await inProcessStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('answers the document to a caller with the token', async () => {
    const response = await fetch(`${stack.url}/api/openapi.json`, { headers: API() });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual(JSON.parse(JSON.stringify(doc)));
  });

  it('documents what the routes really answer: each success answer parses with its documented schema', async () => {
    const create = REQUEST_BODIES['POST /api/tasks'];
    const example = (create.meta()?.examples as unknown[] | undefined)?.[0];
    const answers: { key: string; status: number; body: Json }[] = [];
    const once = { ...API(), 'idempotency-key': 'openapi-test-1' };
    const opened = await postJson(`${stack.url}/api/tasks`, example, once);
    expect(opened.status).toBe(201);
    const replayed = await postJson(`${stack.url}/api/tasks`, example, once);
    expect(replayed.status).toBe(200);
    answers.push({ key: 'POST /api/tasks', ...opened }, { key: 'POST /api/tasks', ...replayed });
    // An alert fired and resolved twice: the playbook answers the issues that happened at least twice.
    let id = '';
    for (let round = 0; round < 2; round++) {
      const fired = await postJson(`${stack.url}/ingest/generic`, {
        routing_key: stack.secrets.INGEST_TOKEN,
        event_action: 'trigger',
        dedup_key: 'openapi-lag',
        payload: {
          summary: 'Consumer lag above 10k',
          source: 'kafka-1',
          severity: 'error',
          component: 'checkout',
        },
      });
      expect(fired.status).toBe(202);
      await stack.idle();
      const { tasks } = (await getJson(`${stack.url}/api/tasks?status=unresolved`, API())).body;
      id = tasks.find((t: { fingerprint: string | null }) => t.fingerprint === 'generic:openapi-lag').id;
      const commented = await postJson(
        `${stack.url}/api/tasks/${id}/actions`,
        { action: 'comment', note: 'Looking at the consumer' },
        API(),
      );
      const resolved = await postJson(
        `${stack.url}/api/tasks/${id}/actions`,
        { action: 'resolve', note: 'Restarted the consumer' },
        API(),
      );
      answers.push(
        { key: 'POST /api/tasks/{id}/actions', ...commented },
        { key: 'POST /api/tasks/{id}/actions', ...resolved },
      );
      await stack.idle(); // the resolution reaches the playbook's aggregates through the stream
    }
    // A patch of the opened task, then its deletion (204: no body, so no schema to hold it to).
    const patchedId = opened.body.task.id;
    const patch = REQUEST_BODIES['PATCH /api/tasks/{id}'];
    const patched = await fetch(`${stack.url}/api/tasks/${patchedId}`, {
      method: 'PATCH',
      headers: { ...API(), 'content-type': 'application/json' },
      body: JSON.stringify((patch.meta()?.examples as unknown[] | undefined)?.[0]),
    });
    answers.push({ key: 'PATCH /api/tasks/{id}', status: patched.status, body: await patched.json() });
    const deleted = await fetch(`${stack.url}/api/tasks/${patchedId}`, { method: 'DELETE', headers: API() });
    expect(deleted.status).toBe(204);
    expect(await deleted.text()).toBe('');
    // A schedule made from the body's first example moved a year ahead (a one-off must be due), read, listed.
    const scheduleExample = (
      REQUEST_BODIES['POST /api/schedules'].meta()?.examples as { at: string }[] | undefined
    )?.[0] ?? { at: '' };
    const made = await postJson(
      `${stack.url}/api/schedules`,
      { ...scheduleExample, at: `${new Date().getUTCFullYear() + 1}${scheduleExample.at.slice(4)}` },
      API(),
    );
    expect(made.status).toBe(201);
    answers.push({ key: 'POST /api/schedules', ...made });
    const scheduleId = made.body.schedule.id;
    for (const [key, path] of [
      ['GET /healthz', '/healthz'],
      ['GET /api/me', '/api/me'],
      ['GET /api/tasks', '/api/tasks?status=all'],
      ['GET /api/tasks/{id}', `/api/tasks/${id}`],
      ['GET /api/trends', '/api/trends'],
      ['GET /api/metrics', '/api/metrics?service=checkout'],
      // With a step, its series too: each bucket held to the same schema.
      ['GET /api/metrics', '/api/metrics?service=checkout&window=1d&step=1h'],
      ['GET /api/services/{service}/playbook', '/api/services/checkout/playbook'],
      ['GET /api/schedules', '/api/schedules'],
      ['GET /api/schedules', '/api/schedules?status=scheduled'],
      ['GET /api/schedules/{id}', `/api/schedules/${scheduleId}`],
      ['GET /api/oncall', '/api/oncall'],
    ] as const)
      answers.push({ key, ...(await getJson(`${stack.url}${path}`, API())) });
    expect([...new Set(answers.map((a) => a.key))].sort()).toEqual(
      operations()
        .map((o) => o.key)
        .filter(
          (key) =>
            key !== 'GET /api/openapi.json' &&
            key !== 'DELETE /api/tasks/{id}' &&
            key !== 'DELETE /api/schedules/{id}',
        )
        .sort(),
    );
    // The series' bucket shape is checked on real buckets, not an empty list.
    expect(
      answers.find((a) => a.key === 'GET /api/metrics' && a.body.series)?.body.series.length,
    ).toBeGreaterThanOrEqual(24);
    // The playbook's issue shape is checked on a real issue, not an empty list.
    expect(answers.find((a) => a.key === 'GET /api/services/{service}/playbook')?.body.issues).toHaveLength(
      1,
    );
    expect(
      Object.keys(operations().find((o) => o.key === 'DELETE /api/tasks/{id}')?.op.responses ?? {}),
    ).toContain('204');
    // The schedule's shape is checked on a real schedule, not an empty list.
    expect(answers.find((a) => a.key === 'GET /api/schedules')?.body.schedules).toHaveLength(1);
    for (const { key, status, body } of answers) {
      const documented = operations().find((o) => o.key === key)?.op.responses;
      expect(Object.keys(documented ?? {}), key).toContain(String(status));
      const parsed = successSchema(key)?.safeParse(body);
      expect(parsed?.error, `${key}: ${JSON.stringify(body).slice(0, 300)}`).toBeUndefined();
      expect(parsed?.success, key).toBe(true);
    }
  });

  it('answers 401 without one, as the rest of /api/*', async () => {
    const answer = await getJson(`${stack.url}/api/openapi.json`);
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('UNAUTHENTICATED');
  });
});
