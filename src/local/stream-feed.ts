import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import type { DynamoDBRecord, AttributeValue as LambdaAttributeValue } from 'aws-lambda';
import { TABLE } from '../adapters/dynamo/table.js';

type AttributeValue = LambdaAttributeValue;
type Image = Record<string, AttributeValue>;
type Json = Record<string, unknown>;
type Answer = { status: number; headers: Headers; body: string };
type BatchRequest = { PutRequest?: { Item: Image }; DeleteRequest?: { Key: Image } };

/** A stream record as a Lambda receives it from a DynamoDB event source mapping (NEW_AND_OLD_IMAGES). */
export type StreamRecord = DynamoDBRecord & { dynamodb: NonNullable<DynamoDBRecord['dynamodb']> };
export type StreamListener = (record: StreamRecord) => void;

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);

/**
 * DynamoDB's item size rules (names and values in bytes, numbers by significant digits, 3 bytes and 1 per
 * element for lists and maps), which is what a stream record's SizeBytes adds up over its keys and images.
 */
export function attributeSize(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return Buffer.from(value.B as unknown as string, 'base64').length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS) return value.SS.reduce((sum, s) => sum + Buffer.byteLength(s), 0);
  if (value.NS) return value.NS.reduce((sum, n) => sum + numberSize(n), 0);
  if (value.BS)
    return value.BS.reduce((sum, b) => sum + Buffer.from(b as unknown as string, 'base64').length, 0);
  if (value.L) return 3 + value.L.reduce((sum, item) => sum + 1 + attributeSize(item), 0);
  if (value.M)
    return (
      3 +
      Object.entries(value.M).reduce((sum, [k, v]) => sum + 1 + Buffer.byteLength(k) + attributeSize(v), 0)
    );
  return 0;
}

/**
 * DynamoDB keeps numbers as base-100 digits aligned on the decimal point (like Oracle's NUMBER): the size is
 * one byte per pair from the first to the last non-zero pair, plus one, plus one more for a negative number.
 * Held to DynamoDB Local's SizeBytes by the golden records.
 */
function numberSize(n: string): number {
  const negative = n.startsWith('-');
  const [whole = '', fraction = ''] = n.replace(/^[-+]/, '').toLowerCase().split('e')[0]?.split('.') ?? [];
  const left = whole.length % 2 ? `0${whole}` : whole;
  const right = fraction.length % 2 ? `${fraction}0` : fraction;
  const pairs = `${left}${right}`.match(/../g) ?? [];
  const first = pairs.findIndex((p) => p !== '00');
  if (first === -1) return 1; // zero
  const last = pairs.findLastIndex((p) => p !== '00');
  return last - first + 2 + (negative ? 1 : 0);
}

export const imageSize = (image: Image | undefined): number =>
  image
    ? Object.entries(image).reduce(
        (sum, [name, value]) => sum + Buffer.byteLength(name) + attributeSize(value),
        0,
      )
    : 0;

/**
 * A DynamoDB endpoint that passes every request to dynalite and turns every write that changed an item
 * into a stream record, exactly as DynamoDB Streams does with NEW_AND_OLD_IMAGES: INSERT / MODIFY /
 * REMOVE with keys, images, an increasing sequence number and the approximate creation time; no record
 * for a write that failed its condition or left the item as it was. Writes to one item are serialized,
 * so its records come in the order of its writes.
 *
 * dynalite has no streams; a proxy keeps the code under test unchanged (it talks to "DynamoDB" at an
 * endpoint) while the local stack still feeds the stream consumers.
 */
export class StreamFeed {
  readonly #upstream: string;
  readonly #region: string;
  readonly #listeners = new Set<StreamListener>();
  readonly #locks = new Map<string, Promise<void>>();
  readonly #created = new Date().toISOString().slice(0, 23);
  #sequence = 0;
  #server: Server | undefined;
  /** Requests clients sent, by operation: what AWS would bill, without the feed's own reads. */
  readonly requests = new Map<string, number>();

  constructor(upstream: string, region: string) {
    this.#upstream = upstream;
    this.#region = region;
  }

