import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { HANDLING_LEASE_MS } from '../bot/app.js';
import { loadConfig } from '../config.js';
import { type Clock, parseDuration, systemClock } from '../core/time.js';
import { makeApiHandler } from '../handlers/api.js';
import { type BotHandler, makeBotHandler } from '../handlers/bot.js';
import { makeDeadLetterHandler } from '../handlers/dead-letters.js';
import { makeEscalationStepHandler } from '../handlers/escalation-step.js';
import { makeIngestHandler } from '../handlers/ingest.js';
import { makeIngestProcessor } from '../handlers/ingest-processor.js';
import { makeLiveHandler } from '../handlers/live.js';
import { streamConsumers } from '../handlers/stream-consumers.js';
import { makeSweeperHandler } from '../handlers/sweeper.js';
import { MAX_RECEIVES, QUEUE_LEASE_MS, REDELIVERED_AFTER_MS } from '../ingest/queue.js';
import { redrive } from '../jobs/redrive.js';
import { matchRoute } from '../routes.js';
import { buildDeps, slackSettingsOf } from '../runtime/deps.js';
import type { FactMetrics } from '../runtime/metrics.js';
import { secretsOf } from '../runtime/secrets.js';
import { type SlackHouseDeps, withSlack } from '../runtime/slack-deps.js';
import { buildWebAssets, WEB_ENTRIES } from '../web/build.js';
import { LOCAL_AWS, startEmbeddedDynamo } from './embedded-dynamo.js';
import { LocalEscalations, type WaitState } from './escalations.js';
import {
  Admission,
  invoke,
  isLocalHost,
  type LocalHandlers,
  laneOf,
  overloaded,
  type WireRequest,
  type WireResponse,
} from './gateway.js';
import { LIVE_PATH, LiveServer } from './live-server.js';
import { LocalQueue, localAlertQueue } from './local-queue.js';
import { localDeadLetterQueues, queueRoute } from './queue-routes.js';
import { ShiftableClock } from './shiftable-clock.js';
import { BOT, Fault, type ResponseTarget, SlackEmulator } from './slack-emulator.js';
import { SlackJournal } from './slack-journal.js';
import { slackPage } from './slack-page.js';
import { SnsEmulator } from './sns-emulator.js';
import { StreamDispatcher } from './stream-dispatcher.js';
import { StreamFeed } from './stream-feed.js';
import { renderMessage, renderSns } from './terminal.js';

/** The fixed development secrets of the local stack; any can be overridden by the environment. */
export const DEV_SECRETS = {
  SLACK_SIGNING_SECRET: 'local-slack-signing-secret',
  SLACK_BOT_TOKEN: 'xoxb-tms-local-bot-token',
  GITHUB_WEBHOOK_SECRET: 'local-github-webhook-secret',
  INGEST_TOKEN: 'local-ingest-token',
  TMS_API_TOKEN: 'local-api-token',
  /** Signs schedules' webhooks (`X-TMS-Signature-256`); a receiver checks it with the same value. */
  TMS_WEBHOOK_SECRET: 'local-webhook-signing-secret',
  /** Signs the local API's JWTs (`npm run token`); not used on AWS, where Cognito signs them. */
  TMS_JWT_SECRET: 'local-jwt-secret-for-hs256-tokens',
} as const;

const LOCAL_REGION = 'local';
const NO_METRICS: FactMetrics = {
  addDimensions: () => {},
  addMetric: () => {},
  publishStoredMetrics: () => {},
};
const TOPIC_ARN = `arn:aws:sns:${LOCAL_REGION}:000000000000:tms-notifications`;
/**
 * The local ingest queue's visibility timeout. On AWS it is sized to the processor's Lambda timeout; here the
 * processor runs in this process and a message is never handed out twice at once, so it only says how soon a
 * failed message is tried again: soon, as a sender sees its effects within seconds, yet its receives span more
 * than CLAIM_STALE_MS (10 s), so a fingerprint claim a killed process left is stale before the last one.
 */
