import { AwsLambdaReceiver, isValidSlackRequest, LogLevel } from '@slack/bolt';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { bodySize, bodyText, fromError, type HttpResult, header, problem } from '../http/respond.js';
import { logger } from '../runtime/context.js';
import { secret } from '../runtime/secrets.js';
import { createBotApp, runJob } from './app.js';
import { botContext } from './context.js';
import { type Handoff, JOB_KEY, type Job, lambdaHandoff, localHandoff } from './handoff.js';

/** Slack's own limit on how old (or how far ahead) a request's timestamp may be. */
export const MAX_SKEW_S = 300;
/** Slack requests are small; anything this large is not one. */
const MAX_BODY = 256 * 1024;

type Bolt = (event: APIGatewayProxyEventV2, context: Context, callback: () => void) => Promise<HttpResult>;

let bolt: Bolt | undefined;
let handoff: (Handoff & { idle?: () => Promise<void> }) | undefined;

function handoffOf(): Handoff {
  if (!handoff) {
    const self = process.env.AWS_LAMBDA_FUNCTION_NAME;
    handoff = self ? lambdaHandoff(self) : localHandoff((job) => runJob(botContext(), job));
  }
  return handoff;
}

/** Resolves once the jobs handed off so far (locally) are done: for tests and the bench. */
export async function handoffIdle(): Promise<void> {
  await handoff?.idle?.();
}

function boltHandler(): Bolt {
  if (!bolt) {
    const receiver = new AwsLambdaReceiver({
      signingSecret: secret('SLACK_SIGNING_SECRET'),
      logLevel: LogLevel.WARN,
    });
    createBotApp(botContext(), {
      receiver,
      token: secret('SLACK_BOT_TOKEN'),
      ...(process.env.SLACK_BOT_ID ? { botId: process.env.SLACK_BOT_ID } : {}),
      ...(process.env.SLACK_BOT_USER_ID ? { botUserId: process.env.SLACK_BOT_USER_ID } : {}),
      handoff: handoffOf(),
    });
    bolt = receiver.toHandler() as unknown as Bolt;
  }
  return bolt;
}

/**
 * `POST /slack/events`: slash commands, interactivity and events. Before Bolt sees anything the request is
 * authenticated here: the signature over the raw body (Slack's scheme, checked by Bolt's own helper in
 * constant time), a timestamp within five minutes either way, and a signature never seen before (a replayed
 * request is refused). The body is then handed to Bolt as it expects it: decoded from base64 as UTF-8 and
 * with the content type's parameters dropped (Bolt matches the bare media type only).
 * An asynchronous self-invocation (`{"tmsJob":…}`) runs work handed off after an earlier answer.
 */
export async function handler(
  event: APIGatewayProxyEventV2 | { [JOB_KEY]: Job },
  context: Context,
): Promise<HttpResult | undefined> {
  if (JOB_KEY in event) {
    await runJob(botContext(), event[JOB_KEY]);
    return undefined;
  }
  try {
    if (bodySize(event) > MAX_BODY) return problem(413, 'TOO_LARGE', 'A Slack request is at most 256 KB');
    const refused = await authenticate(event);
    if (refused) return refused;
    const contentType = (header(event, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (contentType !== 'application/x-www-form-urlencoded' && contentType !== 'application/json')
      return problem(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        'Slack sends application/x-www-form-urlencoded or application/json',
      );
    const normalized: APIGatewayProxyEventV2 = {
      ...event,
      body: bodyText(event),
      isBase64Encoded: false,
      headers: { ...event.headers, 'content-type': contentType },
    };
    const started = performance.now();
    const result = await boltHandler()(normalized, context, () => {});
    logger.debug('answered Slack', {
      ms: Math.round(performance.now() - started),
      status: result.statusCode,
    });
    return result;
  } catch (error) {
    return fromError(error);
  }
}

async function authenticate(event: APIGatewayProxyEventV2): Promise<HttpResult | undefined> {
  const signature = header(event, 'x-slack-signature');
  const timestamp = Number(header(event, 'x-slack-request-timestamp'));
  const unauthenticated = (message: string) => problem(401, 'UNAUTHENTICATED', message);
  if (!signature || !Number.isInteger(timestamp))
    return unauthenticated('X-Slack-Signature and X-Slack-Request-Timestamp are required');
  const deps = botContext();
  const now = deps.clock.now().getTime();
  if (Math.abs(now / 1000 - timestamp) > MAX_SKEW_S)
    return unauthenticated('The request timestamp is more than five minutes away from now');
  const valid = isValidSlackRequest({
    signingSecret: secret('SLACK_SIGNING_SECRET'),
    body: bodyText(event),
    headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp },
    nowMilliseconds: now,
  });
  if (!valid) return unauthenticated('The request signature does not match');
  // Slack's own retries of an event are deduplicated by event_id; any other repeat is a replay.
  if (!header(event, 'x-slack-retry-num')) {
    const expires = new Date((timestamp + MAX_SKEW_S * 2) * 1000).toISOString();
    if (!(await deps.seen.firstSighting('slack-signature', signature, expires)))
      return unauthenticated('This request was already received');
  }
  return undefined;
}

/**
 * The bot over Socket Mode, for a laptop with a real workspace and no public URL (`npm start` with
 * SLACK_BOT_TOKEN and SLACK_APP_TOKEN): the same listeners, reached over a WebSocket that the app token
 * authenticates, so there is no request signature to check. Handed-off work runs after each answer.
 */
export async function startSocketMode(options: {
  appToken: string;
  slackApiUrl?: string;
}): Promise<{ stop(): Promise<void> }> {
  const app = createBotApp(botContext(), {
    receiver: { socketMode: options },
    token: secret('SLACK_BOT_TOKEN'),
    ...(process.env.SLACK_BOT_ID ? { botId: process.env.SLACK_BOT_ID } : {}),
    ...(process.env.SLACK_BOT_USER_ID ? { botUserId: process.env.SLACK_BOT_USER_ID } : {}),
    handoff: handoffOf(),
  });
  await app.start();
  return { stop: async () => void (await app.stop()) };
}
