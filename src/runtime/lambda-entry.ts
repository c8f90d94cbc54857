/**
 * The entry of every TMS Lambda bundle. The cold start reads the function's secrets first (a secret that
 * cannot be read fails the init, so the function never serves without it), then builds the handler once per
 * container from the function's environment: `fromEnvironment` of the function's own handler file, which
 * infra's bundling names (esbuild aliases `tms-lambda-handler` to it, infra/constructs/function.ts).
 * The environment is read here and nowhere else on Lambda; nothing imports this file.
 */
import { fromEnvironment } from 'tms-lambda-handler';
import { resolveSecrets } from './secrets.js';

export const handler = fromEnvironment(process.env, await resolveSecrets(process.env));
