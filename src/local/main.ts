import { ConfigError } from '../core/errors.js';
import { formatDuration } from '../core/time.js';
import { DataDirError } from './data-dir.js';
import { DEV_SECRETS, startLocalStack } from './stack.js';

/** A development default is printed so it can be used; a secret someone set is only acknowledged. */
function shown(name: string, value: string): string {
  return isDefault(name, value) ? value : `(set in the environment, ${value.length} characters)`;
}

const isDefault = (name: string, value: string) => value === DEV_SECRETS[name as keyof typeof DEV_SECRETS];

const USAGE = `Usage: [VARIABLE=value …] npm start

TMS on this machine until Ctrl-C: the store (dynalite), the HTTP API, the ingest endpoints and, without a
SLACK_BOT_TOKEN, an offline Slack. Its banner says where everything is. Set in the environment:

  PORT              the port (default 3000; 0 picks a free one)
  TMS_DATA_DIR      a folder that keeps the store and the offline Slack across restarts (default: in memory)
  TMS_CONFIG        the configuration file (default tms.config.yaml)
  TMS_TICK          how often the schedule runs (default 30s); npm run tick runs it now
  TMS_CLOCK         manual: the stack's time moves ahead on POST /_sandbox/clock {"advance":"1d"} (default system)
  SLACK_BOT_TOKEN   a real workspace instead of the offline Slack (with SLACK_SIGNING_SECRET; SLACK_APP_TOKEN
                    for Socket Mode)

The README's "Development secrets and environment" lists them all.`;

/** `npm start`: TMS on this machine, until Ctrl-C. */
async function main(): Promise<void> {
  if (process.argv.slice(2).some((arg) => arg === '--help' || arg === '-h')) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const print = (line: string) => process.stdout.write(`${line}\n`);
  const stack = await startLocalStack({ print });
  // In the hints, a secret set in the environment is named, not shown.
  const s = Object.fromEntries(
    Object.entries(stack.secrets).map(([name, value]) => [name, isDefault(name, value) ? value : `$${name}`]),
  ) as typeof stack.secrets;
  const slack =
    stack.slackMode === 'emulator'
      ? `played locally at ${stack.url}/slack/api/ (read it: ${stack.url}/_sandbox/slack/messages)`
      : stack.slackMode === 'socket'
        ? 'a real workspace over Socket Mode (SLACK_BOT_TOKEN + SLACK_APP_TOKEN)'
        : 'a real workspace (SLACK_BOT_TOKEN); point its request URLs at a tunnel to this address';
  print(
    [
      '',
      `TMS is running at ${stack.url}`,
      '',
      ...(stack.slackMode === 'emulator'
        ? [
            `  start here    ${stack.url}/_sandbox/slack/   the offline Slack: type /tms new …, press its buttons`,
            `  dashboard     GET  ${stack.url}/?token=${s.TMS_API_TOKEN}   tasks live, for a wall screen`,
            '',
          ]
        : [`  dashboard     GET  ${stack.url}/?token=${s.TMS_API_TOKEN}   (open it in a browser)`, '']),
      `  health        GET  ${stack.url}/healthz`,
      `  tasks         GET  ${stack.url}/api/tasks            Authorization: Bearer ${s.TMS_API_TOKEN}`,
      `  alerts        POST ${stack.url}/ingest/generic       PagerDuty Events v2, routing_key ${s.INGEST_TOKEN}`,
      `  sandbox       GET  ${stack.url}/_sandbox/slack/messages · /_sandbox/slack/views · /_sandbox/sns/messages`,
      '',
      `  Slack         ${slack}`,
      `  store         ${stack.dataDir ? `dynalite, kept in ${stack.dataDir}` : 'dynalite in memory (set TMS_DATA_DIR to keep it)'}`,
      `                AWS_ENDPOINT_URL_DYNAMODB=${stack.storeUrl} npm run replay -- --since 1h   (re-drive archived deliveries)`,
      `  schedule      every ${formatDuration(stack.tickMs)} (TMS_TICK)`,
      '',
      '  secrets (development defaults unless set in the environment, which are not printed):',
      ...Object.entries(stack.secrets).map(([name, value]) => `    ${name.padEnd(22)} ${shown(name, value)}`),
      '',
      'Try:',
      `  curl -s -X POST ${stack.url}/ingest/generic -H 'content-type: application/json' \\`,
      `    -d '{"routing_key":"${s.INGEST_TOKEN}","event_action":"trigger","dedup_key":"disk-full-db1","payload":{"summary":"Disk 95% full on db1","source":"db1","severity":"critical","component":"checkout"}}'`,
      `  curl -s ${stack.url}/api/tasks -H 'authorization: Bearer ${s.TMS_API_TOKEN}'`,
      `  curl -s ${stack.url}/api/tasks -H "authorization: Bearer $(npm run -s token -- --role viewer --user U09VIEW)"`,
      ...(stack.slackMode === 'emulator'
        ? [
            `  npm run slack -- "/tms new Disk full on db-1 p2"     # a signed slash command, as Slack sends it`,
            "  npm run slack -- press TMS-1 ack --user U01BBB       # press the card's Acknowledge button",
          ]
        : []),
      '',
      'Ctrl-C stops it.',
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    print(`\n${signal}: stopping TMS…`);
    await stack.close();
    print('stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof DataDirError)
    process.stderr.write(`${error.message}\n`);
  else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    process.stderr.write(
      `Port ${process.env.PORT || 3000} is in use: set PORT to another one (PORT=0 picks a free one).\n`,
    );
  } else process.stderr.write(`TMS could not start: ${(error as Error).message}\n`);
  process.exit(1);
});
