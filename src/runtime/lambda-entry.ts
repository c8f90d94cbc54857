/**
 * The entry of every TMS Lambda bundle. The cold start reads the function's secrets first (a secret that
 * cannot be read fails the init, so the function never serves without it), then builds the handler once per
 * container from the function's environment: `fromEnvironment` of the function's own handler file, which
 * infra's bundling names (esbuild aliases `tms-lambda-handler` to it, infra/constructs/function.ts). Every
 * log line of an invocation carries its Lambda context. The environment is read here and nowhere else on
 * Lambda; nothing imports this file.
 */
import type { Context } from 'aws-lambda';
import { fromEnvironment } from 'tms-lambda-handler';
import { withLambdaContext } from './logger.js';
import { resolveSecrets } from './secrets.js';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

export const handler = withLambdaContext(
  fromEnvironment(process.env, await resolveSecrets(process.env)) as Handler,
);
