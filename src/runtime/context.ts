import { DynamoAggregateStore } from '../adapters/dynamo/aggregate-store.js';
import { DynamoCardStore } from '../adapters/dynamo/card-store.js';
import { CachedSilences, DynamoSilenceStore } from '../adapters/dynamo/silence-store.js';
import { TABLE } from '../adapters/dynamo/table.js';
import { createDocumentClient, DynamoTaskStore } from '../adapters/dynamo/task-store.js';
import { loadConfig } from '../config.js';
import type { Config } from '../core/config.js';
import { systemClock } from '../core/time.js';
import { type Deps, defaultDeps } from '../core/use-cases/deps.js';

export { logger } from './logger.js';

let built: (Deps & { config: Config }) | undefined;

/**
 * What every handler needs, built once per container (a Lambda's cold start, or once for the local stack):
 * the config file, the DynamoDB client and store, the clock. The DynamoDB endpoint comes from the SDK's
 * own settings (`AWS_ENDPOINT_URL_DYNAMODB` points it at the local store), so handlers are the same code
 * on AWS and on one machine.
 */
export function context(): Deps {
  if (!built) {
    const config = loadConfig();
    const store = new DynamoTaskStore(createDocumentClient(), process.env.TMS_TABLE || TABLE.defaultName);
    const silences = new CachedSilences(
      new DynamoSilenceStore(createDocumentClient(), process.env.TMS_TABLE || TABLE.defaultName),
    );
    built = { ...defaultDeps(store, config, systemClock), silences };
  }
  return built;
}

let cards: DynamoCardStore | undefined;

/** Where Slack cards and at-most-once markers are kept (the same table). */
export function cardStore(): DynamoCardStore {
  cards ??= new DynamoCardStore(createDocumentClient(), process.env.TMS_TABLE || TABLE.defaultName);
  return cards;
}

let aggregates: DynamoAggregateStore | undefined;

/** The aggregator's counters, statistics and trends (the same table). */
export function aggregateStore(): DynamoAggregateStore {
  aggregates ??= new DynamoAggregateStore(createDocumentClient(), process.env.TMS_TABLE || TABLE.defaultName);
  return aggregates;
}
