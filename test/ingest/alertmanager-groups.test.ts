import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyAction } from '../../src/core/lifecycle.js';
import type { Task } from '../../src/core/task.js';
import { ManualClock } from '../../src/core/time.js';
import { resolveSilentGroups } from '../../src/core/use-cases/alert-groups.js';
import { ingest } from '../../src/ingest/pipeline.js';
import { MemorySilenceStore } from '../fakes/memory-silence-store.js';
import { MemoryTaskStore } from '../fakes/memory-task-store.js';
import { request, SECRETS } from '../helpers/crash.js';
import { config, depsFor, perAlertConfig, slack } from '../helpers/factories.js';
import { API, getJson, inProcessStack, postJson, type TestStack } from '../helpers/local-stack.js';
import { GENERAL, settle, slackOf } from '../helpers/slack.js';

/**
 * Alertmanager's webhook (version 4) as Alertmanager sends it for one group: the upstream fixture
 * (test/fixtures/alertmanager/README.md) with its one alert made `size` alerts, one per probed server, as a
 * `group_by: [alertname]` route sends a 300-target outage. As in Alertmanager's own notifications
 * (notify/webhook), `commonLabels` are the labels every alert has, and `commonAnnotations` the annotations
 * every alert has (none here: each summary names its server); the webhook's `status` is `firing` while
 * any alert of the group fires.
 */
const FIXTURE = JSON.parse(readFileSync('test/fixtures/alertmanager/alertmanager-v4-firing.json', 'utf8'));
const [PROBE] = FIXTURE.alerts;
const STARTS = Date.parse('2026-11-22T10:00:00Z');

interface Member {
  readonly n: number;
  readonly status?: 'firing' | 'resolved';
  /** Seconds after the group's first alert it started firing. */
  readonly startedAfter?: number;
}

function member(group: string, { n, status = 'firing', startedAfter = n }: Member) {
  const instance = `https://server-${n}.example.org`;
  return {
    ...PROBE,
    status,
    labels: { ...PROBE.labels, alertname: group, instance },
    annotations: {
      summary: `BlackBox Probe Failure: ${instance}`,
      description: `Instance ${instance} has been down for over 5m. Job: http_checks`,
    },
    startsAt: new Date(STARTS + startedAfter * 1000).toISOString(),
    endsAt: status === 'resolved' ? new Date(STARTS + 3_600_000).toISOString() : '0001-01-01T00:00:00Z',
    // Alertmanager's own: a hash of the labels, 16 hex digits.
    fingerprint: createHash('sha256').update(`${group}#${n}`).digest('hex').slice(0, 16),
  };
}

/** A notification of the group `group` (its alertname) listing `members`. */
function notification(group: string, members: readonly Member[]) {
  const { instance: _instance, ...common } = { ...PROBE.labels, alertname: group };
  return {
    ...FIXTURE,
    status: members.some((m) => (m.status ?? 'firing') === 'firing') ? 'firing' : 'resolved',
    alerts: members.map((m) => member(group, m)),
    groupLabels: { alertname: group },
    commonLabels: common,
    commonAnnotations: {},
    groupKey: `{}/{severity="critical"}:{alertname="${group}"}`,
  };
}

const servers = (count: number, status: 'firing' | 'resolved' = 'firing', from = 0): Member[] =>
  Array.from({ length: count }, (_, i) => ({ n: from + i, status }));

let stack: TestStack;
beforeAll(async () => {
  stack = await inProcessStack(); // tms.config.yaml: no `sources.alertmanager`, so `grouping: group`
});
afterAll(() => stack.close());

const send = async (body: unknown) => {
  const answer = await postJson(`${stack.url}/ingest/alertmanager`, body, {
    authorization: 'Bearer local-ingest-token',
  });
  expect(answer.status, JSON.stringify(answer.body)).toBe(202);
  await settle(stack);
  return answer.body.taskIds as string[];
};
const task = async (id: string) => (await getJson(`${stack.url}/api/tasks/${id}`, API())).body.task;
const cardsOf = (group: string) =>
  stack.slack
    .messages(GENERAL)
    .filter((m) => m.thread_ts === null && !m.ephemeral_user && JSON.stringify(m.blocks).includes(group));

