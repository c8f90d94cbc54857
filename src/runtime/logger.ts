import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';

/**
 * The one logger of TMS: JSON lines through Powertools (level from POWERTOOLS_LOG_LEVEL). A module of its
 * own so that what logs (a source, the pipeline, a listener) does not import the composition root and, with
 * it, every DynamoDB adapter and the config loader.
 */
export const logger = new Logger({ serviceName: 'tms' });

/**
 * A Lambda handler whose every log line carries its invocation: request id, cold start, function name,
 * ARN, version and memory (Powertools' `addContext`). Keys a handler appended with `logger.appendKeys` are
 * dropped when the invocation ends, so none leaks into the next one the container serves. What Powertools'
 * `injectLambdaContext` decorator does, for a plain function, less its per-invocation debug sampling: TMS
 * sets no POWERTOOLS_LOGGER_SAMPLE_RATE.
 */
export function withLambdaContext<E, R>(
  handler: (event: E, context: Context) => Promise<R>,
): (event: E, context: Context) => Promise<R> {
  return async (event, context) => {
    // Local callers (tests, the local stack) may pass no context: the lines then say nothing of one.
    if (context) logger.addContext(context);
    try {
      return await handler(event, context);
    } finally {
      logger.resetKeys();
    }
  };
}
