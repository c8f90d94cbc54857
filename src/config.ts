import { readFileSync } from 'node:fs';
import { type Config, parseConfig } from './core/config.js';

export const DEFAULT_CONFIG_PATH = 'tms.config.yaml';

/**
 * Reads the config file once per process: `TMS_CONFIG`, else `tms.config.yaml` in the working folder.
 * A missing default file means all defaults; a missing file that TMS_CONFIG names is an error.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const named = env.TMS_CONFIG;
  const path = named || DEFAULT_CONFIG_PATH;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (!named && (error as NodeJS.ErrnoException).code === 'ENOENT') return parseConfig('', path);
    throw new Error(`TMS_CONFIG names ${path}, which cannot be read: ${(error as Error).message}`);
  }
  return parseConfig(text, path);
}