describe('POST /ingest/alertmanager, one task per Alertmanager group (grouping: group, the default)', () => {
  it('makes a 300-alert group one task and one card that lists the group', async () => {
    // Act
    const ids = await send(notification('ProbeFailureA', servers(300)));
    // Assert
    expect(ids).toHaveLength(1);
    const opened = await task(ids[0] as string);
    expect(opened).toMatchObject({
      title: 'ProbeFailureA: 300 firing',
      priority: 'P1', // severity critical
      occurrences: 1,
      labels: { alertname: 'ProbeFailureA', job: 'http_checks', monitor: 'master', severity: 'critical' },
      group: {
        key: '{}/{severity="critical"}:{alertname="ProbeFailureA"}',
        firing: 300,
        resolved: 0,
        commonLabels: { alertname: 'ProbeFailureA', job: 'http_checks', severity: 'critical' },
      },
    });
    expect(opened.group.alerts).toHaveLength(10); // bounded, whatever the group's size
    expect(opened.group.alerts[0]).toEqual({
      name: 'ProbeFailureA',
      status: 'firing',
      labels: { instance: 'https://server-0.example.org' },
      startsAt: '2026-11-22T10:00:00.000Z',
    });
    expect(cardsOf('ProbeFailureA')).toHaveLength(1);
    const card = slackOf(stack).cardText(ids[0] as string);
    expect(card).toContain('300 firing, 0 resolved');
    expect(card).toContain('instance=https://server-0.example.org');
    expect(card).toContain('and 295 more');
    expect(card).toContain('alertname=ProbeFailureA · job=http_checks · monitor=master · severity=critical');
  });

  it('updates the counts on the task and its card as alerts resolve, counting no new occurrence', async () => {
    const [id] = await send(notification('ProbeFailureB', servers(300)));
    // Act: five resolved (Alertmanager lists them once more), then the next notification without them.
    const resolving = [...servers(5, 'resolved'), ...servers(295, 'firing', 5)];
    const fiveResolved = await send(notification('ProbeFailureB', resolving));
    const afterFive = {
      group: (await task(id as string)).group,
      card: slackOf(stack).cardText(id as string),
    };
    const repeated = await send(notification('ProbeFailureB', servers(295, 'firing', 5)));
    const afterRepeat = await task(id as string);
    // Assert
    expect([fiveResolved, repeated]).toEqual([[id], [id]]);
    expect(afterFive.group).toMatchObject({ firing: 295, resolved: 5 });
    expect(afterFive.card).toContain('295 firing, 5 resolved');
    expect(afterRepeat).toMatchObject({
      status: 'open',
      occurrences: 1,
      group: { firing: 295, resolved: 0 },
    });
    expect(slackOf(stack).cardText(id as string)).toContain('295 firing, 0 resolved');
    expect(cardsOf('ProbeFailureB')).toHaveLength(1);
  });

  it('counts a newly firing alert of the group as a new occurrence, and a repeat of the same set once', async () => {
    const [id] = await send(notification('ProbeFailureC', servers(3)));
    // Act
    await send(notification('ProbeFailureC', servers(3))); // repeat_interval: the same firing set
    await send(notification('ProbeFailureC', [...servers(3), { n: 3, startedAfter: 600 }]));
    // Assert
    expect(await task(id as string)).toMatchObject({ occurrences: 2, group: { firing: 4, resolved: 0 } });
  });

  it('resolves the task when Alertmanager reports the group resolved, even with alerts it stopped listing', async () => {
    const [id] = await send(notification('ProbeFailureD', servers(300)));
    // Act: ten alerts silenced (or inhibited) drop out of the group's notifications; then all the rest resolve.
    await send(notification('ProbeFailureD', servers(290, 'firing', 10)));
    const resolved = await send(notification('ProbeFailureD', servers(290, 'resolved', 10)));
    // Assert
    expect(resolved).toEqual([id]);
    expect(await task(id as string)).toMatchObject({
      status: 'resolved',
      resolvedBy: 'alertmanager',
      resolution: 'ProbeFailureD: all 290 alerts resolved',
      group: { firing: 0, resolved: 290 },
    });
    const card = slackOf(stack).cardText(id as string);
    expect(card).toContain('Resolved');
    expect(card).toContain('0 firing, 290 resolved');
    // The other HA peer's late copy of the last firing notification opens nothing.
    const late = {
      ...notification('ProbeFailureD', servers(290, 'firing', 10)),
      externalURL: 'http://am-1:9093',
    };
    expect(await send(late)).toEqual([]);
    expect(await task(id as string)).toMatchObject({ status: 'resolved' });
    expect(cardsOf('ProbeFailureD')).toHaveLength(1);
  });

  it('reads a webhook without a groupKey alert by alert', async () => {
    const { groupKey: _key, ...ungrouped } = notification('ProbeFailureE', servers(2));
    expect(await send(ungrouped)).toHaveLength(2);
  });

  it("groups Grafana's webhook by its groupKey too", async () => {
    const grafana = JSON.parse(readFileSync('test/fixtures/alertmanager/grafana-firing.json', 'utf8'));
    const ids = await send({ ...grafana, receiver: 'grafana-groups' });
    expect(ids).toHaveLength(1);
    expect(await task(ids[0] as string)).toMatchObject({
      fingerprint: 'alertmanager:group:grafana-groups:{}:{}',
      labels: { team: 'blue' },
      group: { firing: 2, resolved: 0, commonLabels: { team: 'blue' } },
    });
    // Grafana's own silence link (it has no Alertmanager UI), from the group's first firing alert (its
    // dashboard and panel URLs are empty in this example).
    const [first] = grafana.alerts;
    expect((await task(ids[0] as string)).links).toContainEqual({ label: 'Silence', url: first.silenceURL });
  });

  it('takes an alert with an empty alertname as a member of its group, not as a malformed delivery', async () => {
    const body = notification('EmptyNames', servers(2));
    body.alerts[0].labels.alertname = '';
    const ids = await send({
      ...body,
      commonLabels: { job: 'http_checks' },
      groupLabels: { job: 'http_checks' },
    });
    expect(ids).toHaveLength(1);
    expect((await task(ids[0] as string)).group.firing).toBe(2);
  });
});

