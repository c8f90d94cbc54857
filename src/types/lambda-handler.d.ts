/** The handler a Lambda bundle is built around: the bundler aliases it to the function's handler file. */
declare module 'tms-lambda-handler' {
  export const handler: (...args: never[]) => unknown;
}