const LOCAL_VISIBILITY_TIMEOUT_MS = 5_000;
/** API Gateway's own limit on a request body. */
const MAX_BODY = 10 * 1024 * 1024;

export interface LocalStackOptions {
  /** Where the stack reads its settings (PORT, TMS_*, secrets); defaults to process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Lines for the terminal: what Slack was told, ticks, faults. */
  readonly print?: (line: string) => void;
  /** The stack's clock (the handlers', the jobs' and the Slack emulator's); the system clock by default. */
  readonly clock?: Clock;
  /** How the handlers wait (a Retry-After, card pacing, backoff): a test may pass time on its clock instead. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Tests: the ingest queue's visibility timeout (how soon a failed message is received again); 5 s by default. */
  readonly queueVisibilityTimeoutMs?: number;
  /** Tests: milliseconds the escalation state machine's Wait states wait instead of their seconds. */
  readonly escalationWaits?: Partial<Record<WaitState, number>>;
  /** Tests: milliseconds the escalation state machine waits before retrying a failed step. */
  readonly escalationRetryMs?: number;
}

export interface LocalStack {
  readonly url: string;
  readonly secrets: Record<keyof typeof DEV_SECRETS, string>;
  /** `emulator` offline; `real` when SLACK_BOT_TOKEN is set (`socket` with SLACK_APP_TOKEN too). */
  readonly slackMode: 'emulator' | 'real' | 'socket';
  readonly tickMs: number;
  readonly dataDir: string | undefined;
  /** The store's address as the handlers reach it (through the stream feed), for tools such as `npm run replay`. */
  readonly storeUrl: string;
  /** dynalite itself, behind the feed: a write sent here makes no stream record (tests stage a lost one so). */
  readonly unstreamedStoreUrl: string;
  /** Runs what the schedule runs, now (waiting for a tick under way first): `POST /_sandbox/tick`. */
  tick(): Promise<unknown>;
  readonly slack: SlackEmulator;
  readonly sns: SnsEmulator;
  readonly feed: StreamFeed;
  readonly dispatcher: StreamDispatcher;
  /** Requests in flight by lane, the most seen at once, and how many were shed (answered 503). */
  readonly admission: Admission;
  /** What the handlers of this stack run on: its store, its clock, its Slack client. */
  readonly deps: SlackHouseDeps;
  /**
   * The ingest queue its processor is fed from, and its dead-letter queue (kept in TMS_DATA_DIR: what SQS gave
   * up on survives a restart; the ingest queue's own messages are not kept, as its deliveries are archived and a
   * restart sends again what the previous run left unprocessed).
   */
  readonly queues: { readonly ingest: LocalQueue; readonly ingestDead: LocalQueue };
  /** The escalation state machine's executions, run in-process from the definition the CDK app deploys. */
  readonly escalations: LocalEscalations;
  /** Resolves once what the stack does after answering (the queues, stream consumers, handed-off jobs) is done. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * TMS on one machine: dynalite behind a stream feed, the Slack Web API and SNS played locally, and one
 * HTTP server that hands each request, as the API Gateway event AWS would deliver, to the very Lambda
 * handler infra deploys. A timer runs what the per-minute schedule runs on AWS.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const env = options.env ?? process.env;
  const print = options.print ?? (() => {});
  if (env.TMS_CLOCK && env.TMS_CLOCK !== 'manual' && env.TMS_CLOCK !== 'system')
    throw new Error(`TMS_CLOCK is "${env.TMS_CLOCK}": say manual (moved by POST /_sandbox/clock) or system`);
  const shiftable = !options.clock && env.TMS_CLOCK === 'manual' ? new ShiftableClock() : undefined;
  const clock = options.clock ?? shiftable ?? systemClock;
  const config = loadConfig(env); // a bad config stops the start with the key and its line
  const tickMs = parseDuration(env.TMS_TICK || '30s');
  if (tickMs === undefined)
    throw new Error(`TMS_TICK is "${env.TMS_TICK}", not a duration such as 2s or 30s`);
  const port = env.PORT === undefined || env.PORT === '' ? 3000 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`PORT is "${env.PORT}", not a port number`);

  const slackMode = env.SLACK_BOT_TOKEN ? (env.SLACK_APP_TOKEN ? 'socket' : 'real') : 'emulator';
  if (slackMode !== 'emulator' && !env.SLACK_SIGNING_SECRET)
    throw new Error(
      'SLACK_BOT_TOKEN is set, so TMS talks to a real workspace: set SLACK_SIGNING_SECRET too (the development default would let anyone sign requests)',
    );
  const secrets = Object.fromEntries(
    Object.entries(DEV_SECRETS).map(([name, fallback]) => [name, env[name] || fallback]),
  ) as LocalStack['secrets'];

  const dataDir = env.TMS_DATA_DIR || undefined;
  const dynamo = await startEmbeddedDynamo({
    ...(dataDir ? { path: dataDir } : {}),
    tableName: env.TMS_TABLE || 'tms',
    acceptDamage: env.TMS_ACCEPT_DAMAGED_STORE === '1' || env.TMS_ACCEPT_DAMAGED_STORE === 'true',
    warn: print,
  });
  const feed = new StreamFeed(dynamo.endpoint, LOCAL_REGION);
  const feedUrl = await feed.listen();
  let baseUrl = '';
  // Built once the server listens (their endpoints are its address), before any request is read.
  let handlers!: LocalHandlers;
  let dispatcher!: StreamDispatcher;
  const slack = new SlackEmulator({
    token: secrets.SLACK_BOT_TOKEN,
    sandbox: config.sandbox,
    baseUrl: () => baseUrl,
    now: () => clock.now().getTime(),
    // Kept with the store: a restart finds the cards the store says were posted.
    ...(dataDir && slackMode === 'emulator' ? { journal: new SlackJournal(dataDir) } : {}),
    onChange: (kind, entry) => {
      if ('edits' in entry) print(renderMessage(kind, entry));
    },
  });
  if (slack.unreadableOnStart > 0)
    print(
      `slack: ${slack.unreadableOnStart} unreadable record(s) of the offline Slack in ${dataDir} skipped (a write cut short)`,
    );
  const sns = new SnsEmulator(TOPIC_ARN, (message) => print(renderSns(message)));
  // The offline Slack as a web page, built now (in memory, a fraction of a second) and served from the start.
  const page =
    slackMode === 'emulator'
      ? slackPage({
          slack,
          config,
          baseUrl: () => baseUrl,
          signingSecret: secrets.SLACK_SIGNING_SECRET,
          print,
        })
      : undefined;

  const startedAt = clock.now();
  let recovering: Promise<void> = Promise.resolve();
  let ticking: Promise<unknown> | undefined;
  /** One run of the sweeper; never two at once, as the schedule's single target is not. */
  async function tick(): Promise<unknown> {
    await recovering;
    while (ticking) await ticking.catch(() => {});
    const event = {
      source: 'aws.scheduler',
      'detail-type': 'Scheduled Event' as const,
      time: clock.now().toISOString(),
    };
    ticking = sweeper(event)
      .then(async (report) => {
        // The dead-letter monitor's schedule (every 5 minutes on AWS) is the tick here.
        await deadLetters(event).catch((error: Error) => print(`dead-letter monitor: ${error.message}`));
        return report;
      })
      .catch((error: Error) => {
        print(`tick failed: ${error.message}`);
        return { error: error.message };
      })
      .finally(() => {
        ticking = undefined;
      });
    return ticking;
  }

