import { type ClientRequest, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessStack, postJson, type TestStack } from '../helpers/local-stack.js';
import { ANA, GENERAL, settle, slackOf } from '../helpers/slack.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await inProcessStack({ TMS_MAX_IN_FLIGHT: '2', TMS_MAX_SLACK_IN_FLIGHT: '1' });
});
afterAll(() => stack.close());

const alert = (key: string) =>
  JSON.stringify({
    routing_key: 'local-ingest-token',
    event_action: 'trigger',
    dedup_key: key,
    payload: { summary: `Shedding ${key}`, source: 'lb-1', severity: 'warning', component: 'checkout' },
  });

/** A delivery whose sender has sent half its body: it stays in flight until `finish`. */
function halfSent(path: string, body: string) {
  let req!: ClientRequest;
  const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const url = new URL(path, stack.url);
    req = request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
  });
  req.write(body.slice(0, 10));
  return { answered, finish: () => req.end(body.slice(10)) };
}

describe('requests in flight past the bound', () => {
  it('are answered 503 with Retry-After and the JSON error, while Slack has its own budget', async () => {
    // Arrange: two deliveries held in flight, which is the senders' bound.
    const first = halfSent('/ingest/generic', alert('shed-1'));
    const second = halfSent('/ingest/generic', alert('shed-2'));
    await expect.poll(() => stack.admission.stats().inFlight.senders).toBe(2);

    // Act: a third delivery, and a slash command.
    const third = await postJson(`${stack.url}/ingest/generic`, alert('shed-3'));
    const command = await slackOf(stack).client.command('new Shedding: a person still gets through p3', {
      user: ANA,
      channel: GENERAL,
    });

    // Assess: the delivery is shed at once, as a sender can retry it; the person's command is not.
    expect(third.status).toBe(503);
    expect(third.headers.get('retry-after')).toBe('1');
    expect(third.body).toMatchObject({ error: { code: 'UNAVAILABLE', message: expect.any(String) } });
    expect(command.status).toBe(200);
    expect(command.text).toMatch(/TMS-\d+/);

    // The held deliveries complete, and a retry of the shed one is accepted.
    first.finish();
    second.finish();
    expect((await first.answered).status).toBe(202);
    expect((await second.answered).status).toBe(202);
    expect((await postJson(`${stack.url}/ingest/generic`, alert('shed-3'))).status).toBe(202);
    expect(stack.admission.stats()).toMatchObject({ inFlight: { senders: 0 }, shed: { senders: 1 } });
    await settle(stack);
  });

  it('never shed the bot’s own calls to the Slack emulator, nor the sandbox', async () => {
    const held = [halfSent('/ingest/generic', alert('shed-4')), halfSent('/ingest/generic', alert('shed-5'))];
    await expect.poll(() => stack.admission.stats().inFlight.senders).toBe(2);
    const posted = await postJson(
      `${stack.url}/slack/api/chat.postMessage`,
      { channel: GENERAL, text: 'still served' },
      { authorization: 'Bearer xoxb-tms-local-bot-token' },
    );
    expect(posted.body).toMatchObject({ ok: true });
    expect((await fetch(`${stack.url}/_sandbox/slack/messages`)).status).toBe(200);
    for (const h of held) h.finish();
    for (const h of held) expect((await h.answered).status).toBe(202);
    await settle(stack);
  });
});
