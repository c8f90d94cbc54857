/**
 * `npm run redrive`: moves what a dead-letter queue holds back to the queue it came from, once the cause is
 * fixed. Against `npm start` it asks the running stack (`POST /_sandbox/queues/redrive`); with `--aws` it starts
 * SQS's message move task on a deployed stack's queue (`--status` lists them). Nothing is deleted: a message
 * that fails again goes back to the dead-letter queue, and the monitor's task says so.
 */
import { parseArgs } from 'node:util';
import { ListMessageMoveTasksCommand, SQSClient, StartMessageMoveTaskCommand } from '@aws-sdk/client-sqs';
import { reach, TmsUnreachable } from '../src/local/slack-client.js';
import type { Env } from '../src/runtime/deps.js';

export const REDRIVE_USAGE = `Usage: npm run redrive -- [--url http://127.0.0.1:<port>]
       npm run redrive -- --aws --queue-arn <dead-letter queue ARN> [--destination-arn <queue ARN>] [--max-per-second N]
       npm run redrive -- --aws --status --queue-arn <dead-letter queue ARN>

Moves what a dead-letter queue holds back to the queue it came from, once the cause is fixed (the dead-letter
monitor's task says which queue and what failed). Nothing is deleted: what fails again is dead-lettered again.

  npm run redrive                       the ingest dead-letter queue of a running npm start, back to the ingest queue
  npm run redrive -- --aws --queue-arn arn:aws:sqs:eu-west-1:123456789012:Tms-IngestDeadLetters…
                                        a deployed stack: starts SQS's message move task, back to the source queue
  npm run redrive -- --aws --status --queue-arn <arn>
                                        how the queue's move tasks went (the latest first)

Options:
  --url URL              the TMS to talk to (default: TMS_URL, else http://127.0.0.1:$PORT, PORT 3000)
  --aws                  a deployed stack, with your AWS credentials (the region is the queue ARN's)
  --queue-arn ARN        the dead-letter queue to redrive (the monitor's task names it)
  --destination-arn ARN  where to move the messages (default: the queue they were dead-lettered from)
  --max-per-second N     at most N messages a second (default: as fast as SQS moves them)
  --status               list the queue's message move tasks instead of starting one
  -h, --help             this text

With the AWS CLI the same is:
  aws sqs start-message-move-task --source-arn <dead-letter queue ARN> [--destination-arn <queue ARN>]
  aws sqs list-message-move-tasks --source-arn <dead-letter queue ARN>`;

/** `arn:aws:sqs:<region>:<account>:<name>` (also the aws-cn and aws-us-gov partitions). */
const QUEUE_ARN = /^arn:aws(?:-cn|-us-gov)?:sqs:([a-z]{2}(?:-[a-z]+)+-\d):\d{12}:[A-Za-z0-9_-]{1,80}$/;

type Outcome = { lines: string[]; error?: string; code: number };

/** The command with its arguments and environment: what it prints, the error it ends with if any, its exit code. */
export async function redriveCommand(
  args: readonly string[],
  env: Env,
  options: { sqs?: (region: string) => SQSClient } = {},
): Promise<Outcome> {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(args).values;
  } catch (error) {
    return { lines: [], error: `redrive: ${(error as Error).message}\n\n${REDRIVE_USAGE}`, code: 2 };
  }
  if (values.help) return { lines: [REDRIVE_USAGE], code: 0 };
  const aws = values.aws || values['queue-arn'] !== undefined || values.status;
  if (!aws) return local(values.url ?? env.TMS_URL ?? `http://127.0.0.1:${env.PORT || 3000}`);
  const arn = values['queue-arn'];
  if (!arn) return usage('--aws needs --queue-arn <the dead-letter queue ARN>');
  const region = QUEUE_ARN.exec(arn)?.[1];
  if (!region)
    return usage(`--queue-arn ${arn}: not an SQS queue ARN such as arn:aws:sqs:eu-west-1:123456789012:name`);
  const destination = values['destination-arn'];
  if (destination !== undefined && !QUEUE_ARN.test(destination))
    return usage(`--destination-arn ${destination}: not an SQS queue ARN`);
  const rate = values['max-per-second'];
  const perSecond = rate === undefined ? undefined : Number(rate);
  if (perSecond !== undefined && !(Number.isInteger(perSecond) && perSecond >= 1 && perSecond <= 500))
    return usage(`--max-per-second ${rate}: a whole number from 1 to 500`);
  const sqs = options.sqs?.(region) ?? new SQSClient({ region });
  try {
    return values.status ? await status(sqs, arn) : await start(sqs, arn, destination, perSecond);
  } catch (error) {
    return { lines: [], error: `redrive: ${explain(error, arn)}`, code: 1 };
  }
}