  const admission = new Admission({
    senders: bound(env.TMS_MAX_IN_FLIGHT, 32, 'TMS_MAX_IN_FLIGHT'),
    slack: bound(env.TMS_MAX_SLACK_IN_FLIGHT, 16, 'TMS_MAX_SLACK_IN_FLIGHT'),
  });
  const server = createServer((req, res) => {
    const lane = laneOf(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    if (!admission.enter(lane)) {
      // Answered before the body is read; the connection is closed so what is left of the body is not kept.
      const answer = overloaded(lane, admission.limits[lane as 'slack' | 'senders']);
      res.setHeader('connection', 'close');
      send(res, answer);
      req.resume();
      return;
    }
    // The place is held until the work is done, not until the client goes: a sender that gives up and
    // retries must not have its first request's work keep running outside the bound.
    serve(req, res)
      .catch((error: Error) => {
        print(`local gateway: ${error.message}`);
        if (!res.headersSent)
          send(res, json(500, { error: { code: 'INTERNAL', message: 'The local gateway failed' } }));
      })
      .finally(() => admission.leave(lane));
  });
  // The WebSocket API (`/api/live`) on the same server, as the dashboard finds it: the same handlers as on AWS.
  const live = new LiveServer({ origin: () => baseUrl, print });
  server.on('upgrade', (req, socket, head) => live.upgrade(req, socket, head));

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!isLocalHost(req.headers.host, baseUrl))
      return send(
        res,
        json(421, {
          error: { code: 'MISDIRECTED', message: `This TMS answers as ${new URL(baseUrl).host} only` },
        }),
      );
    const url = new URL(req.url ?? '/', baseUrl);
    // A web page open in a browser on this machine could otherwise post to it (the development secrets
    // are public): browsers name the page's origin, webhooks and curl send none.
    const origin = req.headers.origin;
    if (origin && origin !== baseUrl && req.method !== 'GET' && req.method !== 'HEAD')
      return send(
        res,
        json(403, {
          error: { code: 'FORBIDDEN', message: `Requests from web pages (${origin}) are not accepted` },
        }),
      );
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY)
      return send(
        res,
        json(413, { error: { code: 'TOO_LARGE', message: 'A request body is at most 10 MB' } }),
      );
    const body = await readBody(req);
    if (body === undefined)
      return send(
        res,
        json(413, { error: { code: 'TOO_LARGE', message: 'A request body is at most 10 MB' } }),
      );
    const request: WireRequest = {
      method: req.method ?? 'GET',
      url,
      headers: req.headers,
      body,
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
    };
    return send(res, await route(request));
  }

  async function route(request: WireRequest): Promise<WireResponse> {
    const { method, url } = request;
    const path = url.pathname;
    const api = /^\/slack\/api\/([\w.]+)$/.exec(path);
    if (api && method === 'POST') {
      const answer = slack.call(api[1] ?? '', slackParams(request), header(request, 'authorization'));
      return {
        status: answer.status,
        headers: { 'content-type': 'application/json; charset=utf-8', ...answer.headers },
        body: Buffer.from(JSON.stringify(answer.body)),
      };
    }
    if (path.startsWith('/slack/hooks/') && method === 'POST') {
      const answer = slack.respond(url.toString(), slackParams(request));
      return json(answer.status, answer.body);
    }
    if ((path === '/_aws/sns' || path === '/_aws/sns/') && method === 'POST') {
      const answer = sns.handle(
        new URLSearchParams(request.body.toString('utf8')),
        header(request, 'authorization'),
      );
      return {
        status: answer.status,
        headers: { 'content-type': 'text/xml' },
        body: Buffer.from(answer.body),
      };
    }
    if (path === '/_sandbox/slack/messages' && method === 'GET') {
      return json(200, { messages: slack.messages(url.searchParams.get('channel') ?? undefined) });
    }
    if (path === '/_sandbox/slack/views' && method === 'GET') return json(200, { views: slack.views() });
    if (path === '/_sandbox/slack/faults' && method === 'POST') {
      let input: unknown;
      try {
        input = JSON.parse(request.body.toString('utf8'));
      } catch {
        return json(400, { error: { code: 'INVALID_INPUT', message: 'The body is not JSON' } });
      }
      const fault = Fault.safeParse(input);
      if (!fault.success) {
        const message = fault.error.issues
          .map((i) => `${i.path.join('.') || 'fault'}: ${i.message}`)
          .join('; ');
        return json(400, { error: { code: 'INVALID_INPUT', message } });
      }
      slack.addFault(fault.data);
      print(
        `sandbox: the next ${fault.data.count} ${fault.data.method} call(s) fail with ${fault.data.error}`,
      );
      return json(200, { ok: true, fault: fault.data });
    }
    if (path === '/_sandbox/sns/messages' && method === 'GET') return json(200, { messages: sns.messages() });
    if (path === '/_sandbox/escalations' && method === 'GET')
      return json(200, { executions: escalations.executions() });
    const paged = await page?.route(request);
    if (paged) return paged;
    const queued = await queueRoute(method, path, { ingest: ingestQueue, ingestDead });
    if (queued) return queued;
    if (path === '/_sandbox/clock' && method === 'GET')
      return json(200, { now: clock.now().toISOString(), manual: shiftable !== undefined });
    if (path === '/_sandbox/clock' && method === 'POST') {
      if (!shiftable)
        return json(409, {
          error: {
            code: 'CLOCK_NOT_MANUAL',
            message: 'This stack runs on the system clock: start it with TMS_CLOCK=manual to move its time',
          },
        });
      let advance: unknown;
      try {
        advance = (JSON.parse(request.body.toString('utf8')) as { advance?: unknown }).advance;
      } catch {
        return json(400, { error: { code: 'INVALID_INPUT', message: 'The body is not JSON' } });
      }
      const ms = typeof advance === 'string' ? parseDuration(advance) : undefined;
      if (ms === undefined)
        return json(400, {
          error: {
            code: 'INVALID_INPUT',
            message: 'Say how far to move the clock: {"advance":"90m"} (s, m, h, d, w)',
          },
        });
      try {
        shiftable.advance(ms);
      } catch (error) {
        return json(400, { error: { code: 'INVALID_INPUT', message: `${(error as Error).message}` } });
      }
      print(`clock: moved ${advance} ahead, to ${clock.now().toISOString()}`);
      return json(200, { now: clock.now().toISOString(), manual: true });
    }
    if (path === '/_sandbox/tick' && method === 'POST') {
      const report = await tick();
      // What it sent the queue again is recorded (or dead-lettered): retries waiting out their visibility too.
      await ingestQueue.settled();
      await dispatcher.idle(); // what the tick wrote has reached the stream consumers too
      return json(200, report);
    }

    if (path === LIVE_PATH)
      return json(426, {
        error: {
          code: 'UPGRADE_REQUIRED',
          message: `${LIVE_PATH} is a WebSocket: ws://…${LIVE_PATH}?token=…`,
        },
      });
    const matched = matchRoute(method, path);
    if (!matched) return json(404, { error: { code: 'NOT_FOUND', message: `No route ${method} ${path}` } });
    if (matched.route.fn !== 'bot' || slackMode !== 'emulator')
      return invoke(handlers, matched.route, matched.params, request);
    // Playing Slack: remember where this request's response_url answers, and show a command's reply (the
    // body of its answer) as Slack would, as a message only the person who typed the command sees.
    const origin = slackOrigin(request);
    if (origin.responseUrl) slack.registerResponseUrl(origin.responseUrl, origin.target);
    const response = await invoke(handlers, matched.route, matched.params, request);
    if (origin.command && origin.responseUrl && response.status === 200 && response.body.length > 0) {
      try {
        const shown = slack.respond(
          origin.responseUrl,
          JSON.parse(response.body.toString('utf8')) as Record<string, unknown>,
        );
        // Slack shows the person an error instead of a reply it refuses: say why here.
        if (shown.status !== 200)
          print(`slack: the command's reply was refused: ${JSON.stringify(shown.body)}`);
      } catch {
        // a plain-text answer: Slack shows it as the reply's text
        slack.respond(origin.responseUrl, { text: response.body.toString('utf8') });
      }
    }
    return response;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // The handlers' deps, as the Lambdas build theirs from their environment, but from this stack's own
  // settings: its store (through the stream feed), its SNS and Slack stand-ins, its clock.
  const local = { region: env.AWS_REGION || LOCAL_REGION, credentials: LOCAL_AWS.credentials };
  const now = () => clock.now().getTime();
  const ingestDead = new LocalQueue({
    name: 'tms-ingest-dead',
    region: local.region,
    visibilityTimeoutMs: 30_000,
    maxReceiveCount: Number.POSITIVE_INFINITY,
    now,
    ...(dataDir ? { file: join(dataDir, 'queue-ingest-dead.json') } : {}),
  });
  const visibilityTimeoutMs = options.queueVisibilityTimeoutMs ?? LOCAL_VISIBILITY_TIMEOUT_MS;
  const ingestQueue = new LocalQueue({
    name: 'tms-ingest',
    region: local.region,
    visibilityTimeoutMs,
    maxReceiveCount: MAX_RECEIVES,
    deadLetter: ingestDead,
    now,
  });
  const alertQueue = localAlertQueue(ingestQueue);
  // The state machine's Task states call the step handler, which is made from the deps the escalator is part of.
  let escalationStep: ((request: unknown) => Promise<unknown>) | undefined;
  const escalations = new LocalEscalations({
    step: (request) => {
      if (!escalationStep) throw new Error('the escalation step handler is not ready');
      return escalationStep(request);
    },
    ...(options.escalationWaits ? { waits: options.escalationWaits } : {}),
    ...(options.escalationRetryMs !== undefined ? { retryMs: options.escalationRetryMs } : {}),
    print,
  });
  const deps = withSlack(
    buildDeps(
      {
        TMS_TABLE: dynamo.tableName,
        TMS_NOTIFY_TOPIC_ARN: TOPIC_ARN,
        TMS_SNS_CERT_DIR: env.TMS_SNS_CERT_DIR,
      },
      {
        config,
        clock,
        ...(options.sleep ? { sleep: options.sleep } : {}),
        secrets: secretsOf({ ...env, ...secrets }),
        // CloudWatch's embedded metric format is for AWS; locally it would only flood the terminal.
        metrics: NO_METRICS,
        dynamo: { ...local, endpoint: feedUrl },
        sns: { ...local, endpoint: `${baseUrl}/_aws/sns` },
        ingestQueue: alertQueue.queue,
        escalator: escalations,
        // Offline the bot's Web API calls and replies go to the emulator; with a real SLACK_BOT_TOKEN, to Slack.
        slackSettings:
          slackMode === 'emulator'
            ? {
                apiUrl: `${baseUrl}/slack/api/`,
                hooksUrl: `${baseUrl}/slack/hooks/`,
                botId: BOT.botId,
                botUserId: BOT.userId,
              }
            : slackSettingsOf(env),
      },
    ),
  );
  escalationStep = makeEscalationStepHandler(deps);
  const bot: BotHandler = makeBotHandler(deps);
  const ingest = makeIngestHandler(deps);
  // The dashboard is built on its first request, not at every start (most stacks, the tests', never show it).
  const web = { assets: () => buildWebAssets(WEB_ENTRIES, '/app'), site: { liveUrl: null, cognito: null } };
  handlers = { api: makeApiHandler(deps, web), ingest, bot };
  live.attach(makeLiveHandler({ ...deps, sender: live }));
  // The processor as its Lambda is fed by its event source mapping (answering a sender waits for it locally).
  ingestQueue.consume(
    makeIngestProcessor(deps, {
      onProcessed: alertQueue.onProcessed,
      onFailed: (record, error) => ingestQueue.failed(record.messageId, errorText(error)),
      // Its receives take seconds here, not half an hour: a message `npm run redrive` moves back from the
      // dead-letter queue (receive count reset) within a minute of its receipt is still a redelivery.
      redeliveredAfterMs: Math.min(REDELIVERED_AFTER_MS, (MAX_RECEIVES - 1) * visibilityTimeoutMs),
    }),
  );
  const sweeper = makeSweeperHandler(deps);
  const deadLetters = makeDeadLetterHandler(deps, localDeadLetterQueues({ ingest: ingestDead }, baseUrl));
  dispatcher = new StreamDispatcher(streamConsumers(deps, { sender: live }), {
    onDiscard: (consumer, records, reason) =>
      print(`stream: ${consumer} set aside ${records.length} record(s): ${reason}`),
  });
  feed.onRecord((record) => dispatcher.push(record));
  // A real workspace without a public URL: the bot's listeners reached over Socket Mode.
  // A store kept from an earlier run: whatever that process had in flight died with it.
  if (dataDir && slackMode === 'emulator') await forgetCardsSlackLacks(deps, slack, print);
  if (dataDir) recovering = recoverAfterRestart(deps, startedAt, print);
  let socket: { stop(): Promise<void>; idle(): Promise<void> } | undefined;
  if (slackMode === 'socket') {
    const { startSocketMode } = await import('../handlers/bot.js');
    try {
      socket = await withTimeout(
        startSocketMode(deps, {
          appToken: env.SLACK_APP_TOKEN as string,
          ...(env.SLACK_API_URL ? { slackApiUrl: env.SLACK_API_URL } : {}),
        }),
        15_000,
        'Slack did not accept a Socket Mode connection within 15 s (check SLACK_APP_TOKEN and the network)',
      );
    } catch (error) {
      server.closeAllConnections();
      server.close();
      await feed.close();
      await dynamo.close();
      throw error;
    }
  }

  /** Stream consumers and handed-off jobs may start one another: waited for until all are quiet. */
  async function idle(): Promise<void> {
    for (let round = 0; round < 5; round++) {
      await ingest.idle(); // a repeated group compared after its answer
      await ingestQueue.idle(); // the alerts of the deliveries accepted
      await dispatcher.idle();
      await bot.idle();
      await socket?.idle();
    }
    await dispatcher.idle();
  }

  const timer = setInterval(() => {
    if (ticking) return; // a slow tick is never run twice at once, as the schedule's single target is not
    void tick();
  }, tickMs);
  timer.unref();

  return {
    url: baseUrl,
    secrets,
    slackMode,
    tickMs,
    dataDir,
    storeUrl: feedUrl,
    unstreamedStoreUrl: dynamo.endpoint,
    tick,
    slack,
    sns,
    feed,
    dispatcher,
    admission,
    deps,
    queues: { ingest: ingestQueue, ingestDead },
    escalations,
    idle,
    async close() {
      clearInterval(timer);
      await escalations.close();
      await recovering;
      await socket?.stop();
      await ticking;
      // What is still in flight (stream consumers, handed-off jobs) finishes against live stand-ins first.
      await idle();
      await ingestQueue.close();
      await live.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await dispatcher.idle();
      slack.flush();
      await feed.close();
      await dynamo.close();
    },
  };
}