describe('the ingest pipeline on a group Alertmanager keeps notifying', () => {
  it('keeps when Alertmanager last notified the group, though its HA peers repeat it unchanged', async () => {
    const store = new MemoryTaskStore();
    const deps = depsFor(store, new ManualClock('2026-11-22T11:00:00.000Z'));
    const deliver = (peer: string) =>
      ingest(
        deps,
        'alertmanager',
        request(JSON.stringify({ ...notification('ProbeFailureG', servers(3)), externalURL: peer })),
        SECRETS,
      );
    await deliver('http://am-0:9093');
    // Act: a peer's copy a second later (no write), then a third peer's at the next repeat_interval. (The same
    // peer's repeat is the same body, which TMS takes for a retry of the delivery it archived.)
    deps.clock.advance(1_000);
    await deliver('http://am-1:9093');
    const afterCopy = await store.get('TMS-1');
    deps.clock.advance(4 * 3_600_000);
    await deliver('http://am-2:9093');
    // Assert
    expect(afterCopy).toMatchObject({ version: 1, group: { notifiedAt: '2026-11-22T11:00:00.000Z' } });
    expect(await store.get('TMS-1')).toMatchObject({
      occurrences: 1,
      version: 2,
      group: { firing: 3, notifiedAt: '2026-11-22T15:00:01.000Z' },
    });
  });
});

describe('the priority of a group task', () => {
  it('is raised when a more severe alert joins the group, and never lowered by a milder one', async () => {
    // Prepare: a group of warnings (P3), its common labels without a severity.
    const store = new MemoryTaskStore();
    const deps = depsFor(store, new ManualClock('2026-11-22T11:00:00.000Z'));
    const withSeverities = (severities: readonly string[]) => {
      const body = notification('ClusterTrouble', servers(severities.length));
      const alerts = body.alerts.map((a: { labels: Record<string, string> }, i: number) => ({
        ...a,
        labels: { ...a.labels, severity: severities[i] },
      }));
      const { severity: _, ...common } = body.commonLabels;
      return JSON.stringify({ ...body, alerts, commonLabels: common });
    };
    await ingest(deps, 'alertmanager', request(withSeverities(['warning', 'warning'])), SECRETS);
    const opened = await store.get('TMS-1');
    // Act: a critical alert starts firing in the same group; later the critical one resolves (warnings only).
    deps.clock.advance(60_000);
    await ingest(deps, 'alertmanager', request(withSeverities(['warning', 'warning', 'critical'])), SECRETS);
    const raised = await store.get('TMS-1');
    deps.clock.advance(60_000);
    await ingest(
      deps,
      'alertmanager',
      request(withSeverities(['warning', 'warning', 'warning', 'warning'])),
      SECRETS,
    );
    // Assert
    expect(opened?.priority).toBe('P3');
    expect(raised?.priority).toBe('P1');
    expect((await store.get('TMS-1'))?.priority).toBe('P1');
    const changes = (await store.timeline('TMS-1')).filter((e) => e.type === 'priority_changed');
    expect(changes).toHaveLength(1);
  });
});

