import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blockErrors, SLACK_LIMITS, viewErrors } from '../../src/adapters/slack/limits.js';
import { renderCard, taskLine } from '../../src/bot/card.js';
import { ephemeral } from '../../src/bot/replies.js';
import { digestView, playbookView, statsView, trendLine, trendsView } from '../../src/bot/report-views.js';
import { clip, escapeMrkdwn, mrkdwn } from '../../src/bot/text.js';
import { homeView, newTaskModal, resolveModal } from '../../src/bot/views.js';
import { windowMetrics } from '../../src/core/aggregates/metrics.js';
import { emptyStats } from '../../src/core/aggregates/resolutions.js';
import type { TrendEpisode } from '../../src/core/aggregates/trends.js';
import { parseConfig } from '../../src/core/config.js';
import type { Task } from '../../src/core/task.js';
import { taskFromAlert } from '../../src/core/use-cases/open-task.js';
import type { Digest } from '../../src/core/use-cases/reports.js';
import { AlertmanagerWebhook, normalizeGroup } from '../../src/ingest/sources/alertmanager.js';
import { aTask, config, T0 } from '../helpers/factories.js';

// What a hostile sender types: every character one that escaping grows (`&` and `<` five and four times),
// link and bold syntax, line breaks and astral characters.
const hostileText = (max: number) =>
  fc
    .string({ unit: fc.constantFrom('&', '<', '>', '|', '*', '\n', 'a', '🚀'), maxLength: max })
    .map((s) => s.slice(0, max));
const worst = (n: number, unit = '&') => unit.repeat(n);

/** No entity and no `<…>` token left in half: every `&` starts an entity and every `<` is closed. */
function wholeTokens(text: string) {
  expect(text).not.toMatch(/&(?!amp;|lt;|gt;)/);
  expect(text).not.toMatch(/<[^>]*(?:<|$)/);
}

/** Every mrkdwn text in some blocks (plain text shows `&` and `<` as they are: nothing to keep whole). */
const allTexts = (value: unknown): string[] => {
  if (Array.isArray(value)) return value.flatMap(allTexts);
  if (!value || typeof value !== 'object') return [];
  const object = value as Record<string, unknown>;
  if (object.type === 'mrkdwn' && typeof object.text === 'string') return [object.text];
  return Object.values(object).flatMap(allTexts);
};

/** What Slack would take in a message: no `invalid_blocks`, no `msg_too_long`, no token cut. */
function postable(message: { text: string; blocks?: unknown[] }) {
  expect(message.text.length).toBeLessThanOrEqual(SLACK_LIMITS.messageText);
  expect(blockErrors(message.blocks ?? [], 'message')).toEqual([]);
  for (const text of [message.text, ...allTexts(message.blocks)]) wholeTokens(text);
}

function showable(view: Record<string, unknown>) {
  expect(viewErrors(view)).toEqual([]);
  for (const text of allTexts(view.blocks)) wholeTokens(text);
}

/** A task with every field a sender controls at the largest size its source allows. */
function hostileTask(fields: {
  title: string;
  description: string;
  resolution: string;
  service: string;
  label: string;
}): Task {
  return aTask({
    id: 'TMS-123456',
    title: fields.title || 'x',
    description: fields.description,
    resolution: fields.resolution || null,
    status: fields.resolution ? 'resolved' : 'open',
    resolvedAt: fields.resolution ? T0 : null,
    service: fields.service || 'x',
    team: fields.service || null,
    kind: 'alert',
    labels: { flaky: fields.label || 'x' },
    links: Array.from({ length: 20 }, (_, i) => ({
      label: (fields.label || 'l').slice(0, 80),
      url: `https://ci.example/${i}/${'p'.repeat(i * 150)}?q=${encodeURIComponent(fields.label)}`,
    })),
  });
}

const fieldsArb = fc.record({
  title: hostileText(300),
  description: hostileText(4_000),
  resolution: hostileText(4_000),
  service: hostileText(2_048),
  label: hostileText(1_000),
});
const WORST = {
  title: worst(300),
  description: worst(4_000),
  resolution: worst(4_000, '<'),
  service: worst(2_048),
  label: worst(1_000),
};