/**
 * A card the store says was posted but the offline Slack does not have (its record was bounded away, or the
 * Slack state was deleted by hand) is marked as showing nothing before any request is answered: the API never
 * says such a card is up to date, and the next reconcile posts it again.
 */
async function forgetCardsSlackLacks(
  deps: SlackHouseDeps,
  slack: SlackEmulator,
  print: (line: string) => void,
): Promise<void> {
  const forgotten = await deps.cards.forgetCardsMissingFrom(
    (channel, ts) => slack.has(channel, ts),
    deps.clock.now().toISOString(),
  );
  if (forgotten > 0)
    print(`restart: ${forgotten} card(s) missing from the offline Slack are posted again at the next tick`);
}

/** Where a Slack request came from: its response_url, and the channel, user and message it answers. */
function slackOrigin(request: WireRequest): {
  responseUrl?: string;
  target: ResponseTarget;
  command: boolean;
} {
  const form = new URLSearchParams(request.body.toString('utf8'));
  if (form.has('command')) {
    return {
      command: true,
      ...(form.get('response_url') ? { responseUrl: form.get('response_url') as string } : {}),
      target: { channel: form.get('channel_id') ?? '', user: form.get('user_id') ?? '' },
    };
  }
  try {
    const payload = JSON.parse(form.get('payload') ?? '{}') as {
      response_url?: string;
      channel?: { id?: string };
      user?: { id?: string };
      message?: { ts?: string };
      container?: { message_ts?: string; channel_id?: string };
    };
    const messageTs = payload.message?.ts ?? payload.container?.message_ts;
    const channel = payload.channel?.id ?? payload.container?.channel_id;
    return {
      command: false,
      ...(payload.response_url ? { responseUrl: payload.response_url } : {}),
      target: {
        ...(channel ? { channel } : {}),
        ...(payload.user?.id ? { user: payload.user.id } : {}),
        ...(messageTs ? { messageTs } : {}),
      },
    };
  } catch {
    return { command: false, target: {} };
  }
}

