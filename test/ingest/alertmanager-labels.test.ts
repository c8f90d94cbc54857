import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/core/bounds.js';
import { API, getJson, inProcessStack, postJson, type TestStack } from '../helpers/local-stack.js';
import { BEN, GENERAL, settle, slackOf } from '../helpers/slack.js';

/** A real Alertmanager body (test/fixtures/alertmanager/README.md) whose one alert is given these labels. */
function delivery(
  fingerprint: string,
  labels: Record<string, string>,
  annotations: Record<string, string> = {},
) {
  const body = JSON.parse(readFileSync('test/fixtures/alertmanager/alertmanager-v4-firing.json', 'utf8'));
  body.alerts = [
    {
      ...body.alerts[0],
      fingerprint,
      labels,
      annotations: { ...body.alerts[0].annotations, ...annotations },
    },
  ];
  // A group of one alert, as Alertmanager sends it with `group_by: ['...']` (no grouping): the group's labels
  // and what it shares are all of that alert's.
  body.commonLabels = labels;
  body.commonAnnotations = body.alerts[0].annotations;
  body.groupLabels = labels;
  body.groupKey = `{}:{alertname="${labels.alertname}",fp="${fingerprint}"}`;
  return body;
}

/** 40 labels, as a Kubernetes pod's alert easily has: `a00`…`a37`, then the two that sort last. */
const manyLabels = (last: Record<string, string>) => ({
  alertname: 'DiskFull',
  ...Object.fromEntries(Array.from({ length: 38 }, (_, i) => [`a${String(i).padStart(2, '0')}`, `v${i}`])),
  ...last,
});

let dir: string;
let stack: TestStack;
let slack: ReturnType<typeof slackOf>;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tms-am-labels-'));
  const config = join(dir, 'tms.config.yaml');
  writeFileSync(
    config,
    [
      'services:',
      '  storage:',
      '    channel: C0STORAGE',
      '    match:',
      '      labels: { zz_team: storage }',
      '',
    ].join('\n'),
  );
  stack = await inProcessStack({ TMS_CONFIG: config });
  slack = slackOf(stack);
});
afterAll(async () => {
  await stack.close();
  rmSync(dir, { recursive: true, force: true });
});

const send = (body: unknown) =>
  postJson(`${stack.url}/ingest/alertmanager`, body, { authorization: 'Bearer local-ingest-token' });
const task = async (id: string) => (await getJson(`${stack.url}/api/tasks/${id}`, API())).body.task;

describe('Alertmanager labels: every one is matched on, only the card caps what it shows', () => {
  it('routes by a `match.labels` rule on the 40th label, keeps all 40, and shows the first few on the card', async () => {
    const answer = await send(
      delivery('many-labels-route', manyLabels({ zz_owner: 'ops', zz_team: 'storage' })),
    );
    expect(answer.status).toBe(202);
    const [id] = answer.body.taskIds;
    const routed = await task(id);
    expect(routed).toMatchObject({ service: 'storage', channel: 'C0STORAGE' });
    expect(Object.keys(routed.labels)).toHaveLength(41);
    expect(routed.labels).toMatchObject({ zz_owner: 'ops', zz_team: 'storage' });
    await settle(stack);
    const card = slack.cardText(id);
    expect(card).toContain('a00=v0');
    expect(card).toContain(`and ${41 - LIMITS.labelsShown} more`);
    expect(card).not.toContain('zz_team=storage');
  });

  it('holds an alert back by a `/tms silence` on its 40th label', async () => {
    const reply = await slack.client.command('silence zz_owner=nobody 30m', { user: BEN, channel: GENERAL });
    expect(String(reply.body.text)).toContain('Silenced');
    const held = await send(
      delivery('many-labels-silenced', manyLabels({ zz_owner: 'nobody', zz_team: 'x' })),
    );
    const passes = await send(
      delivery('many-labels-passes', manyLabels({ zz_owner: 'somebody', zz_team: 'x' })),
    );
    expect(held.body.taskIds).toEqual([]);
    expect(passes.body.taskIds).toHaveLength(1);
  });

  it('leaves out whole, and names, only labels beyond the byte budget', async () => {
    const huge = 'x'.repeat(LIMITS.labelBytes);
    const answer = await send(delivery('labels-over-budget', { alertname: 'Big', huge, small: 'kept' }));
    const kept = await task(answer.body.taskIds[0]);
    expect(kept.labels).toEqual({ alertname: 'Big', small: 'kept' });
    expect(kept.description).toContain('1 label left out (over the 64 KB of labels kept): huge');
  });
});

describe('Alertmanager links: whole or not at all', () => {
  it('keeps a 2,040-character runbook_url whole, and drops a 2,500-character one instead of cutting it', async () => {
    const url = (length: number) => `https://wiki.example/runbooks/${'r'.repeat(length - 30)}`;
    const fits = await send(delivery('long-runbook-fits', { alertname: 'A' }, { runbook_url: url(2040) }));
    const over = await send(delivery('long-runbook-over', { alertname: 'B' }, { runbook_url: url(2500) }));
    const whole = await task(fits.body.taskIds[0]);
    const dropped = await task(over.body.taskIds[0]);
    expect(whole.links.find((l: { label: string }) => l.label === 'Runbook')?.url).toBe(url(2040));
    expect(dropped.links.map((l: { label: string }) => l.label)).not.toContain('Runbook');
    expect(dropped.description).toContain('1 links left out');
    for (const t of [whole, dropped])
      for (const l of t.links as { url: string }[]) expect(l.url.endsWith('…')).toBe(false);
  });
});

describe('Alertmanager links back', () => {
  it("links the card to the alert in Alertmanager's UI and to its silence form, pre-filled with its labels", async () => {
    const labels = { alertname: 'ProbeFailure', instance: 'https://server.example.org', job: 'say "hi"' };
    const answer = await send(delivery('links-back', labels));
    const { links } = await task(answer.body.taskIds[0]);
    const filter = encodeURIComponent(
      '{alertname="ProbeFailure",instance="https://server.example.org",job="say \\"hi\\""}',
    );
    expect(links).toEqual(
      expect.arrayContaining([
        { label: 'Alertmanager', url: `http://prometheus.example.org:9093/#/alerts?filter=${filter}` },
        {
          label: 'Silence in Alertmanager',
          url: `http://prometheus.example.org:9093/#/silences/new?filter=${filter}`,
        },
      ]),
    );
    await settle(stack);
    expect(slack.cardText(answer.body.taskIds[0])).toContain('Silence in Alertmanager');
  });

  it('narrows the filter to the labels that fit rather than cut the link', async () => {
    const answer = await send(delivery('links-long', { alertname: 'Big', zz: 'v'.repeat(2000) }));
    const link = (await task(answer.body.taskIds[0])).links.find(
      (l: { label: string }) => l.label === 'Alertmanager',
    );
    expect(decodeURIComponent(link.url.split('filter=')[1])).toBe('{alertname="Big"}');
  });
});
