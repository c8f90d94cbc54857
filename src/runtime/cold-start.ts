import { resolveSecrets } from './secrets.js';

/**
 * The first thing every Lambda bundle runs (./lambda-entry.ts imports it ahead of the handler):
 * the secrets the function was given by ARN are read before the handler exists, so a function without
 * them fails its init and never serves a request. The local stack never imports this: it sets secrets in
 * the environment directly.
 */
await resolveSecrets();
