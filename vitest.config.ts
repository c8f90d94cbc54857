import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // One DynamoDB Local for the run when Java is here: the store's suites run on it as well as on dynalite.
    globalSetup: ['test/global-setup.ts'],
    // Lambda runs Node 22; Node 20 here is known and documented, so the SDK's upgrade notice is noise in test output.
    // Handlers log JSON through Powertools; tests assert on behaviour, so the logs stay quiet.
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
    },
    // Vitest's default in a run is one worker fewer than the cores: on this 2-core machine one, so every file
    // ran after the other while the second core idled. One worker per core instead. Not more: what files
    // wait on is mostly work elsewhere (a child `npm start`, dynalite, DynamoDB Local), and a few tests hold
    // the card's edit rate to about one a second, which an oversubscribed machine does not keep.
    // `--maxWorkers` on the command line still wins.
    maxWorkers: '100%',
    // A worker loads the modules once for all the files it runs, instead of once per file: a third of the
    // run's time on this machine was loading the same modules again. Safe because nothing in src keeps
    // state between stacks (no singletons, no process.env writes: each stack builds its own deps), and each
    // file restores what it patches (mocks, timers, the log level); runs with `--sequence.shuffle.files` prove it.
    isolate: false,
    // Property runs and dynalite-backed suites do real work; none of them measures time.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
