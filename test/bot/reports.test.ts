import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { factsOf } from '../../src/core/aggregates/facts.js';
import { foldStats, resolveTimeAt, typicalTime } from '../../src/core/aggregates/resolutions.js';
import type { Task } from '../../src/core/task.js';
import { sendDueDigests } from '../../src/jobs/digests.js';
import { forgetHistory, historyOf } from '../../src/jobs/history.js';
import { warnSla } from '../../src/jobs/sla-warnings.js';
import { lifeOf } from '../helpers/changes.js';
import { aTask } from '../helpers/factories.js';
import { API, getJson, inProcessStack, postJson, type TestStack } from '../helpers/local-stack.js';
import { ANA, BEN, CHECKOUT, settle, slackOf } from '../helpers/slack.js';

const PAYMENTS = 'C0PAYMENTS';
let stack: TestStack;
let slack: ReturnType<typeof slackOf>;
beforeAll(async () => {
  stack = await inProcessStack({ TMS_CONFIG: 'test/fixtures/config/insights.config.yaml' });
  slack = slackOf(stack);
});
afterAll(() => stack.close());

const task = async (id: string, at = stack) => (await getJson(`${at.url}/api/tasks/${id}`, API())).body.task;
async function fire(key: string, summary: string, severity = 'error', at = stack) {
  const answer = await postJson(`${at.url}/ingest/generic`, {
    routing_key: at.secrets.INGEST_TOKEN,
    event_action: 'trigger',
    dedup_key: key,
    payload: { summary, source: 'kafka-1', severity, component: 'checkout' },
  });
  expect(answer.status).toBe(202);
}
async function openTaskOf(key: string, at = stack): Promise<string> {
  const { tasks } = (await getJson(`${at.url}/api/tasks?status=unresolved&service=checkout`, API())).body;
  const found = tasks.find((t: { fingerprint: string }) => t.fingerprint === `generic:${key}`);
  return found.id;
}
/** What `user` was answered, as the blocks' text. */
async function ask(text: string, user = ANA, channel = CHECKOUT): Promise<string> {
  const answer = await slack.client.command(text, { user, channel });
  await settle(stack);
  return JSON.stringify(answer.body);
}
const posts = (channel: string, at = stack) =>
  at.slack.messages(channel).filter((m) => m.thread_ts === null && !m.ephemeral_user && !m.response_url);

