/** The handler file a Lambda bundle is built around: the bundler aliases it to the function's handler file. */
declare module 'tms-lambda-handler' {
  import type { Env } from '../runtime/deps.js';
  import type { Secrets } from '../runtime/secrets.js';
  export const fromEnvironment: (env: Env, secrets: Secrets) => (...args: never[]) => unknown;
}
