import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one logger of TMS: JSON lines through Powertools (level from POWERTOOLS_LOG_LEVEL). A module of its
 * own so that what logs (a source, the pipeline, a listener) does not import the composition root and, with
 * it, every DynamoDB adapter and the config loader.
 */
export const logger = new Logger({ serviceName: 'tms' });
