import { vi } from 'vitest';
import { logger } from '../../src/runtime/logger.js';

/** One JSON line as the real logger printed it. */
export interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly [key: string]: unknown;
}

/**
 * The lines TMS's logger prints (INFO and up) while the capture is on, read back from stdout and stderr where
 * Powertools writes them; anything else written there passes through. Tests run with the logger SILENT
 * (vitest.config.ts); `restore` puts that level back.
 */
export function captureLogs(): { readonly lines: LogLine[]; restore(): void } {
  const lines: LogLine[] = [];
  const level = logger.getLevelName();
  logger.setLogLevel('INFO');
  const spies = [process.stdout, process.stderr].map((stream) => {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    return vi.spyOn(stream, 'write').mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
      const line = parseLine(String(chunk));
      if (!line) return write(chunk, ...rest);
      lines.push(line);
      return true;
    }) as typeof stream.write);
  });
  return {
    lines,
    restore() {
      for (const spy of spies) spy.mockRestore();
      logger.setLogLevel(level);
    },
  };
}

function parseLine(text: string): LogLine | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === 'object' && 'level' in value && 'message' in value
      ? (value as LogLine)
      : undefined;
  } catch {
    return undefined;
  }
}