function everySurface(task: Task) {
  const now = new Date(T0);
  const viewer = { id: 'U01AAA', role: 'admin' as const };
  postable(
    renderCard(task, {
      now,
      viewer,
      note: `:information_source: Posted here because TMS cannot post in ${mrkdwn(task.service, 300)}.`,
      insight: { suggestion: task.description, typicalMs: { ack: 60_000 } },
    }),
  );
  showable(resolveModal(task, 'C0GENERAL') as never);
  showable(
    homeView(
      {
        mine: Array.from({ length: 30 }, () => task),
        teams: Array.from({ length: 10 }, (_, i) => ({ team: `${task.service}${i}`, tasks: [task, task] })),
        permalinks: new Map([[task.id, 'https://tms-local.slack.com/archives/C0GENERAL/p1']]),
        notice: escapeMrkdwn(task.title),
      },
      viewer,
      now,
    ) as never,
  );
  const index = { tasks: new Map([[task.id, task]]), links: new Map([[task.id, 'https://x.example/p1']]) };
  const episode: TrendEpisode = {
    scope: `fp:${task.id}`,
    kind: 'fingerprint',
    service: task.service,
    channel: 'C0PAYMENTS',
    taskId: task.id,
    title: task.title,
    startedAt: T0,
    lastHeldAt: T0,
    recent: 9,
    expected: 1,
  };
  const metrics = windowMetrics({}, 86_400_000);
  postable(
    statsView({
      service: task.service,
      windowMs: 86_400_000,
      overall: metrics,
      byPriority: { P1: metrics, P2: metrics, P3: metrics, P4: metrics },
    }),
  );
  postable(
    trendsView(
      {
        rule: config.trends,
        ongoing: Array.from({ length: 30 }, () => episode),
        busiest: Array.from({ length: 30 }, () => ({
          kind: 'service' as const,
          service: task.service,
          reading: { recent: 3, expected: 1, trending: true },
        })) as never,
      },
      task.service,
      index,
    ),
  );
  const many = Array.from({ length: 30 }, () => task);
  const digest: Digest = {
    channel: 'C0PAYMENTS',
    from: T0,
    to: T0,
    openByPriority: { P1: 30, P2: 0, P3: 0, P4: 0 },
    open: many,
    openCount: 30,
    breached: many,
    atRisk: many,
    opened: { count: 30, taskIds: many.map((t) => t.id) },
    resolved: { count: 30, taskIds: many.map((t) => t.id) },
    trending: many.map(() => episode),
    noisiest: many.map((t) => ({ taskId: t.id, events: 100 })),
    flakiest: many.map((t) => ({ taskId: t.id, flaps: 4 })),
    metrics,
  };
  postable(digestView(digest, index, config.trends));
  // A playbook of 60 recurring issues, each with the longest notes and titles there are.
  const notes = Array.from({ length: 10 }, (_, i) => ({ value: `n${i}`, count: 5, error: 0 }));
  const issue = {
    ...emptyStats({ kind: 'issue', service: task.service, issue: 'issue:fp' }),
    title: task.title,
    lastTaskId: task.id,
    times: 5,
    notes: { capacity: 10, entries: notes },
    noteText: Object.fromEntries(notes.map((n) => [n.value, task.resolution ?? task.description])),
    resolvers: { capacity: 5, entries: [{ value: 'U01AAA', count: 3, error: 0 }] },
  };
  postable(
    playbookView(
      task.service,
      Array.from({ length: 60 }, () => ({ stats: issue, medianResolveMs: 60_000 })),
      'https://wiki.example/runbook',
      index,
    ),
  );
  postable({ text: `:chart_with_upwards_trend: *Trending* · ${trendLine(episode, config.trends)}` });
  postable({ text: taskLine(task, now) });
  postable(ephemeral(escapeMrkdwn(task.description.repeat(20)), renderCard(task, { now }).blocks));
}

