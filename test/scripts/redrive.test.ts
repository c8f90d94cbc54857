import { createServer, type Server } from 'node:http';
import { ListMessageMoveTasksCommand, SQSClient, StartMessageMoveTaskCommand } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDRIVE_USAGE, redriveCommand } from '../../scripts/redrive-command.js';
import { type PeekedMessage, queueRoute } from '../../src/local/queue-routes.js';

const DLQ = 'arn:aws:sqs:eu-west-1:123456789012:Tms-IngestDeadLetters';

/** A dead-letter queue in memory that redrives into `source`: what `LocalQueue` does, for the route alone. */
class ListQueue {
  constructor(
    readonly name: string,
    readonly messages: PeekedMessage[] = [],
    readonly source?: ListQueue,
  ) {}
  depth = () => this.messages.length;
  peek = (limit = 10) => this.messages.slice(0, limit);
  redrive = async () => {
    const moved = this.messages.splice(0);
    this.source?.messages.push(...moved);
    return moved.length;
  };
}

const message = (i: number): PeekedMessage => ({
  messageId: `m-${i}`,
  body: '{"v":1}',
  receiveCount: 5,
  sentAt: '2026-03-02T09:00:00.000Z',
  lastError: 'TypeError: boom',
});

describe('npm run redrive against a running stack (a tiny HTTP server with the sandbox queue routes)', () => {
  const ingest = new ListQueue('ingest');
  const ingestDead = new ListQueue('ingest-dead', [], ingest);
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      void queueRoute(req.method ?? 'GET', new URL(req.url ?? '/', 'http://x').pathname, {
        ingest,
        ingestDead,
      }).then((answer) => {
        res.writeHead(answer?.status ?? 404, answer?.headers ?? {});
        res.end(answer?.body ?? '{"error":{"code":"NOT_FOUND"}}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('moves the messages back and says how many went from which queue; --url and TMS_URL say where', async () => {
    ingestDead.messages.push(message(1), message(2), message(3));

    const byFlag = await redriveCommand(['--url', `${url}/`], { TMS_URL: 'http://127.0.0.1:1' });
    const byEnv = await redriveCommand([], { TMS_URL: url });

    expect(byFlag).toEqual({
      lines: [
        'moved 3 messages from ingest-dead back to ingest',
        'the dead-letter queue is empty; the monitor resolves its task at the next tick',
      ],
      code: 0,
    });
    expect(ingest.messages.map((m) => m.messageId)).toEqual(['m-1', 'm-2', 'm-3']);
    expect(byEnv.lines[0]).toBe('moved 0 messages from ingest-dead back to ingest');
  });

  it('GET /_sandbox/queues lists each queue with its depth and the messages it holds', async () => {
    ingest.messages.splice(0);
    ingestDead.messages.push(message(7));

    const listed = (await (await fetch(`${url}/_sandbox/queues`)).json()) as {
      queues: { key: string; name: string; depth: number; messages: PeekedMessage[] }[];
    };

    expect(listed.queues).toEqual([
      { key: 'ingest', name: 'ingest', depth: 0, messages: [] },
      { key: 'ingestDead', name: 'ingest-dead', depth: 1, messages: [message(7)] },
    ]);
    expect((await fetch(`${url}/_sandbox/queues/redrive`)).status).toBe(405);
  });

  it('a TMS that does not answer is named, with how to point the command at one', async () => {
    const run = await redriveCommand([], { PORT: '1' });

    expect(run.code).toBe(1);
    expect(run.error).toContain('No TMS answered at http://127.0.0.1:1/_sandbox/queues/redrive');
    expect(run.error).toContain('--url http://127.0.0.1:<port>');
  });
});

describe('npm run redrive -- --aws (aws-sdk-client-mock)', () => {
  const mocked = () => {
    const client = new SQSClient({ region: 'eu-west-1' });
    return { client, sqs: mockClient(client), regions: [] as string[] };
  };

  it("starts SQS's message move task on the queue, in the ARN's region, back to the source queue", async () => {
    const { client, sqs, regions } = mocked();
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'eyJ0YXNrSWQiOiJ4In0=' });

    const run = await redriveCommand(
      ['--aws', '--queue-arn', DLQ, '--max-per-second', '50'],
      {},
      {
        sqs: (region) => {
          regions.push(region);
          return client;
        },
      },
    );

    expect(run.code).toBe(0);
    expect(regions).toEqual(['eu-west-1']);
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)[0]?.args[0].input).toEqual({
      SourceArn: DLQ,
      MaxNumberOfMessagesPerSecond: 50,
    });
    expect(run.lines).toEqual([
      `started moving the messages of ${DLQ} back to the queue they were dead-lettered from`,
      `task eyJ0YXNrSWQiOiJ4In0=; follow it with npm run redrive -- --aws --status --queue-arn ${DLQ}`,
    ]);
  });

  it('--status lists the move tasks; a refusal is said as what to do', async () => {
    const { client, sqs } = mocked();
    sqs.on(ListMessageMoveTasksCommand).resolves({
      Results: [
        {
          Status: 'COMPLETED',
          SourceArn: DLQ,
          ApproximateNumberOfMessagesMoved: 3,
          ApproximateNumberOfMessagesToMove: 3,
          StartedTimestamp: Date.parse('2026-03-02T09:05:00.000Z'),
        },
      ],
    });
    sqs.on(StartMessageMoveTaskCommand).rejects(
      Object.assign(new Error('Source queue must be configured as a Dead Letter Queue.'), {
        name: 'UnsupportedOperation',
      }),
    );

    const listed = await redriveCommand(['--status', '--queue-arn', DLQ], {}, { sqs: () => client });
    const refused = await redriveCommand(['--aws', '--queue-arn', DLQ], {}, { sqs: () => client });

    expect(listed.lines).toEqual(['2026-03-02T09:05:00.000Z  COMPLETED  3 of 3 moved to its source queue']);
    expect(refused.code).toBe(1);
    expect(refused.error).toContain('Source queue must be configured as a Dead Letter Queue.');
    expect(refused.error).toContain('--destination-arn');
  });

  it.each([
    [['--aws'], '--aws needs --queue-arn'],
    [['--aws', '--queue-arn', 'tms-dlq'], '--queue-arn tms-dlq: not an SQS queue ARN'],
    [
      ['--aws', '--queue-arn', DLQ, '--max-per-second', '0'],
      '--max-per-second 0: a whole number from 1 to 500',
    ],
    [['--aws', '--queue-arn', DLQ, '--destination-arn', 'x'], '--destination-arn x: not an SQS queue ARN'],
    [['--queue'], "Unknown option '--queue'"],
  ])('refuses %j before calling anything, with the usage', async (args, message) => {
    const run = await redriveCommand(
      args,
      {},
      {
        sqs: () => {
          throw new Error('no call expected');
        },
      },
    );

    expect(run.code).toBe(2);
    expect(run.error).toContain(message);
    expect(run.error).toContain('Usage: npm run redrive --');
  });

  it('--help says both ways and the AWS CLI commands', async () => {
    expect(await redriveCommand(['--help'], {})).toEqual({ lines: [REDRIVE_USAGE], code: 0 });
    expect(REDRIVE_USAGE).toContain('aws sqs start-message-move-task --source-arn');
    expect(REDRIVE_USAGE).toContain('aws sqs list-message-move-tasks --source-arn');
  });
});
