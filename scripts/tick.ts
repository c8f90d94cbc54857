/**
 * `npm run tick`: run now, in a running `npm start`, what the per-minute schedule runs on AWS (due schedules,
 * heartbeats, maintenance windows, SLA warnings, digests, the re-drive), so a demo or a try-out need not wait
 * for `TMS_TICK`. It answers once the tick and what it set off are done, and prints what each job did.
 *
 * --url, else TMS_URL, else http://127.0.0.1:$PORT (PORT 3000) says where.
 */
import { parseArgs } from 'node:util';
import { reach, TmsUnreachable } from '../src/local/slack-client.js';

const USAGE = `Usage: npm run tick [-- --url http://127.0.0.1:<port>] [--json]

Run now what the local stack's tick runs (POST /_sandbox/tick), and print what each job did.

Options:
  --url URL   the running npm start (default: TMS_URL, else http://127.0.0.1:$PORT, PORT 3000)
  --json      print the report as JSON
  -h, --help  this text`;

const parse = () =>
  parseArgs({
    options: {
      url: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
let parsed: ReturnType<typeof parse>;
try {
  parsed = parse();
} catch (error) {
  console.error(`${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
const { values } = parsed;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const base = (values.url ?? process.env.TMS_URL ?? `http://127.0.0.1:${process.env.PORT || 3000}`).replace(
  /\/+$/,
  '',
);

interface Ran {
  readonly name: string;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: string;
}

try {
  const response = await reach(`${base}/_sandbox/tick`, { method: 'POST' });
  const text = await response.text();
  if (!response.ok) {
    console.error(`${base} answered ${response.status}: ${text.slice(0, 500)}`);
    process.exit(1);
  }
  const report = JSON.parse(text) as { ran?: Ran[] };
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else
    for (const job of report.ran ?? [])
      console.log(
        `${job.ok ? '✓' : '✗'} ${job.name}${job.ok ? (job.result === undefined ? '' : `: ${JSON.stringify(job.result)}`) : `: ${job.error}`}`,
      );
  process.exit((report.ran ?? []).every((job) => job.ok) ? 0 : 1);
} catch (error) {
  if (error instanceof TmsUnreachable) {
    console.error(`${error.message}: is npm start running? (--url or TMS_URL say where)`);
    process.exit(1);
  }
  throw error;
}
