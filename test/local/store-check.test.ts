import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo } from '../../src/local/embedded-dynamo.js';
import { checkStore, crc32c, StoreDamaged } from '../../src/local/store-check.js';

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

const KEY = { pk: 'TASK#1', sk: 'TASK' };
const filler = (n: number) => ({ pk: `FILL#${n}`, sk: 'FILL', text: 'x'.repeat(300) });

/** A data folder as `npm start` leaves it: a task opened, many other writes, the task acknowledged, more writes. */
async function folderWithAcknowledgedTask(): Promise<string> {
  const folder = mkdtempSync(join(tmpdir(), 'tms-store-'));
  folders.push(folder);
  const dynamo = await startEmbeddedDynamo({ path: folder });
  const put = (item: Record<string, unknown>) =>
    dynamo.db.send(new PutCommand({ TableName: dynamo.tableName, Item: item }));
  await put({ ...KEY, status: 'open', version: 1 });
  for (let i = 0; i < 150; i++) await put(filler(i));
  await dynamo.db.send(
    new UpdateCommand({
      TableName: dynamo.tableName,
      Key: KEY,
      UpdateExpression: 'SET #s = :s, version = :v',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': 'acknowledged', ':v': 2 },
    }),
  );
  for (let i = 150; i < 300; i++) await put(filler(i));
  await dynamo.close();
  return folder;
}

/** Bytes that look random, the same every run (a SHA-256 chain), so a failure can be run again. */
function garbage(size: number): Buffer {
  const parts: Buffer[] = [];
  let block = Buffer.from('tms issue 13');
  for (let n = 0; n < size; n += 32) {
    block = createHash('sha256').update(block).digest();
    parts.push(block);
  }
  return Buffer.concat(parts).subarray(0, size);
}

/** 4 KB of garbage written over the middle of the store's log, where the acknowledgement is. */
function corruptLog(folder: string): string {
  const log = readdirSync(folder).find((name) => name.endsWith('.log')) as string;
  const data = readFileSync(join(folder, log));
  const at = data.indexOf('acknowledged');
  expect(at).toBeGreaterThan(0);
  const fd = openSync(join(folder, log), 'r+');
  writeSync(fd, garbage(4096), 0, 4096, Math.max(0, at - 2048));
  closeSync(fd);
  return log;
}

async function statusIn(folder: string, acceptDamage: boolean): Promise<unknown> {
  const dynamo = await startEmbeddedDynamo({ path: folder, acceptDamage, warn: () => {} });
  try {
    const { Item } = await dynamo.db.send(
      new GetCommand({ TableName: dynamo.tableName, Key: KEY, ConsistentRead: true }),
    );
    return Item?.status;
  } finally {
    await dynamo.close();
  }
}

describe('the local store, checked at start', () => {
  it('opens a healthy folder, again and again, as it was left', async () => {
    const folder = await folderWithAcknowledgedTask();
    expect(checkStore(folder).damage).toEqual([]);
    expect(await statusIn(folder, false)).toBe('acknowledged');
    // Reopened, the log became a table and a new manifest: still healthy.
    expect(readdirSync(folder).some((name) => name.endsWith('.ldb'))).toBe(true);
    expect(checkStore(folder).damage).toEqual([]);
    expect(await statusIn(folder, false)).toBe('acknowledged');
  });

  it('refuses a folder with garbage in its log, naming the folder and the way out', async () => {
    const folder = await folderWithAcknowledgedTask();
    const log = corruptLog(folder);

    const start = startEmbeddedDynamo({ path: folder });

    await expect(start).rejects.toBeInstanceOf(StoreDamaged);
    const message = ((await start.catch((e: unknown) => e)) as Error).message;
    expect(message).toContain(`The store in ${folder} (TMS_DATA_DIR) is damaged`);
    expect(message).toContain(join(folder, log));
    expect(message).toContain(`mv '${folder}' '${folder}.damaged-`);
    expect(message).toContain('TMS_ACCEPT_DAMAGED_STORE=1');
    // Nothing was dropped by the refusal: the folder still fails the check, and LevelDB never opened it.
    expect(checkStore(folder).damage[0]).toMatchObject({ file: log, bytes: expect.any(Number) });
  });

  it('starts on a damaged folder only when told to, saying loudly what is lost', async () => {
    const folder = await folderWithAcknowledgedTask();
    corruptLog(folder);
    const warned: string[] = [];

    const dynamo = await startEmbeddedDynamo({
      path: folder,
      acceptDamage: true,
      warn: (m) => warned.push(m),
    });
    const { Item } = await dynamo.db.send(
      new GetCommand({ TableName: dynamo.tableName, Key: KEY, ConsistentRead: true }),
    );
    await dynamo.close();

    // What LevelDB does without the check: the acknowledgement is gone, the task silently back to open.
    expect(Item?.status).not.toBe('acknowledged');
    expect(warned.join('\n')).toMatch(/THE STORE IN .* IS DAMAGED/);
    expect(warned.join('\n')).toContain('tasks may be back at an earlier state');
  });

  it('takes garbage that claims a record longer than its block for damage, not for a write cut short', async () => {
    // Arrange: garbage in the log's last block whose first header claims a 65,520-byte record, so the claimed
    // record runs past the end of the file as a write cut short by a kill would.
    const folder = await folderWithAcknowledgedTask();
    const log = readdirSync(folder).find((name) => name.endsWith('.log')) as string;
    const data = readFileSync(join(folder, log));
    const lastBlock = Math.floor((data.length - 1) / 32_768) * 32_768;
    const junk = garbage(Math.min(1024, data.length - lastBlock));
    junk.writeUInt16LE(0xfff0, 4);
    const fd = openSync(join(folder, log), 'r+');
    writeSync(fd, junk, 0, junk.length, lastBlock);
    closeSync(fd);
    // Act
    const report = checkStore(folder);
    // Assess
    expect(report.damage.map((d) => d.file)).toContain(log);
  });

  it('computes LevelDB’s checksum (CRC-32C)', () => {
    // RFC 3720's check value for CRC-32C.
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });
});
