import { resolveSecrets } from './secrets.js';

/**
 * The first thing every Lambda bundle runs (infra's house construct puts it ahead of the handler's module):
 * the secrets the function was given by ARN are read before the handler exists, so a function without
 * them fails its init and never serves a request. The local stack never imports this: it sets secrets in
 * the environment directly.
 */
await resolveSecrets();
