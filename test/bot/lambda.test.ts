import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { lambdaHandoff } from '../../src/bot/handoff.js';
import { makeBotHandler } from '../../src/handlers/bot.js';
import { slackSignature } from '../../src/local/slack-client.js';
import { withSlack } from '../../src/runtime/slack-deps.js';
import { inProcessStack, type TestStack } from '../helpers/local-stack.js';
import { BEN, settle, slackOf } from '../helpers/slack.js';

let stack: TestStack;
let slack: ReturnType<typeof slackOf>;
beforeAll(async () => {
  stack = await inProcessStack();
  slack = slackOf(stack);
});
afterAll(() => stack.close());

const lambda = mockClient(LambdaClient);
afterEach(() => {
  lambda.reset();
});

/** The API Gateway event of a signed Slack request, as the bot Lambda receives it. */
function apiEvent(body: string, contentType = 'application/json') {
  const ts = Math.floor(Date.now() / 1000);
  return {
    version: '2.0',
    routeKey: 'POST /slack/events',
    rawPath: '/slack/events',
    rawQueryString: '',
    headers: {
      'content-type': contentType,
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': slackSignature(stack.secrets.SLACK_SIGNING_SECRET, ts, body),
    },
    body,
    isBase64Encoded: false,
    requestContext: {},
  } as never;
}

describe('the bot on Lambda', () => {
  it('answers Slack’s URL verification with the challenge', async () => {
    const answer = await slack.client.send(
      JSON.stringify({ token: 'x', challenge: 'c-123', type: 'url_verification' }),
      { contentType: 'application/json' },
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ challenge: 'c-123' });
  });

  it('hands slow work to an asynchronous invocation of itself, and answers Slack without waiting for it', async () => {
    // Arrange: as on AWS, where the function knows its own name.
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    const handler = makeBotHandler(withSlack({ ...stack.deps, functionName: 'tms-bot' }));
    const homes = stack.slack.views().filter((v) => v.type === 'home').length;
    const body = JSON.stringify({
      type: 'event_callback',
      team_id: 'T0LOCAL',
      api_app_id: 'A0TMSLOCAL',
      event_id: 'Ev0LAZY1',
      event_time: 1,
      event: { type: 'app_home_opened', user: BEN, channel: 'D01BBB', tab: 'home' },
    });
    // Act
    const answer = await handler(apiEvent(body), {} as never);
    await settle(stack);
    // Assert
    expect(answer?.statusCode).toBe(200);
    const calls = lambda.commandCalls(InvokeCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(input).toMatchObject({ FunctionName: 'tms-bot', InvocationType: 'Event' });
    expect(JSON.parse(new TextDecoder().decode(input?.Payload as Uint8Array))).toEqual({
      tmsJob: { kind: 'publish-home', user: BEN },
    });
    expect(stack.slack.views().filter((v) => v.type === 'home')).toHaveLength(homes); // not done inline
  });

  it('runs a handed-off job when it is invoked with it', async () => {
    const handler = makeBotHandler(stack.deps);
    await handler({ tmsJob: { kind: 'publish-home', user: BEN } }, {} as never);
    const home = stack.slack.views().find((v) => v.type === 'home' && v.user === BEN);
    expect(JSON.stringify(home?.view)).toContain('Your open tasks');
  });

  it('refuses what Slack does not send, with a JSON reason', async () => {
    const handler = makeBotHandler(stack.deps);
    const xml = await handler(apiEvent('<xml/>', 'text/xml'), {} as never);
    expect(xml?.statusCode).toBe(415);
    expect(JSON.parse(String(xml?.body)).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const huge = await handler(apiEvent('x'.repeat(300 * 1024), 'application/json'), {} as never);
    expect(huge?.statusCode).toBe(413);
  });
});

describe('lambdaHandoff', () => {
  it('queues the job as an Event invocation, which Lambda retries and sends to its failure destination', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    await lambdaHandoff('tms-bot', new LambdaClient({ region: 'eu-west-1' })).later({
      kind: 'publish-home',
      user: BEN,
    });
    expect(lambda.commandCalls(InvokeCommand)[0]?.args[0].input).toMatchObject({
      FunctionName: 'tms-bot',
      InvocationType: 'Event',
    });
  });
});