describe('a group Alertmanager stops notifying (grouping: group, staleAfter)', () => {
  const STALE_AFTER = 12 * 3_600_000;
  const staleConfig = {
    ...config,
    sources: { ...config.sources, alertmanager: { grouping: 'group' as const, staleAfter: STALE_AFTER } },
  };
  const setup = () => {
    const store = new MemoryTaskStore();
    const deps = depsFor(store, new ManualClock('2026-11-22T11:00:00.000Z'), { config: staleConfig });
    const body = JSON.stringify(notification('ProbeFailureS', servers(3)));
    const deliver = () => ingest(deps, 'alertmanager', request(body), SECRETS);
    return { store, deps, deliver };
  };

  it('hears the group again in the same body Alertmanager repeats every repeat_interval', async () => {
    // Prepare: the group's first notification.
    const { store, deps, deliver } = setup();
    await deliver();
    // Act: the unchanged group's repeat 4 h later is byte for byte the first (a retry as far as the archive knows).
    deps.clock.advance(4 * 3_600_000);
    await deliver();
    // Assert: no new occurrence, but the group was heard now.
    expect(await store.get('TMS-1')).toMatchObject({
      occurrences: 1,
      group: { notifiedAt: '2026-11-22T15:00:00.000Z' },
    });
  });

  it('resolves a group task not notified for staleAfter (the whole group muted), and no sooner', async () => {
    // Prepare: notified at 11:00 and 15:00; then `amtool silence add alertname=ProbeFailureS`: nothing more comes.
    const { store, deps, deliver } = setup();
    await deliver();
    deps.clock.advance(4 * 3_600_000);
    await deliver();
    // Act: sweeps just before and just after 12 h of silence since the last notification.
    const early = await resolveSilentGroups(deps, new Date(Date.parse('2026-11-23T03:00:00.000Z') - 1_000));
    const late = await resolveSilentGroups(deps, new Date('2026-11-23T03:00:01.000Z'));
    // Assert
    expect([early, late]).toEqual([0, 1]);
    const resolved = await store.get('TMS-1');
    expect(resolved).toMatchObject({ status: 'resolved', resolvedBy: 'alertmanager' });
    expect(resolved?.resolution).toMatch(/has not notified this group since 2026-11-22T15:00:00.000Z/);
    expect((await store.fingerprint(resolved?.fingerprint ?? ''))?.openTaskId).toBeUndefined();
  });

  it('opens a task again when the group comes back after staleAfter resolved it (the silence ended)', async () => {
    // Prepare: notified, then silent past staleAfter: the sweep resolves it.
    const { store, deps, deliver } = setup();
    await deliver();
    deps.clock.advance(STALE_AFTER + 60_000);
    expect(await resolveSilentGroups(deps, deps.clock.now())).toBe(1);
    // Act: the silence ends, and Alertmanager notifies the very same firing episode again.
    deps.clock.advance(60_000);
    await deliver();
    // Assert: still firing, so a task is open for it: not taken for a late copy of the resolved occurrence.
    const { tasks } = await store.list({ statuses: ['open'], limit: 10 });
    expect(tasks).toHaveLength(1);
    expect(tasks[0]?.group?.firing).toBe(3);
  });

  it('takes a TMS silence for no silence of Alertmanager: the group is still heard, nothing is resolved', async () => {
    // Prepare: the group's task is open; a responder silences its alerts in TMS for two days while they work.
    const store = new MemoryTaskStore();
    const silences = new MemorySilenceStore();
    const clock = new ManualClock('2026-11-22T11:00:00.000Z');
    const deps = depsFor(store, clock, { config: staleConfig, silences });
    const deliver = (hour: number) =>
      ingest(
        deps,
        'alertmanager',
        request(
          JSON.stringify({
            ...notification('ProbeFailureT', servers(3)),
            commonAnnotations: { hour: `${hour}` },
          }),
        ),
        SECRETS,
      );
    await deliver(0);
    await silences.createSilence({
      id: 'S-abcdef',
      matchers: [{ key: 'alertname', value: 'ProbeFailureT' }],
      reason: 'working on it',
      createdBy: 'U01AAA',
      createdAt: clock.now().toISOString(),
      endsAt: '2026-11-24T11:00:00.000Z',
      matched: 0,
    });
    // Act: Alertmanager notifies every hour for 16 hours (each held back by the silence), then the sweep runs.
    for (let hour = 1; hour <= 16; hour++) {
      clock.advance(3_600_000);
      await deliver(hour);
    }
    // Assert
    expect(await resolveSilentGroups(deps, clock.now())).toBe(0);
    expect(await store.get('TMS-1')).toMatchObject({
      status: 'open',
      occurrences: 1,
      group: { notifiedAt: '2026-11-23T03:00:00.000Z' },
    });
    expect((await silences.getSilence('S-abcdef'))?.matched).toBe(16);
  });

  it('leaves a task a person reopened to their clock: the sweep does not undo the reopen', async () => {
    // Prepare: resolved by Alertmanager, reopened by a person 14 h later (the group's last notice is older).
    const store = new MemoryTaskStore();
    const deps = depsFor(store, new ManualClock('2026-11-22T11:00:00.000Z'), { config: staleConfig });
    const firing = notification('ProbeFailureR', servers(2));
    await ingest(deps, 'alertmanager', request(JSON.stringify(firing)), SECRETS);
    deps.clock.advance(60_000);
    const resolvedBody = notification('ProbeFailureR', servers(2, 'resolved'));
    await ingest(deps, 'alertmanager', request(JSON.stringify(resolvedBody)), SECRETS);
    deps.clock.advance(14 * 3_600_000);
    const resolved = (await store.get('TMS-1')) as Task;
    const reopened = applyAction(resolved, { type: 'reopen' }, slack('U01AAA', deps.clock.now()));
    if (!reopened.ok) throw reopened.error;
    expect(await store.save(reopened.value.task, reopened.value.entries, resolved.version)).toBe('saved');
    // Act
    deps.clock.advance(60_000);
    const swept = await resolveSilentGroups(deps, deps.clock.now());
    // Assert
    expect(swept).toBe(0);
    expect((await store.get('TMS-1'))?.status).toBe('open');
  });

  it('leaves group tasks alone without staleAfter', async () => {
    const store = new MemoryTaskStore();
    const deps = depsFor(store, new ManualClock('2026-11-22T11:00:00.000Z'));
    await ingest(
      deps,
      'alertmanager',
      request(JSON.stringify(notification('ProbeFailureN', servers(2)))),
      SECRETS,
    );
    expect(await resolveSilentGroups(deps, new Date('2026-12-22T11:00:00.000Z'))).toBe(0);
    expect((await store.get('TMS-1'))?.status).toBe('open');
  });
});

describe('POST /ingest/alertmanager with grouping: alert', () => {
  it('makes a 300-alert group 300 tasks, one per alert, as before groups', async () => {
    const store = new MemoryTaskStore();
    const body = JSON.stringify(notification('ProbeFailureF', servers(300)));
    // Act: the ingest handler's pipeline, on a store of its own (300 cards are not what is tried here).
    const answer = await ingest(
      depsFor(store, undefined, { config: perAlertConfig }),
      'alertmanager',
      request(body),
      SECRETS,
    );
    // Assert
    expect(answer.statusCode, answer.body).toBe(202);
    expect(JSON.parse(answer.body ?? '{}').taskIds).toHaveLength(300);
    const { tasks } = await store.list({ limit: 500 });
    expect(tasks).toHaveLength(300);
    expect(new Set(tasks.map((t) => t.fingerprint)).size).toBe(300);
    expect(tasks.every((t) => t.group === undefined && t.labels.instance !== undefined)).toBe(true);
  });
});