describe('a realistic stream of events, worked in Slack', () => {
  beforeAll(async () => {
    // Consumer lag fires twice, ana claims it and resolves it with a note; it fires again within the flap
    // window, so the same task reopens; three rounds. Then a disk fills up (a P1).
    for (let round = 0; round < 3; round++) {
      await fire('consumer-lag', 'Consumer lag above 10k on orders');
      await fire('consumer-lag', 'Consumer lag above 10k on orders');
      await settle(stack);
      const id = await openTaskOf('consumer-lag');
      await slack.client.command(`claim ${id}`, { user: ANA, channel: CHECKOUT });
      await slack.client.command(`resolve ${id} Restarted the orders consumer`, {
        user: ANA,
        channel: CHECKOUT,
      });
      await settle(stack);
    }
    await fire('disk-full', 'Disk 95% full on db-1', 'critical');
    await settle(stack);
    // Consumer lag fires once more after its third fix: the task reopens (a flap) a third time.
    await fire('consumer-lag', 'Consumer lag above 10k on orders');
    await settle(stack);
  });

  it('posts a trend once in the service channel, and /tms trends lists it with the rule', async () => {
    const trend = posts(CHECKOUT).filter((m) => m.text.startsWith(':chart_with_upwards_trend:'));
    expect(trend).toHaveLength(1);
    expect(trend[0]?.text).toMatch(
      /\|TMS-1> Consumer lag above 10k on orders \(checkout\): 4 events in the last 1 h, new: none in the 24 h before/,
    );
    const answer = await ask('trends checkout');
    expect(answer).toContain('Trending now');
    expect(answer).toContain('Consumer lag above 10k on orders');
    expect(answer).toContain('at least 4 events in the last 1 h, and 3× what the 24 h before would predict');
  });

  it('/tms stats shows MTTA, MTTR, MTBF and SLA adherence, per priority', async () => {
    const answer = await ask('stats checkout 7d');
    expect(answer).toContain('Stats for *checkout*, last 7 d');
    expect(answer).toMatch(/Opened \*2\* · reopened \*3\* · acknowledged \*3\* · resolved \*3\*/);
    expect(answer).toMatch(
      /MTTA \*\d+ s\* · MTTR \*\d+ s\* · MTBF \*[\d.]+ h\* · SLA \*100%\* met \(6 of 6\)/,
    );
    expect(answer).toContain(':large_orange_circle: *P2* · opened 1');
    expect(answer).toContain(':red_circle: *P1* · opened 1');
    expect(await ask('stats checkout 100d')).toContain('is not a window from 1h to 90d');
    expect(await ask('stats checkout 15m')).toContain('is not a window from 1h to 90d'); // counted per hour
  });

  it('/tms playbook shows the recurring issue, its fix, who fixes it and the runbook; its next card suggests the fix', async () => {
    const answer = await ask('playbook checkout');
    expect(answer).toContain('Playbook for checkout* · <https://wiki.example/checkout|Runbook>');
    expect(answer).toContain('Consumer lag above 10k on orders');
    expect(answer).toMatch(/4 times · median \*\d+ s\* to resolve · usually fixed by <@U01AAA> \(3×\)/);
    expect(answer).toContain('Restarted the orders consumer (3×)');
    expect(await ask('playbook general')).toContain('No recurring issues for general yet');
    // It fired again after its third fix: the reopened task's card says what fixed it before.
    expect(slack.cardText('TMS-1')).toMatch(
      /:bulb: Last 3 times: Restarted the orders consumer — median \d+ s/,
    );
  });

  it('/tms digest posts the digest into the channel, laid out in blocks with links to the cards', async () => {
    const answer = await ask('digest', BEN, PAYMENTS);
    expect(answer).toContain('Posted this channel’s digest here.');
    const digest = posts(PAYMENTS).at(-1);
    expect(digest?.text).toMatch(/^TMS digest: 2 open \(P1 1, P2 1, P3 0, P4 0\), 2 new, 3 resolved/);
    const blocks = JSON.stringify(digest?.blocks);
    expect(blocks).toContain('"type":"header"');
    expect(blocks).toContain('*Open by priority*');
    expect(blocks).toMatch(/\*Most urgent open\*\\n• :red_circle: <[^|]+\|TMS-2> Disk 95% full on db-1/);
    expect(blocks).toContain(':chart_with_upwards_trend: *Trending*');
    expect(blocks).toMatch(
      /\*Noisiest\*\\n• :large_orange_circle: <[^|]+\|TMS-1> Consumer lag above 10k on orders — 7 events/,
    );
    expect(blocks).toMatch(/\*Flakiest\*\\n• .*TMS-1.* — flapped 3×/);
  });

  it('posts a scheduled digest once per due time, however often the sweep runs', async () => {
    const before = posts(PAYMENTS).length;
    const due = Math.floor(Date.now() / 3_000) * 3_000; // the config's cron: every 3 seconds
    const first = await sendDueDigests(stack.deps, new Date(due + 100));
    const again = await sendDueDigests(stack.deps, new Date(due + 900));
    expect(first.posted).toBe(1);
    expect(again.posted).toBe(0);
    expect(posts(PAYMENTS)).toHaveLength(before + 1);
  });
});

describe('SLA risk learned from similar tasks', () => {
  // A stack of its own: the task it opens must not change the counts of the stream above.
  let fresh: TestStack;
  beforeAll(async () => {
    fresh = await inProcessStack({ TMS_CONFIG: 'test/fixtures/config/insights.config.yaml' });
  });
  afterAll(() => fresh.close());

  it('warns of SLA risk before the clock does when similar tasks took longer than the time left', async () => {
    // Prepare: three earlier P2 "slow-rebuild" tasks each took about 100 minutes to resolve (folded into the
    // statistics as the aggregator folds them; tasks from before issue keys, so kept by their fingerprint), and
    // a new one opens with a 2 h window: its issue has no history yet, so its fingerprint's is read.
    const fingerprint = 'generic:slow-rebuild';
    const key = { kind: 'issue' as const, service: 'checkout', issue: fingerprint };
    const history = ['TMS-901', 'TMS-902', 'TMS-903'].flatMap((id, i) =>
      lifeOf(aTask({ id, fingerprint, priority: 'P2' }))
        .act({ type: 'resolve', resolution: 'Rebuilt the index' }, 95 + i * 5)
        .changes.map(factsOf),
    );
    await fresh.deps.aggregates.updateStats(key, (s) => foldStats(s, history, new Date()));
    await fire('slow-rebuild', 'Search index rebuild stuck', 'error', fresh);
    await settle(fresh);
    const id = await openTaskOf('slow-rebuild', fresh);
    const { createdAt } = await task(id, fresh);
    forgetHistory(fresh.deps.aggregates);
    // Act: 30 minutes in, the clock is still fine (25% of 2 h), but 90 minutes left is less than ~100.
    const result = await warnSla(fresh.deps, new Date(Date.parse(createdAt) + 30 * 60_000));
    await settle(fresh);
    // Assess
    expect(result.warned).toBeGreaterThanOrEqual(1);
    const warning = posts(CHECKOUT, fresh).find(
      (m) => m.text.includes(`|${id}>`) && m.text.startsWith(':warning:'),
    );
    expect(warning?.text).toMatch(/90 min left to resolve .*similar tasks took 1\.\d h \(75th percentile\)/);
    expect(warning?.text).toContain('<!subteam^S0PAYMENTS>');
  });
});

