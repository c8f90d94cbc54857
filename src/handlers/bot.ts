import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { createBotApp, runJob } from '../bot/app.js';
import { AwsLambdaReceiver, isValidSlackRequest, LogLevel } from '../bot/bolt.js';
import { type Handoff, JOB_KEY, type Job, lambdaHandoff, localHandoff } from '../bot/handoff.js';
import { parseSlackRequest, type SlackRequest, signedContent } from '../bot/slack-request.js';
import { bodySize, bodyText, fromError, type HttpResult, header, problem } from '../http/respond.js';
import { buildDeps, type Env } from '../runtime/deps.js';
import { logger } from '../runtime/logger.js';
import type { Secrets } from '../runtime/secrets.js';
import { type SlackHouseDeps, withSlack } from '../runtime/slack-deps.js';

/** Slack's own limit on how old (or how far ahead) a request's timestamp may be. */
export const MAX_SKEW_S = 300;
/** Slack requests are small; anything this large is not one. */
const MAX_BODY = 256 * 1024;

type Bolt = (event: APIGatewayProxyEventV2, context: Context, callback: () => void) => Promise<HttpResult>;

/** The bot's Lambda handler; `idle()` resolves once work handed off so far (locally) is done. */
export interface BotHandler {
  (event: APIGatewayProxyEventV2 | { [JOB_KEY]: Job }, context: Context): Promise<HttpResult | undefined>;
  idle(): Promise<void>;
}

/** Slack's signature header, exactly: Bolt's own check would take anything after a second `=` too. */
const SIGNATURE = /^v0=[0-9a-f]{64}$/;
const TIMESTAMP = /^\d{1,12}$/;

/**
 * `POST /slack/events`: slash commands, interactivity and events. Before Bolt sees anything the request is
 * authenticated here: a signature header of Slack's exact form over the raw body (Slack's scheme, checked by
 * Bolt's own helper in constant time), a timestamp within five minutes either way, and signed content (the
 * timestamp and the body) never seen before, so a replayed request is refused however its headers were
 * dressed. Slack retries only Events API deliveries (with `X-Slack-Retry-Num`): such a retry is let through
 * to the app, which applies each `event_id` once; the header on anything else is refused. The body must be
 * a Slack request of a kind TMS reads, parsed into the fields that are read (./slack-request.ts), else 400.
 * Bolt is handed that parsed body, re-encoded (so decoded from base64 as UTF-8, whatever API Gateway did),
 * under the bare media type (Bolt matches no `charset`). Bolt's own answers without a body (no listener)
 * get the JSON error shape.
 * An asynchronous self-invocation (`{"tmsJob":…}`) runs work handed off after an earlier answer.
 */
