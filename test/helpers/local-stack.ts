import { type ChildProcess, spawn } from 'node:child_process';
import type { Clock } from '../../src/core/time.js';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../src/local/stack.js';

export type TestStack = LocalStack & { readonly lines: string[] };

/** The local stack inside the test process: its own store, stand-ins and deps; on a clock of the test's if given. */
export async function inProcessStack(
  env: NodeJS.ProcessEnv = {},
  options: Pick<
    LocalStackOptions,
    'clock' | 'sleep' | 'queueVisibilityTimeoutMs' | 'escalationWaits' | 'escalationRetryMs'
  > = {},
): Promise<TestStack> {
  const lines: string[] = [];
  const stack = await startLocalStack({
    env: { PORT: '0', TMS_TICK: '1h', TMS_CONFIG: 'tms.config.yaml', ...env },
    print: (line) => lines.push(line),
    ...options,
  });
  return Object.assign(stack, { lines });
}

/** A config that reads Alertmanager alert by alert (`sources.alertmanager.grouping: alert`). */
export const PER_ALERT_CONFIG = { TMS_CONFIG: 'test/fixtures/config/per-alert.config.yaml' };

export interface StartedProcess {
  readonly url: string;
  readonly child: ChildProcess;
  output(): string;
  /** Sends a signal to the whole process group and resolves with how npm ended. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `npm start` as a user runs it (the same command, through npm), on a free port. */
export async function npmStart(env: NodeJS.ProcessEnv = {}): Promise<StartedProcess> {
  const child = spawn('npm', ['start', '--silent'], {
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so a signal reaches npm and everything under it, as Ctrl-C in a terminal does.
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  // npm may exit before the TMS process under it has said its last words: its output is whole only once
  // every process of the group has closed the pipes.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timeout = setTimeout(
      () => reject(new Error(`npm start did not come up in 60 s:\n${output}`)),
      60_000,
    );
    const check = () => {
      const match = /TMS is running at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timeout);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', check);
    void exited.then((code) => {
      clearTimeout(timeout);
      reject(new Error(`npm start exited (${JSON.stringify(code)}):\n${output}`));
    });
  });
  return {
    url,
    child,
    output: () => output,
    stop: async (signal = 'SIGINT') => {
      try {
        if (child.pid) process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
      const result = await exited;
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 15_000).unref())]);
      return result;
    },
  };
}

export const API = (token = 'local-api-token') => ({ authorization: `Bearer ${token}` });

/** A JSON answer, loosely typed: tests assert on its shape, which is the point of reading it. */
// biome-ignore lint/suspicious/noExplicitAny: response bodies are what the tests examine, field by field
type Body = any;

export async function getJson(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Body }> {
  const response = await fetch(url, { headers });
  return { status: response.status, body: await response.json() };
}

export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Body; headers: Headers }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: the test sees the text
  }
  return { status: response.status, body: parsed, headers: response.headers };
}