const parse = (args: readonly string[]) =>
  parseArgs({
    args: [...args],
    options: {
      url: { type: 'string' },
      aws: { type: 'boolean', default: false },
      'queue-arn': { type: 'string' },
      'destination-arn': { type: 'string' },
      'max-per-second': { type: 'string' },
      status: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });

const usage = (message: string): Outcome => ({
  lines: [],
  error: `redrive: ${message}\n\n${REDRIVE_USAGE}`,
  code: 2,
});

const messages = (n: number) => `${n} message${n === 1 ? '' : 's'}`;

interface LocalAnswer {
  readonly redriven: readonly { queue: string; to: string; messages: number }[];
  readonly left: number;
}

async function local(url: string): Promise<Outcome> {
  const base = url.replace(/\/+$/, '');
  const target = `${base}/_sandbox/queues/redrive`;
  let response: Response;
  try {
    response = await reach(target, { method: 'POST' });
  } catch (error) {
    if (!(error instanceof TmsUnreachable)) throw error;
    return {
      lines: [],
      error: [
        `redrive: ${error.message}: is npm start running, and on which port? Its banner says "TMS is running at http://127.0.0.1:<port>".`,
        'Point npm run redrive at it with --url http://127.0.0.1:<port>, or TMS_URL=http://127.0.0.1:<port> (or PORT=<port>) in the environment; for a deployed stack, --aws --queue-arn <arn>.',
      ].join('\n'),
      code: 1,
    };
  }
  const body = await response.text();
  if (response.status === 404)
    return {
      lines: [],
      error: `redrive: ${target} → 404: this TMS has no local queues to redrive (is it older than the ingest queue?)`,
      code: 1,
    };
  if (response.status !== 200)
    return { lines: [], error: `redrive: ${target} → ${response.status} ${body.slice(0, 500)}`, code: 1 };
  const answer = JSON.parse(body) as LocalAnswer;
  const lines = answer.redriven.map((r) => `moved ${messages(r.messages)} from ${r.queue} back to ${r.to}`);
  lines.push(
    answer.left === 0
      ? 'the dead-letter queue is empty; the monitor resolves its task at the next tick'
      : `${messages(answer.left)} still in the dead-letter queue (dead-lettered again meanwhile?)`,
  );
  return { lines, code: 0 };
}

async function start(
  sqs: SQSClient,
  arn: string,
  destination: string | undefined,
  perSecond: number | undefined,
): Promise<Outcome> {
  const { TaskHandle } = await sqs.send(
    new StartMessageMoveTaskCommand({
      SourceArn: arn,
      ...(destination ? { DestinationArn: destination } : {}),
      ...(perSecond ? { MaxNumberOfMessagesPerSecond: perSecond } : {}),
    }),
  );
  return {
    lines: [
      `started moving the messages of ${arn} back to ${destination ?? 'the queue they were dead-lettered from'}`,
      `task ${TaskHandle ?? '(no handle)'}; follow it with npm run redrive -- --aws --status --queue-arn ${arn}`,
    ],
    code: 0,
  };
}

async function status(sqs: SQSClient, arn: string): Promise<Outcome> {
  const { Results: tasks = [] } = await sqs.send(
    new ListMessageMoveTasksCommand({ SourceArn: arn, MaxResults: 10 }),
  );
  if (tasks.length === 0) return { lines: [`no message move tasks for ${arn}`], code: 0 };
  const lines = tasks.map((t) => {
    const started = t.StartedTimestamp ? new Date(t.StartedTimestamp).toISOString() : 'not started';
    const moved = `${t.ApproximateNumberOfMessagesMoved ?? 0}${t.ApproximateNumberOfMessagesToMove !== undefined ? ` of ${t.ApproximateNumberOfMessagesToMove}` : ''} moved`;
    const to = t.DestinationArn ?? 'its source queue';
    return `${started}  ${(t.Status ?? '?').padEnd(10)} ${moved} to ${to}${t.FailureReason ? `: ${t.FailureReason}` : ''}`;
  });
  return { lines, code: 0 };
}

/** SQS's refusals that only a person can fix, said as what to do; any other as it is. */
function explain(error: unknown, arn: string): string {
  const name = (error as { name?: string }).name ?? 'Error';
  const message = (error as Error).message;
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message))
    return 'no AWS credentials: run it with a profile (AWS_PROFILE=…) or credentials that may use the queue';
  if (name === 'ResourceNotFoundException' || name === 'QueueDoesNotExist')
    return `there is no queue ${arn} (the monitor's task names the queue ARN; so does the stack's output)`;
  if (name === 'UnsupportedOperation')
    return `${message} — SQS moves messages back only from a queue that is another queue's dead-letter queue; for a Lambda failure queue, give --destination-arn or follow the task's own instructions`;
  return `${name}: ${message}`;
}
