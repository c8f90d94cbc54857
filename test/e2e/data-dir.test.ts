import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataDirError, LOCK_FILE } from '../../src/local/data-dir.js';
import { inProcessStack, npmStart } from '../helpers/local-stack.js';

/** `npm start`'s own program, as `npm start` runs it; how it ends, and everything it printed. */
function start(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'npx',
      ['tsx', 'src/local/main.ts'],
      { env: { ...process.env, PORT: '0', ...env }, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

const STACK_TRACE = /^\s+at .+:\d+:\d+\)?$/m;
/** Each test starts TMS as a child process (tsx compiling it first): far longer than an in-process test. */
const SPAWNED = { timeout: 120_000 };

describe('TMS_DATA_DIR that cannot be used', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tms-data-dir-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(
    'a second npm start on the same folder says it is in use, by which pid, and exits 1 without a stack trace',
    SPAWNED,
    async () => {
      // Prepare
      const folder = join(dir, 'shared');
      const first = await npmStart({ TMS_DATA_DIR: folder });
      try {
        const holder = readFileSync(join(folder, LOCK_FILE), 'utf8').trim();
        // Act
        const second = await start({ TMS_DATA_DIR: folder });
        // Assess
        expect(second.code).toBe(1);
        expect(second.stderr).toContain(`TMS_DATA_DIR ${folder} is in use by another TMS (pid ${holder})`);
        expect(second.stderr).not.toContain('Database is closed');
        expect(second.stderr).not.toMatch(STACK_TRACE);
        expect(second.stdout).not.toContain('TMS is running');
      } finally {
        await first.stop();
      }
      // The first one still owned the folder to the end, and let it go when it stopped.
      expect(first.output()).toContain('stopped.');
      expect(existsSync(join(folder, LOCK_FILE))).toBe(false);
    },
  );

  it(
    'a TMS_DATA_DIR that is a file is named as not a folder, exit 1 without a stack trace',
    SPAWNED,
    async () => {
      const file = join(dir, 'a-file');
      writeFileSync(file, 'not a folder');

      const run = await start({ TMS_DATA_DIR: file });

      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`TMS_DATA_DIR ${file} is not a folder`);
      expect(run.stderr).not.toMatch(STACK_TRACE);
      expect(readFileSync(file, 'utf8')).toBe('not a folder');
    },
  );

  it.runIf(process.platform === 'linux')(
    'takes over the lock of a TMS killed a moment ago and not yet reaped (a zombie holds nothing)',
    async () => {
      // Prepare: a process that has exited and that nobody waits for — a `sleep 1` whose parent shell has become
      // (exec) a `sleep` that never reaps it — as a stack killed with kill -9 is until init reaps it. It outlives
      // the exec by a second: had it ended before, the shell would have reaped it itself.
      const folder = join(dir, 'zombie');
      const parent = spawn('sh', ['-c', 'sleep 1 & echo $!; exec sleep 30'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      try {
        const zombie = Number(
          (await new Promise<Buffer>((resolve) => parent.stdout.once('data', resolve))).toString(),
        );
        await expect
          .poll(() => readFileSync(`/proc/${zombie}/stat`, 'utf8').split(') ')[1]?.[0], { timeout: 5_000 })
          .toBe('Z');
        const first = await inProcessStack({ TMS_DATA_DIR: folder });
        await first.close();
        writeFileSync(join(folder, LOCK_FILE), `${zombie}\n`);

        // Act
        const stack = await inProcessStack({ TMS_DATA_DIR: folder });

        // Assess
        try {
          expect(readFileSync(join(folder, LOCK_FILE), 'utf8')).toBe(`${process.pid}\n`);
        } finally {
          await stack.close();
        }
      } finally {
        parent.kill('SIGKILL');
      }
    },
  );

  it('takes over the lock a TMS killed with kill -9 left behind, and keeps a live one', async () => {
    // Prepare: a lock naming a process that has ended, as a kill -9 leaves it.
    const folder = join(dir, 'stale');
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    const first = await inProcessStack({ TMS_DATA_DIR: folder });
    await first.close();
    writeFileSync(join(folder, LOCK_FILE), `${gone}\n`);

    // Act
    const stack = await inProcessStack({ TMS_DATA_DIR: folder });
    try {
      // Assess: it runs, the lock is its own now, and a second stack on the folder is refused.
      expect(readFileSync(join(folder, LOCK_FILE), 'utf8')).toBe(`${process.pid}\n`);
      const refused = await inProcessStack({ TMS_DATA_DIR: folder }).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(DataDirError);
      expect((refused as DataDirError).code).toBe('DATA_DIR_IN_USE');
    } finally {
      await stack.close();
    }
  });
});