  onRecord(listener: StreamListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async listen(): Promise<string> {
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error: Error) => {
        res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(
          JSON.stringify({
            __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
            message: error.message,
          }),
        );
      });
    });
    this.#server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  streamArn(table: string): string {
    return `arn:aws:dynamodb:${this.#region}:000000000000:table/${table}/stream/${this.#created}`;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.split('.')[1] ?? '';
    this.requests.set(operation, (this.requests.get(operation) ?? 0) + 1);
    const headers = forwardable(req);

    if (!WRITES.has(operation)) {
      const answer = await this.#send(headers, body);
      return reply(res, answer);
    }
    const input = JSON.parse(body) as Json;
    const writes =
      operation === 'BatchWriteItem'
        ? batchTargets(input)
        : [{ table: String(input.TableName), key: undefined, input }];
    const targets = await Promise.all(
      writes.map(async (w) => ({ ...w, key: w.key ?? (await this.#keyOf(headers, w.table, w.input)) })),
    );
    const lockIds = [...new Set(targets.map((t) => `${t.table}|${JSON.stringify(sortKeys(t.key))}`))].sort();
    const release = await this.#lock(lockIds);
    try {
      const { answer, before, after } = await this.#write(operation, headers, input, targets);
      if (answer.status === 200) {
        for (const [i, t] of targets.entries()) this.#emit(t.table, t.key, before[i], after[i]);
      }
      reply(res, answer);
    } finally {
      release();
    }
  }

  /**
   * Performs a write (the item locks held) and learns the images around it with as few extra calls as the
   * API allows: Put and Delete return the old item (ALL_OLD) and the new one is the Put's own item; an
   * Update reads the old item first and returns the new one (ALL_NEW); a batch reads its items in one
   * BatchGetItem. What the client did not ask to see is taken out of the answer again.
   */
  async #write(
    operation: string,
    headers: Record<string, string>,
    input: Json,
    targets: readonly { table: string; key: Image; input: Json }[],
  ) {
    if (operation === 'PutItem' || operation === 'DeleteItem') {
      const asked = input.ReturnValues ?? 'NONE';
      const answer = await this.#send(headers, JSON.stringify({ ...input, ReturnValues: 'ALL_OLD' }));
      const parsed = answer.status === 200 ? (JSON.parse(answer.body) as { Attributes?: Image }) : {};
      const before = [parsed.Attributes];
      const after = [operation === 'PutItem' ? (input.Item as Image) : undefined];
      return { answer: asked === 'ALL_OLD' ? answer : withoutAttributes(answer, parsed), before, after };
    }
    if (operation === 'UpdateItem') {
      const [target] = targets;
      const old = target ? await this.#getItem(headers, target.table, target.key) : undefined;
      const asked = input.ReturnValues ?? 'NONE';
      if (asked === 'NONE' || asked === 'ALL_NEW') {
        const answer = await this.#send(headers, JSON.stringify({ ...input, ReturnValues: 'ALL_NEW' }));
        const parsed = answer.status === 200 ? (JSON.parse(answer.body) as { Attributes?: Image }) : {};
        return {
          answer: asked === 'ALL_NEW' ? answer : withoutAttributes(answer, parsed),
          before: [old],
          after: [parsed.Attributes],
        };
      }
      const answer = await this.#send(headers, JSON.stringify(input));
      const now =
        answer.status === 200 && target ? await this.#getItem(headers, target.table, target.key) : undefined;
      return { answer, before: [old], after: [now] };
    }
    // BatchWriteItem
    const before = await this.#batchGet(headers, targets);
    const answer = await this.#send(headers, JSON.stringify(input));
    // Items the batch left unprocessed did not change: they get their record when the client retries them.
    const left = new Set<string>();
    if (answer.status === 200) {
      const unprocessed = (JSON.parse(answer.body) as { UnprocessedItems?: Record<string, BatchRequest[]> })
        .UnprocessedItems;
      for (const [table, requests] of Object.entries(unprocessed ?? {})) {
        const names = await this.#keyNames(headers, table);
        for (const r of requests) {
          const key = r.DeleteRequest?.Key ?? (r.PutRequest ? pickKeys(r.PutRequest.Item, names) : undefined);
          if (key) left.add(`${table}|${JSON.stringify(sortKeys(key))}`);
        }
      }
    }
    const after = targets.map((t, i) =>
      left.has(`${t.table}|${JSON.stringify(sortKeys(t.key))}`)
        ? before[i]
        : (t.input.Item as Image | undefined),
    );
    return { answer, before, after };
  }

  async #batchGet(
    headers: Record<string, string>,
    targets: readonly { table: string; key: Image }[],
  ): Promise<(Image | undefined)[]> {
    const byTable: Record<string, { Keys: Image[]; ConsistentRead: boolean }> = {};
    for (const t of targets) {
      byTable[t.table] ??= { Keys: [], ConsistentRead: true };
      byTable[t.table]?.Keys.push(t.key);
    }
    const found = new Map<string, Image>();
    let request: Record<string, unknown> = byTable;
    for (let attempt = 0; Object.keys(request).length > 0 && attempt < 10; attempt++) {
      const answer = await this.#send(
        { ...headers, 'x-amz-target': 'DynamoDB_20120810.BatchGetItem' },
        JSON.stringify({ RequestItems: request }),
      );
      if (answer.status !== 200) throw new Error(`BatchGetItem failed: ${answer.body}`);
      const parsed = JSON.parse(answer.body) as {
        Responses?: Record<string, Image[]>;
        UnprocessedKeys?: Record<string, unknown>;
      };
      for (const [table, items] of Object.entries(parsed.Responses ?? {})) {
        const names = await this.#keyNames(headers, table);
        for (const item of items)
          found.set(`${table}|${JSON.stringify(sortKeys(pickKeys(item, names)))}`, item);
      }
      request = parsed.UnprocessedKeys ?? {};
    }
    return targets.map((t) => found.get(`${t.table}|${JSON.stringify(sortKeys(t.key))}`));
  }

  #emit(table: string, keys: Image, oldImage: Image | undefined, newImage: Image | undefined): void {
    if (!oldImage && !newImage) return;
    if (oldImage && newImage && isDeepStrictEqual(oldImage, newImage)) return; // DynamoDB writes no record for a no-op
    const eventName = !oldImage ? 'INSERT' : !newImage ? 'REMOVE' : 'MODIFY';
    const record: StreamRecord = {
      eventID: randomBytes(16).toString('hex'),
      eventName,
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: this.#region,
      dynamodb: {
        ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
        Keys: keys,
        ...(newImage ? { NewImage: newImage } : {}),
        ...(oldImage ? { OldImage: oldImage } : {}),
        SequenceNumber: String(++this.#sequence).padStart(21, '0'),
        SizeBytes: imageSize(keys) + imageSize(newImage) + imageSize(oldImage),
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
      eventSourceARN: this.streamArn(table),
    };
    for (const listener of this.#listeners) listener(record);
  }

  async #keyOf(headers: Record<string, string>, table: string, input: Json): Promise<Image> {
    if (!input.Item) return input.Key as Image;
    return pickKeys(input.Item as Image, await this.#keyNames(headers, table));
  }

  readonly #keySchemas = new Map<string, string[]>();
  async #keyNames(headers: Record<string, string>, table: string): Promise<string[]> {
    const known = this.#keySchemas.get(table);
    if (known) return known;
    const answer = await this.#send(
      { ...headers, 'x-amz-target': 'DynamoDB_20120810.DescribeTable' },
      JSON.stringify({ TableName: table }),
    );
    const schema = (JSON.parse(answer.body) as { Table?: { KeySchema?: { AttributeName: string }[] } }).Table
      ?.KeySchema;
    const names = schema?.map((k) => k.AttributeName) ?? [TABLE.partitionKey, TABLE.sortKey];
    this.#keySchemas.set(table, names);
    return names;
  }

  async #getItem(headers: Record<string, string>, table: string, key: Image): Promise<Image | undefined> {
    const answer = await this.#send(
      { ...headers, 'x-amz-target': 'DynamoDB_20120810.GetItem' },
      JSON.stringify({ TableName: table, Key: key, ConsistentRead: true }),
    );
    if (answer.status !== 200) return undefined;
    return (JSON.parse(answer.body) as { Item?: Image }).Item;
  }

  async #send(
    headers: Record<string, string>,
    body: string,
  ): Promise<{ status: number; headers: Headers; body: string }> {
    const response = await fetch(this.#upstream, { method: 'POST', headers, body });
    return { status: response.status, headers: response.headers, body: await response.text() };
  }

  /** Waits for every named item's earlier writes, then holds them until released. */
  async #lock(ids: readonly string[]): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const waits = ids.map((id) => this.#locks.get(id) ?? Promise.resolve());
    for (const id of ids) this.#locks.set(id, held);
    await Promise.all(waits);
    return () => {
      for (const id of ids) if (this.#locks.get(id) === held) this.#locks.delete(id);
      release();
    };
  }
}

