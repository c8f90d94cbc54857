/**
 * Bolt's classes, from their own files rather than the package's index: the index also loads every receiver
 * TMS does not use (Express's, with express, its router and mime-db: some 320 KB and 20 ms of a cold
 * start). App itself still brings its HTTP and Socket Mode receivers. The types stay the package's own.
 * Bolt 5 has no `exports` map, so these paths are its published files; test/bot/cold-start.test.ts fails
 * if an upgrade moves them, or if the index comes back into the bot's bundle.
 */
import type * as Bolt from '@slack/bolt';
import appModule from '@slack/bolt/dist/App.js';
import receiverModule from '@slack/bolt/dist/receivers/AwsLambdaReceiver.js';

export { isValidSlackRequest } from '@slack/bolt/dist/receivers/verify-request.js';
export { LogLevel } from '@slack/web-api';

/**
 * A CommonJS file's `exports.default`: Node hands an ES module the whole `module.exports` (so does esbuild's
 * bundle), a loader that honours `__esModule` (tsx, vitest) hands it the default itself.
 */
const defaultOf = <T>(loaded: T | { readonly default: T }): T =>
  typeof loaded === 'function' ? loaded : (loaded as { readonly default: T }).default;

export const App: typeof Bolt.App = defaultOf<typeof Bolt.App>(appModule);
export const AwsLambdaReceiver: typeof Bolt.AwsLambdaReceiver =
  defaultOf<typeof Bolt.AwsLambdaReceiver>(receiverModule);