describe('recurring issues, whatever their dedup keys', () => {
  // A stack of its own: its tasks must not change the counts of the stream above.
  let own: TestStack;
  let ownSlack: ReturnType<typeof slackOf>;
  afterAll(() => own.close());

  /** A PagerDuty Events v2 trigger as many senders make them: a new dedup_key per incident, numbers and pods in the summary. */
  const lag = async (dedupKey: string, summary: string): Promise<string> => {
    const answer = await postJson(`${own.url}/ingest/generic`, {
      routing_key: own.secrets.INGEST_TOKEN,
      event_action: 'trigger',
      dedup_key: dedupKey,
      payload: {
        summary,
        source: 'kafka-exporter',
        severity: 'error',
        component: 'checkout',
        class: 'consumer_lag',
      },
    });
    expect(answer.status).toBe(202);
    await settle(own);
    return openTaskOf(dedupKey, own);
  };
  const INCIDENTS = [
    ['c1f3a9d2e8b74f10', 'Consumer lag 1234 on checkout-7d9f8b6c5-x2x9z'],
    ['5b2e77c04d9a4e3b', 'Consumer lag 98012 on checkout-7d9f8b6c5-q4wzt'],
    ['9e0d41aa7f6c4b22', 'Consumer lag 311 on checkout-5f6d7c8b94-lm2vx'],
  ] as const;

  beforeAll(async () => {
    own = await inProcessStack({ TMS_CONFIG: 'test/fixtures/config/insights.config.yaml' });
    ownSlack = slackOf(own);
    // Each incident comes with its own dedup_key and is resolved with the same fix.
    for (const [dedupKey, summary] of INCIDENTS) {
      const id = await lag(dedupKey, summary);
      await ownSlack.client.command(`resolve ${id} restarted the consumer group`, {
        user: ANA,
        channel: CHECKOUT,
      });
      await settle(own);
    }
  });

  it('/tms playbook lists them as one recurring issue, with the fix that worked three times', async () => {
    const answer = await ownSlack.client.command('playbook checkout', { user: BEN, channel: CHECKOUT });
    const text = JSON.stringify(answer.body);
    expect(text).not.toContain('No recurring issues');
    expect(text).toContain('Consumer lag 311 on checkout-5f6d7c8b94-lm2vx'); // named by its latest task
    expect(text).toMatch(/3 times · median \*\d+ s\* to resolve · usually fixed by <@U01AAA> \(3×\)/);
    expect(text).toContain('restarted the consumer group (3×)');
  });

  it('the next one’s card says what fixed it the last times, and its predictions read those tasks', async () => {
    const id = await lag('0a7c55e19b3d4f68', 'Consumer lag 4521 on checkout-6c8d9f7b5-zt7wk');
    expect(ownSlack.cardText(id)).toMatch(/:bulb: Last 3 times: restarted the consumer group — median \d+ s/);
    // What the card and the SLA sweep predict from: the three similar tasks' times, at their 75th percentile.
    const history = await historyOf(
      own.deps.aggregates,
      (await own.deps.store.get(id)) as Task,
      new Date(),
      true,
    );
    expect(history.issue?.ttr.total).toBe(3);
    expect(typicalTime(history, 'resolve')).toEqual({
      ms: resolveTimeAt(history.issue as never, 0.75),
      basis: 'issue',
    });
  });
});
