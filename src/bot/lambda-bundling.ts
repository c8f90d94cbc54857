/**
 * How the bot Lambda is bundled beyond ESM, minified, node22 and the createRequire banner, for infra's bundling
 * (infra/constructs/function.ts, where splitting and ES builds first are every function's), bench/slack.ts and
 * test/bot/cold-start.test.ts alike: code splitting (esbuild's
 * `outdir`, not `outfile`), so what a dynamic `import()` loads is a chunk of its own that a cold start does
 * not read; packages' ES builds first (the AWS SDK's dist-es is a file per command and shakes off what is
 * not called; its dist-cjs is one file of every command); and the packages Bolt's App brings for the
 * receivers the Lambda never makes (Socket Mode's client with undici, raw-body with iconv-lite, OAuth with
 * jsonwebtoken) replaced by ./lambda-stubs, each of which throws if it is ever reached. Paths are from the
 * repository root.
 */
export const BOT_LAMBDA_BUNDLING = {
  splitting: true,
  mainFields: ['module', 'main'],
  alias: {
    '@slack/socket-mode': './src/bot/lambda-stubs/socket-mode.ts',
    'raw-body': './src/bot/lambda-stubs/raw-body.ts',
    '@slack/oauth': './src/bot/lambda-stubs/oauth.ts',
  },
} as const;