function batchTargets(input: Json): { table: string; key: Image | undefined; input: Json }[] {
  const items = input.RequestItems as Record<string, BatchRequest[]>;
  return Object.entries(items).flatMap(([table, requests]) =>
    requests.map((r) =>
      r.PutRequest
        ? { table, key: undefined, input: { TableName: table, Item: r.PutRequest.Item } }
        : { table, key: r.DeleteRequest?.Key, input: { TableName: table, Key: r.DeleteRequest?.Key } },
    ),
  );
}

function forwardable(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name === 'host' || name === 'content-length' || name === 'connection')
      continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function reply(res: ServerResponse, answer: { status: number; headers: Headers; body: string }): void {
  res.writeHead(answer.status, {
    'content-type': answer.headers.get('content-type') ?? 'application/x-amz-json-1.0',
    'x-amzn-requestid': answer.headers.get('x-amzn-requestid') ?? '',
    ...(answer.headers.get('x-amz-crc32')
      ? { 'x-amz-crc32': answer.headers.get('x-amz-crc32') as string }
      : {}),
  });
  res.end(answer.body);
}

function pickKeys(item: Image, names: readonly string[]): Image {
  return Object.fromEntries(names.map((name) => [name, item[name] as AttributeValue]));
}

/** The answer without the `Attributes` the client did not ask for (its checksum header goes with the old body). */
function withoutAttributes(answer: Answer, parsed: { Attributes?: Image }): Answer {
  if (answer.status !== 200 || !parsed.Attributes) return answer;
  const { Attributes: _dropped, ...rest } = parsed as Json;
  const headers = new Headers(answer.headers);
  headers.delete('x-amz-crc32');
  return { status: answer.status, headers, body: JSON.stringify(rest) };
}

function sortKeys(image: Image): Image {
  return Object.fromEntries(Object.entries(image).sort(([a], [b]) => (a < b ? -1 : 1)));
}