/**
 * After a restart on a kept store (a kill -9, a crash, a closed laptop), what the previous process left half
 * done is finished now rather than a minute or more later: the card leases it held are released (their cards
 * due at once, not in 30 s), so are the clicks and Slack events it was handling (pressed again, they act
 * at once, not in 15 s), and deliveries it archived but did not process are processed (the sweeper waits
 * a minute for a delivery's own request, which here is known to be dead). Retried for a while, as a
 * fingerprint claim the dead process held is only taken over once stale.
 */
async function recoverAfterRestart(
  deps: SlackHouseDeps,
  startedAt: Date,
  print: (line: string) => void,
): Promise<void> {
  try {
    const heldUntil = new Date(startedAt.getTime() + 30_000).toISOString();
    const released = await deps.cards.releaseDeadLeases(heldUntil, deps.clock.now().toISOString());
    if (released > 0) print(`restart: ${released} card(s) held by the previous run are due now`);
    // A click or event the previous run was handling when it died would be ignored until its claim ran out.
    const claims = await deps.cards.releaseDeadClaims(
      ['slack-action', 'slack-event'],
      new Date(startedAt.getTime() + HANDLING_LEASE_MS).toISOString(),
    );
    if (claims > 0)
      print(`restart: ${claims} click(s) or event(s) cut short by the previous run can be sent again`);
    let recovered = 0;
    for (let attempt = 0; attempt < 40; attempt++) {
      const now = deps.clock.now();
      const report = await redrive(deps, now, {
        graceMs: now.getTime() - startedAt.getTime(),
        limit: 200,
        // A lease the previous process took on its archive (as long as the queue may retry a delivery) ends
        // before this; one this process takes ends after it. Its queue died with it: sent to this one's again.
        leasesEndingBefore: new Date(startedAt.getTime() + QUEUE_LEASE_MS).toISOString(),
        ...(deps.ingestQueue ? { queue: deps.ingestQueue } : {}),
      });
      recovered += report.processed.length;
      if (report.failed === 0 && report.processed.length < 200) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    if (recovered > 0)
      print(
        `restart: ${recovered} delivery(ies) archived but not processed by the previous run, processed now`,
      );
  } catch (error) {
    print(`restart: recovery failed, the sweeper will retry: ${(error as Error).message}`);
  }
}

/** An error as the dead-letter queue shows it: its name and message, and what caused it (a schema's issues). */
function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message.replace(/\s+/g, ' ')})` : '';
  return `${error.name}: ${error.message}${cause}`;
}

function bound(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} is "${value}", not a whole number above 0`);
  return n;
}

function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function header(request: WireRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Web API arguments: form-encoded (Slack's SDKs) or JSON. */
function slackParams(request: WireRequest): Record<string, unknown> {
  const text = request.body.toString('utf8');
  if ((header(request, 'content-type') ?? '').includes('application/json')) {
    try {
      return (JSON.parse(text) as Record<string, unknown>) ?? {};
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(text));
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function json(status: number, body: unknown): WireResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: Buffer.from(JSON.stringify(body)),
  };
}

function send(res: ServerResponse, response: WireResponse): void {
  res.writeHead(response.status, { ...response.headers, 'content-length': String(response.body.length) });
  res.end(response.body);
}
