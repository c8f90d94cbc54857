import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxSlack } from '../../src/local/slack-client.js';
import { API, getJson, npmStart, postJson, type StartedProcess } from '../helpers/local-stack.js';

/**
 * The aggregator's done-when on the stack as a user starts it: `npm start` with a config whose SLA is seconds
 * and whose digest is due every few seconds, a realistic stream of alerts from outside, people working them
 * in Slack, and then what TMS says on its own: trends, SLA warnings, a digest, SNS, stats and a playbook.
 */
describe('npm start: what the stream of events turns into', () => {
  let tms: StartedProcess;
  let slack: SandboxSlack;
  type Message = {
    channel: string;
    text: string;
    thread_ts: string | null;
    ephemeral_user?: string;
    blocks?: unknown;
  };
  const messages = async (channel: string): Promise<Message[]> =>
    (await getJson(`${tms.url}/_sandbox/slack/messages?channel=${channel}`)).body.messages;
  const posts = async (channel: string) =>
    (await messages(channel)).filter((m) => m.thread_ts === null && !m.ephemeral_user);
  const fire = (key: string, summary: string, severity: string, service = 'checkout') =>
    postJson(`${tms.url}/ingest/generic`, {
      routing_key: 'local-ingest-token',
      event_action: 'trigger',
      dedup_key: key,
      payload: { summary, source: 'prod', severity, component: service },
    });
  async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 30_000): Promise<T> {
    const until = Date.now() + ms;
    for (;;) {
      const value = await read();
      if (done(value) || Date.now() > until) return value;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  beforeAll(async () => {
    tms = await npmStart({ TMS_CONFIG: 'test/fixtures/config/insights.config.yaml', TMS_TICK: '1s' });
    slack = new SandboxSlack(tms.url, 'local-slack-signing-secret');
    // A realistic stretch: a noisy consumer-lag alert, worked and resolved, that keeps coming back; a flood of
    // 5xx on the API; a critical disk alert nobody acknowledges.
    for (let round = 0; round < 3; round++) {
      await fire('consumer-lag', 'Consumer lag above 10k on orders', 'error');
      await fire('consumer-lag', 'Consumer lag above 10k on orders', 'error');
      const { tasks } = (await getJson(`${tms.url}/api/tasks?status=unresolved&service=checkout`, API()))
        .body;
      const id = tasks.find((t: { fingerprint: string }) => t.fingerprint === 'generic:consumer-lag').id;
      await slack.command(`claim ${id}`, { user: 'U01AAA', channel: 'C0CHECKOUT' });
      await slack.command(`resolve ${id} Restarted the orders consumer`, {
        user: 'U01AAA',
        channel: 'C0CHECKOUT',
      });
    }
    for (let i = 0; i < 6; i++) await fire('api-5xx', 'API 5xx above 2%', 'warning', 'api');
    await fire('disk-full', 'Disk 95% full on db-1', 'critical');
  }, 120_000);
  afterAll(async () => {
    await tms.stop();
  });

  it('posts the trending alerts once each', async () => {
    const general = await eventually(
      () => posts('C0GENERAL'),
      (list) => list.some((m) => m.text.includes('Trending')),
    );
    // Each channel's post is its own: the other's having come says nothing of when this one does.
    const checkout = await eventually(
      () => posts('C0CHECKOUT'),
      (list) => list.some((m) => m.text.includes('*Trending*') && m.text.includes('Consumer lag')),
    );
    expect(
      checkout.filter((m) => m.text.includes('*Trending*') && m.text.includes('Consumer lag')),
    ).toHaveLength(1);
    expect(
      general.filter((m) => m.text.includes('*Trending*') && m.text.includes('API 5xx above 2%')),
    ).toHaveLength(1);
  });

  it('warns in its channel that the unacknowledged P1 is running out of time, naming the team, then that it ran out', async () => {
    const warned = await eventually(
      () => posts('C0CHECKOUT'),
      (list) => list.some((m) => m.text.startsWith(':rotating_light:') && m.text.includes('Disk 95% full')),
    );
    const disk = warned.filter((m) => m.text.includes('Disk 95% full on db-1'));
    const atRisk = disk.filter(
      (m) => m.text.startsWith(':warning:') && m.text.includes('left to acknowledge'),
    );
    const breached = disk.filter((m) => m.text.startsWith(':rotating_light:'));
    expect(atRisk).toHaveLength(1);
    expect(atRisk[0]?.text).toContain('<!subteam^S0PAYMENTS>');
    expect(breached).toHaveLength(1);
    expect(breached[0]?.text).toContain('the time to acknowledge ran out');
  });

  it('publishes the P1 and its breach to the notification topic, with the card’s link', async () => {
    const { body } = await eventually(
      () => getJson(`${tms.url}/_sandbox/sns/messages`),
      (r) => r.body.messages.some((m: { subject: string }) => m.subject.includes('not acknowledged in time')),
    );
    type Sns = { subject: string; message: string };
    const opened = body.messages.filter((m: Sns) =>
      /^P1 TMS-\d+ opened: Disk 95% full on db-1$/.test(m.subject),
    );
    const breach = body.messages.filter((m: Sns) =>
      /^P1 TMS-\d+ not acknowledged in time: Disk 95% full/.test(m.subject),
    );
    expect(opened).toHaveLength(1);
    expect(breach).toHaveLength(1);
    expect(opened[0].message).toContain(`Card: ${tms.url}/_sandbox/slack/archives/C0CHECKOUT/p`);
    expect(breach[0].message).toContain(`Card: ${tms.url}/_sandbox/slack/archives/C0CHECKOUT/p`);
  });

  it('posts the scheduled digest in the team’s channel', async () => {
    // Due every 3 seconds: the latest one was posted after the stream, so it lists what is open now.
    const digests = await eventually(
      () => posts('C0PAYMENTS'),
      (list) =>
        JSON.stringify(list.filter((m) => m.text.startsWith('TMS digest:')).at(-1)?.blocks ?? '').includes(
          'Disk 95%',
        ),
    );
    const digest = digests.filter((m) => m.text.startsWith('TMS digest:')).at(-1);
    expect(digest?.text).toMatch(/^TMS digest: 1 open \(P1 1, P2 0, P3 0, P4 0\)/);
    expect(JSON.stringify(digest?.blocks)).toMatch(
      /Most urgent open\*\\n• :red_circle: <[^|]+\|TMS-\d+> Disk 95% full on db-1/,
    );
  });

  it('answers /tms stats and /tms playbook from what it counted', async () => {
    const stats = await slack.command('stats checkout', { user: 'U01BBB', channel: 'C0CHECKOUT' });
    expect(JSON.stringify(stats.body)).toMatch(/resolved \*3\*/);
    expect(JSON.stringify(stats.body)).toContain('SLA *100%* met (6 of 6)');
    const playbook = await slack.command('playbook checkout', { user: 'U01BBB', channel: 'C0CHECKOUT' });
    expect(JSON.stringify(playbook.body)).toContain('Restarted the orders consumer (3×)');
  });
});
