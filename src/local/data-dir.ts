import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** The file in TMS_DATA_DIR that names the process using it: one TMS per folder, as LevelDB allows one opener. */
export const LOCK_FILE = 'tms.lock';

/** TMS_DATA_DIR cannot be used: another TMS has it, or it is not a folder this process can write in. */
export class DataDirError extends Error {
  override readonly name = 'DataDirError';
  constructor(
    readonly code: 'DATA_DIR_IN_USE' | 'DATA_DIR_UNUSABLE',
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

export interface DataDirLock {
  readonly path: string;
  /** Removes the lock file if it is still this holder's. */
  release(): void;
}

/**
 * Takes TMS_DATA_DIR for this process: creates the folder if needed and writes the lock file with this pid.
 * A lock whose process is gone (a kill -9, a crash) is taken over; a live one is refused, naming its pid. Without
 * this a second TMS on the folder meets LevelDB's own lock deep inside dynalite, which only says "Database is
 * closed" from a timer, with a stack trace.
 */
export function claimDataDir(folder: string): DataDirLock {
  ensureFolder(folder);
  const path = join(folder, LOCK_FILE);
  const token = `${process.pid}\n`;
  for (let attempt = 0; attempt < 2; attempt++) {
    const written = tryCreate(path, token, folder);
    if (written) return { path, release: () => releaseIfOurs(path, token) };
    const holder = holderOf(path);
    if (holder !== undefined && isAlive(holder))
      throw new DataDirError(
        'DATA_DIR_IN_USE',
        `TMS_DATA_DIR ${folder} is in use by another TMS (pid ${holder}): stop that one first, or set TMS_DATA_DIR to another folder.`,
      );
    // Stale (its process is gone) or unreadable: removed and claimed again; of two claiming at once, one wins.
    try {
      unlinkSync(path);
    } catch {
      // another process removed it first
    }
  }
  throw new DataDirError(
    'DATA_DIR_IN_USE',
    `TMS_DATA_DIR ${folder} is being claimed by another TMS at the same moment: try again.`,
  );
}

function ensureFolder(folder: string): void {
  let isFolder: boolean | undefined;
  try {
    isFolder = statSync(folder).isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw unusable(folder, error);
  }
  if (isFolder === false)
    throw new DataDirError(
      'DATA_DIR_UNUSABLE',
      `TMS_DATA_DIR ${folder} is not a folder: point it at a folder (TMS creates one that does not exist).`,
    );
  if (isFolder === undefined) {
    try {
      mkdirSync(folder, { recursive: true });
    } catch (error) {
      throw unusable(folder, error);
    }
  }
}

function unusable(folder: string, error: unknown): DataDirError {
  const code = (error as NodeJS.ErrnoException).code ?? 'error';
  const why =
    code === 'EACCES' || code === 'EPERM'
      ? 'this user may not write there'
      : code === 'ENOTDIR'
        ? 'a part of its path is a file'
        : (error as Error).message;
  return new DataDirError('DATA_DIR_UNUSABLE', `TMS_DATA_DIR ${folder} cannot be used: ${why} (${code}).`, {
    cause: error,
  });
}

/** Creates the lock file only if there is none (`wx`); false when one exists. */
function tryCreate(path: string, token: string, folder: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw unusable(folder, error);
  }
  try {
    writeSync(fd, token);
  } finally {
    closeSync(fd);
  }
  return true;
}

function holderOf(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Signal 0 checks that a process exists without touching it; EPERM means it exists under another user. A
 * process killed a moment ago still exists until its parent (or init) reaps it: a zombie holds nothing (its
 * files are closed), so on Linux its state in /proc says it is gone. Without this, `kill -9` and an
 * immediate `npm start` was refused for as long as the dead one went unreaped.
 */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  try {
    // "<pid> (<comm>) <state> …": the command may hold spaces and parentheses, the state follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false; // no /proc (not Linux), or gone since: signal 0 answered for it
  }
}

function releaseIfOurs(path: string, token: string): void {
  try {
    if (readFileSync(path, 'utf8') === token) unlinkSync(path);
  } catch {
    // already gone
  }
}