describe('every surface within what Slack takes, whatever was typed', () => {
  it('keeps the card, modals, App Home, reports, trend lines and replies within limits at the largest hostile sizes', () => {
    everySurface(hostileTask(WORST));
  });

  it('keeps them within limits for any mix of characters that escaping grows', () => {
    fc.assert(
      fc.property(fieldsArb, (fields) => everySurface(hostileTask(fields))),
      { numRuns: 60 },
    );
  });

  it('keeps the description, the resolution and the service field within a section and a field after escaping', () => {
    // Before: 2,800 characters were cut before escaping, so `&` × 2,800 was posted as a 14,000-character section.
    const { blocks } = renderCard(hostileTask(WORST), { now: new Date(T0) });
    const lengths = allTexts(blocks).map((t) => t.length);
    expect(Math.max(...lengths)).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    const fields = (blocks.find((b) => 'fields' in b && b.fields) as { fields: { text: string }[] }).fields;
    for (const field of fields) expect(field.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fieldText);
  });

  it('keeps the card of a 300-alert Alertmanager group within limits, its labels and group key at their largest', () => {
    // What Alertmanager could send: every label key and value at its largest in characters escaping grows.
    const labels = (prefix: string) =>
      Object.fromEntries(
        Array.from({ length: 40 }, (_, i) => [`${prefix}${i}${worst(60)}`, worst(1_000, '<')]),
      );
    const webhook = AlertmanagerWebhook.parse({
      version: '4',
      status: 'firing',
      receiver: worst(500),
      groupKey: `{}:{${worst(5_000)}}`,
      truncatedAlerts: 19_700,
      commonLabels: { ...labels('c'), alertname: worst(1_000) },
      commonAnnotations: { summary: worst(1_000) },
      alerts: Array.from({ length: 300 }, (_, n) => ({
        status: n % 3 === 0 ? 'resolved' : 'firing',
        labels: { ...labels(`m${n}-`), alertname: worst(1_000, '<') },
        startsAt: new Date(Date.parse(T0) + n * 1000).toISOString(),
        fingerprint: n.toString(16).padStart(16, '0'),
      })),
    });
    const [alert] = normalizeGroup(webhook, new Date(T0), config).alerts;
    const ctx = { actor: { type: 'source', id: 'alertmanager' }, via: 'ingest', now: new Date(T0) } as const;
    const { task } = taskFromAlert(
      'TMS-123456',
      alert ?? expect.fail('one alert for the group'),
      config,
      ctx,
    );
    // Act
    const card = renderCard(task, { now: new Date(T0) });
    // Assert
    postable(card);
    expect(JSON.stringify(card.blocks)).toContain('200 firing, 100 resolved');
    expect(JSON.stringify(card.blocks)).toContain('and 295 more');
    // The task item stays far under DynamoDB's 400 KB: its labels (64 KB at most) and its group's common ones.
    expect(Buffer.byteLength(JSON.stringify(task))).toBeLessThan(160_000);
  });

  it('offers in the new-task form only services whose name can come back as an option value', () => {
    const long = `svc-${'x'.repeat(176)}`; // a valid name (at most 200 bytes) longer than an option value (150)
    const withServices = parseConfig(`
defaults: { channel: C0GENERAL, priority: P3 }
services:
  checkout: { channel: C0CHECKOUT }
  ${long}: { channel: C0CHECKOUT }
`);
    const view = newTaskModal(withServices, 'C0GENERAL') as unknown as Record<string, unknown>;
    showable(view);
    expect(JSON.stringify(view)).toContain('"value":"checkout"');
    expect(JSON.stringify(view)).not.toContain(long);
  });
});

describe('clip', () => {
  it('never leaves an entity, a date, mention or link token, or a surrogate pair in half', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.constantFrom(
            '&amp;',
            '&lt;',
            '&gt;',
            '<!date^1772442000^{time}|09:00>',
            '<@U01AAA>',
            '<https://x.example|x>',
            'a',
            '\n',
            '🚀',
          ),
          { maxLength: 400 },
        ),
        fc.integer({ min: 2, max: 3_000 }),
        fc.boolean(),
        (parts, max, atLine) => {
          const text = parts.join('');
          const clipped = clip(text, max, { atLine });
          expect(clipped.length).toBeLessThanOrEqual(max);
          if (text.length <= max) expect(clipped).toBe(text);
          else {
            expect(clipped.endsWith('…')).toBe(true);
            expect(text.startsWith(clipped.slice(0, -1).replace(/\n$/, ''))).toBe(true);
            wholeTokens(clipped);
            expect(clipped).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
          }
        },
      ),
    );
  });

  it('bounds what was typed as posted, after escaping', () => {
    expect(mrkdwn('&'.repeat(10), 12)).toBe('&amp;&amp;…');
    expect(mrkdwn('a<b', 3)).toBe('a…');
  });
});
