import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { createTableInput, TABLE } from '../adapters/dynamo/table.js';
import { createDocumentClient } from '../adapters/dynamo/task-store.js';
import { claimDataDir, type DataDirLock } from './data-dir.js';
import { checkStore, damageMessage, StoreDamaged } from './store-check.js';

export interface EmbeddedDynamo {
  readonly endpoint: string;
  readonly tableName: string;
  readonly db: DynamoDBDocumentClient;
  close(): Promise<void>;
}

/** Credentials the embedded store accepts: it checks none, but the SDK signs every request. */
export const LOCAL_AWS = {
  region: 'local',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

/**
 * dynalite (a DynamoDB API in Node) in this process on a loopback port, with the TMS table created.
 * In memory unless `path` names a folder to persist to; a folder whose records fail their checksums is
 * refused (StoreDamaged, naming the way out) unless `acceptDamage`, which starts on it and says what is lost.
 * The folder is this process's while it runs (a DataDirError names the TMS that has it, or why it is unusable).
 */
export async function startEmbeddedDynamo(
  options: {
    path?: string;
    tableName?: string;
    acceptDamage?: boolean;
    warn?: (message: string) => void;
  } = {},
): Promise<EmbeddedDynamo> {
  const lock = options.path ? claimDataDir(options.path) : undefined;
  try {
    return await open(options, lock);
  } catch (error) {
    lock?.release();
    throw error;
  }
}

async function open(
  options: Parameters<typeof startEmbeddedDynamo>[0] & {},
  lock: DataDirLock | undefined,
): Promise<EmbeddedDynamo> {
  if (options.path) {
    const report = checkStore(options.path);
    if (report.damage.length > 0) {
      if (!options.acceptDamage) throw new StoreDamaged(options.path, report);
      (options.warn ?? ((line) => process.stderr.write(`${line}\n`)))(
        damageMessage(options.path, report, true),
      );
    }
  }
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.path ? { path: options.path } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tableName = options.tableName ?? TABLE.defaultName;
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName)));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error; // a persisted store already has it
  }
  // dynalite answers CreateTable with CREATING and refuses writes until a timer makes the table ACTIVE.
  for (let wait = 0; wait < 200; wait++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  client.destroy();
  const db = createDocumentClient({ ...LOCAL_AWS, endpoint });
  return {
    endpoint,
    tableName,
    db,
    close: async () => {
      db.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      lock?.release();
    },
  };
}
