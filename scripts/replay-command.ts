/**
 * `npm run replay -- --since 1h [--source github] [--dry-run] [--dead]`: processes, now, the archived deliveries
 * that were accepted but not processed (a crash, an outage of the store), instead of waiting for the sweeper.
 * `--dead` takes the deliveries given up on after too many attempts too (received since `--since`, all kept
 * ones when it is not given): once their cause is fixed. Idempotent: a delivery is processed once, ever;
 * running it twice changes nothing the second time.
 *
 * It talks to the table the way the handlers do: on AWS with your credentials and TMS_TABLE; against
 * `npm start`, with the store address its banner prints (AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:…).
 */
import { parseArgs } from 'node:util';
import { parseDuration } from '../src/core/time.js';
import { redrive } from '../src/jobs/redrive.js';
import { LOCAL_AWS } from '../src/local/embedded-dynamo.js';
import { buildDeps, type Env } from '../src/runtime/deps.js';

export const REPLAY_USAGE = `Usage: npm run replay -- [--since 1h] [--source github] [--dry-run] [--dead] [--limit 1000] [--endpoint URL]

Processes, now, the archived deliveries that were accepted but not processed (a crash, an outage of the store),
instead of waiting for the sweeper. A delivery is processed once, ever: running it twice changes nothing.

Options:
  --since T       received since a duration ago (30m, 1h, 2d) or an ISO time (default 1h)
  --source S      only this source's deliveries (github, alertmanager, generic, …)
  --dead          also those given up on after too many attempts (all kept ones unless --since is given)
  --dry-run       say what would be processed, process nothing
  --limit N       at most N deliveries (default 1000)
  --endpoint URL  the store to talk to (default: AWS_ENDPOINT_URL_DYNAMODB)
  -h, --help      this text

Which store:
  against npm start   the address its banner prints under "store":
                      AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:<port> npm run replay -- --since 1h
                      (or --endpoint http://127.0.0.1:<port>); the table is TMS_TABLE, default tms
  on AWS              your credentials, AWS_REGION (or a profile with a region) and TMS_TABLE`;

/** What the SDK says when it has neither an endpoint nor a region, said as what to set. */
const NO_STORE =
  'no store to talk to: against npm start, set AWS_ENDPOINT_URL_DYNAMODB to the store address its banner prints (AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:<port> npm run replay -- --since 1h, or --endpoint http://127.0.0.1:<port>); on AWS, AWS_REGION and TMS_TABLE with your credentials. npm run replay -- --help says more.';

function sinceOf(text: string, now: Date): string {
  const ms = parseDuration(text);
  if (ms !== undefined) return new Date(now.getTime() - ms).toISOString();
  const at = new Date(text);
  if (Number.isNaN(at.getTime()))
    throw new Error(`--since ${text}: give a duration such as 30m, 1h, 2d, or an ISO time`);
  return at.toISOString();
}

/** The command with its arguments and environment: what it prints, the error it ends with if any, its exit code. */
export async function replayCommand(
  args: readonly string[],
  env: Env,
): Promise<{ lines: string[]; error?: string; code: number }> {
  const lines: string[] = [];
  let endpoint = '';
  try {
    const { values } = parseArgs({
      args: [...args],
      options: {
        since: { type: 'string' },
        dead: { type: 'boolean', default: false },
        source: { type: 'string' },
        limit: { type: 'string', default: '1000' },
        'dry-run': { type: 'boolean', default: false },
        endpoint: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (values.help) return { lines: [REPLAY_USAGE], code: 0 };
    endpoint = values.endpoint ?? env.AWS_ENDPOINT_URL_DYNAMODB ?? '';
    if (!endpoint && !env.AWS_REGION && !env.AWS_DEFAULT_REGION && !env.AWS_PROFILE)
      return { lines, error: `replay: ${NO_STORE}`, code: 1 };
    const local = /^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(endpoint);
    // dynalite takes any credentials; the SDK wants some.
    const deps = buildDeps(
      env,
      local
        ? {
            dynamo: { ...LOCAL_AWS, endpoint, region: env.AWS_REGION || LOCAL_AWS.region },
          }
        : endpoint
          ? { dynamo: { endpoint } }
          : {},
    );
    const now = deps.clock.now();
    const dead = values.dead as boolean;
    // Dead deliveries are kept as long as the archive (7 days): all of them unless a time is given.
    const since = values.since || !dead ? sinceOf(values.since ?? '1h', now) : undefined;
    const report = await redrive(deps, now, {
      ...(since ? { since } : {}),
      dead,
      // No grace time: a delivery its own request still holds is held by a lease, which the replay respects.
      graceMs: 0,
      limit: Number(values.limit),
      ...(values.source ? { source: values.source } : {}),
      dryRun: values['dry-run'] as boolean,
    });
    for (const d of report.processed)
      lines.push(`${d.receivedAt}  ${d.source.padEnd(12)} ${d.deliveryId}  ${d.taskIds.join(', ') || '-'}`);
    const what = values['dry-run'] ? 'would process' : 'processed';
    lines.push(
      `${what} ${report.processed.length} archived deliver${report.processed.length === 1 ? 'y' : 'ies'}${since ? ` received since ${since}` : ''}${values.source ? ` from ${values.source}` : ''}${report.failed ? `; ${report.failed} failed and stay pending` : ''}${report.dead.length ? ` (${report.dead.length} of them moved aside as dead)` : ''}`,
    );
    return { lines, code: report.failed > 0 ? 1 : 0 };
  } catch (error) {
    return { lines, error: `replay: ${explain(error, endpoint)}`, code: 1 };
  }
}

/** The SDK's failures that only a person can fix, said as what to do; any other as it is. */
function explain(error: unknown, endpoint: string): string {
  const message = (error as Error).message;
  if (/Region is missing/i.test(message)) return NO_STORE;
  const code = (error as { code?: string; cause?: { code?: string } }).code;
  if (endpoint && /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH/.test(`${code} ${message}`))
    return `no store answered at ${endpoint} (${code ?? message}): is npm start running? Its banner prints the store's address under "store".`;
  return message;
}
