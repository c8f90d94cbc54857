import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Config, parseConfig } from '../src/core/config.js';

/** The TMS config a deployment carries: validated at synth, bundled with every function. */
export interface DeployConfig {
  /** Absolute path of the file, as read at synth. */
  readonly path: string;
  readonly config: Config;
}

/**
 * Reads the config file and validates it with the code's own parser, so a mistake stops `cdk synth` (naming
 * the key and its line) instead of a function's cold start after the deploy.
 */
export function readDeployConfig(path: string): DeployConfig {
  const absolute = resolve(path);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    throw new Error(`The TMS config ${absolute} cannot be read: ${(error as Error).message}`);
  }
  return { path: absolute, config: parseConfig(text, path) };
}
