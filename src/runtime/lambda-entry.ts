/**
 * The entry of every TMS Lambda bundle: the cold start first (the function's secrets are read before anything
 * serves), then the handler, which infra's bundling names: esbuild aliases `tms-lambda-handler` to the
 * function's own handler file (infra/constructs/function.ts). Nothing else imports this.
 */
import './cold-start.js';

export { handler } from 'tms-lambda-handler';