export function makeBotHandler(deps: SlackHouseDeps): BotHandler {
  const handoff: Handoff & { idle?: () => Promise<void> } = deps.functionName
    ? lambdaHandoff(deps.functionName)
    : localHandoff((job) => runJob(deps, job));
  let bolt: Bolt | undefined;
  const boltHandler = (): Bolt => {
    if (!bolt) {
      const receiver = new AwsLambdaReceiver({
        signingSecret: deps.secrets.get('SLACK_SIGNING_SECRET'),
        // Checked by `handler` before Bolt is called (more strictly: the header's exact form, replays), over the
        // body as signed; Bolt is then handed that body re-encoded from what was parsed, which it could not check.
        signatureVerification: false,
        logLevel: LogLevel.WARN,
      });
      createBotApp(deps, { receiver, ...botOptions(deps), handoff });
      bolt = receiver.toHandler() as unknown as Bolt;
    }
    return bolt;
  };
  const handler = async (
    event: APIGatewayProxyEventV2 | { [JOB_KEY]: Job },
    context: Context,
  ): Promise<HttpResult | undefined> => {
    if (JOB_KEY in event) {
      await runJob(deps, event[JOB_KEY]);
      return undefined;
    }
    try {
      if (bodySize(event) > MAX_BODY) return problem(413, 'TOO_LARGE', 'A Slack request is at most 256 KB');
      const signed = authenticate(deps, event);
      if (!signed.ok) return signed.refused;
      const contentType = (header(event, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      if (contentType !== 'application/x-www-form-urlencoded' && contentType !== 'application/json')
        return problem(
          415,
          'UNSUPPORTED_MEDIA_TYPE',
          'Slack sends application/x-www-form-urlencoded or application/json',
        );
      const parsed = parseSlackRequest(contentType, bodyText(event));
      if (!parsed.ok) return problem(400, 'BAD_REQUEST', parsed.reason);
      const replayed = await refuseReplay(deps, event, signed.timestamp, parsed.request);
      if (replayed) return replayed;
      const { request } = parsed;
      // Slack expects a 200 for its notice that it stopped sending events for a while; nothing to do but log.
      if (request.kind === 'rate-limited') {
        logger.warn('Slack is rate limiting the events it sends');
        return { statusCode: 200, body: '' };
      }
      if (request.kind === 'unhandled') return notHandled();
      const normalized: APIGatewayProxyEventV2 = {
        ...event,
        body: request.body,
        isBase64Encoded: false,
        headers: { ...event.headers, 'content-type': request.contentType },
      };
      const started = performance.now();
      const result = await boltHandler()(normalized, context, () => {});
      logger.debug('answered Slack', {
        ms: Math.round(performance.now() - started),
        status: result.statusCode,
      });
      return withErrorShape(result);
    } catch (error) {
      return fromError(error);
    }
  };
  return Object.assign(handler, { idle: async () => void (await handoff.idle?.()) });
}

/** The signature and the timestamp: the timestamp when both hold, else the 401 to answer. */
function authenticate(
  deps: SlackHouseDeps,
  event: APIGatewayProxyEventV2,
): { ok: true; timestamp: number } | { ok: false; refused: HttpResult } {
  const signature = header(event, 'x-slack-signature');
  const stamp = header(event, 'x-slack-request-timestamp');
  const unauthenticated = (message: string) => ({
    ok: false as const,
    refused: problem(401, 'UNAUTHENTICATED', message),
  });
  if (!signature || !stamp)
    return unauthenticated('X-Slack-Signature and X-Slack-Request-Timestamp are required');
  if (!SIGNATURE.test(signature) || !TIMESTAMP.test(stamp))
    return unauthenticated(
      'X-Slack-Signature is v0= and 64 hex digits; X-Slack-Request-Timestamp is in seconds',
    );
  const timestamp = Number(stamp);
  const now = deps.clock.now().getTime();
  if (Math.abs(now / 1000 - timestamp) > MAX_SKEW_S)
    return unauthenticated('The request timestamp is more than five minutes away from now');
  const valid = isValidSlackRequest({
    signingSecret: deps.secrets.get('SLACK_SIGNING_SECRET'),
    body: bodyText(event),
    headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp },
    nowMilliseconds: now,
  });
  return valid ? { ok: true, timestamp } : unauthenticated('The request signature does not match');
}

/**
 * A request whose signed content (timestamp and body) was received before is a replay. Slack's retry of an
 * Events API delivery is the one repeat it sends; it is recognised by its `event_id` in the app, which
 * applies each event once (and a retry after the first delivery died, once that delivery is over).
 */
async function refuseReplay(
  deps: SlackHouseDeps,
  event: APIGatewayProxyEventV2,
  timestamp: number,
  request: SlackRequest,
): Promise<HttpResult | undefined> {
  const unauthenticated = (message: string) => problem(401, 'UNAUTHENTICATED', message);
  if (header(event, 'x-slack-retry-num') !== undefined) {
    if (request.kind === 'event') return undefined;
    return unauthenticated(
      'Slack retries only Events API deliveries: a retry header on anything else is refused',
    );
  }
  const expires = new Date((timestamp + MAX_SKEW_S * 2) * 1000).toISOString();
  const first = await deps.seen.firstSighting(
    'slack-request',
    signedContent(timestamp, bodyText(event)),
    expires,
  );
  return first ? undefined : unauthenticated('This request was already received');
}

const notHandled = () => problem(404, 'NOT_HANDLED', 'TMS does not handle this kind of Slack request');

/** Bolt answers some requests with a bare status (no listener: 404); TMS answers with its error shape. */
function withErrorShape(result: HttpResult): HttpResult {
  if ((result.statusCode ?? 200) < 400 || result.headers?.['Content-Type'] === 'application/json')
    return result;
  if (result.statusCode === 404) return notHandled();
  if (result.statusCode === 401)
    return problem(401, 'UNAUTHENTICATED', 'The request signature does not match');
  return fromError(new Error(`Bolt answered ${result.statusCode}`));
}

/**
 * The bot over Socket Mode, for a laptop with a real workspace and no public URL (`npm start` with
 * SLACK_BOT_TOKEN and SLACK_APP_TOKEN): the same listeners, reached over a WebSocket that the app token
 * authenticates, so there is no request signature to check. Handed-off work runs after each answer.
 */
export async function startSocketMode(
  deps: SlackHouseDeps,
  options: { appToken: string; slackApiUrl?: string },
): Promise<{ stop(): Promise<void>; idle(): Promise<void> }> {
  const handoff = localHandoff((job) => runJob(deps, job));
  const app = createBotApp(deps, { receiver: { socketMode: options }, ...botOptions(deps), handoff });
  await app.start();
  return { stop: async () => void (await app.stop()), idle: () => handoff.idle() };
}

/** The bot's token and ids, and where its Web API calls go. */
function botOptions(deps: SlackHouseDeps) {
  const { apiUrl, botId, botUserId } = deps.slackSettings;
  return {
    token: deps.secrets.get('SLACK_BOT_TOKEN'),
    ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
    ...(botId ? { botId } : {}),
    ...(botUserId ? { botUserId } : {}),
  };
}

/** The Lambda's handler, built once per container from its environment (src/runtime/lambda-entry.ts). */
export const fromEnvironment = (env: Env, secrets: Secrets) =>
  makeBotHandler(withSlack(buildDeps(env, { secrets })));
