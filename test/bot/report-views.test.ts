import { describe, expect, it } from 'vitest';
import { digestView, trendsView } from '../../src/bot/report-views.js';
import { windowMetrics } from '../../src/core/aggregates/metrics.js';
import type { TrendEpisode } from '../../src/core/aggregates/trends.js';
import type { Digest } from '../../src/core/use-cases/reports.js';
import { aTask, config } from '../helpers/factories.js';

// Titles as bad as they come: as long as a task allows, every character one that escaping makes five.
const hostile = (n: number) => aTask({ id: `TMS-${n}`, title: `${'&'.repeat(299)}<`, priority: 'P1' });
const tasks = Array.from({ length: 10 }, (_, i) => hostile(i + 1));
const index = {
  tasks: new Map(tasks.map((t) => [t.id, t])),
  links: new Map(tasks.map((t) => [t.id, `https://slack.example/archives/C0PAYMENTS/p${t.id.slice(4)}`])),
};
const episode = (t: (typeof tasks)[number]): TrendEpisode => ({
  scope: `fp:${t.id}`,
  kind: 'fingerprint',
  service: 'checkout',
  channel: 'C0PAYMENTS',
  taskId: t.id,
  title: t.title,
  startedAt: t.createdAt,
  lastHeldAt: t.createdAt,
  recent: 9,
  expected: 1,
});

/** Every section and field within Slack's limits, and no more blocks than a message may have. */
function withinLimits(blocks: unknown[]) {
  expect(blocks.length).toBeLessThanOrEqual(50);
  for (const block of blocks as { type: string; text?: { text: string }; fields?: { text: string }[] }[]) {
    if (block.text) expect(block.text.text.length).toBeLessThanOrEqual(3000);
    for (const field of block.fields ?? []) expect(field.text.length).toBeLessThanOrEqual(2000);
    expect(block.fields?.length ?? 0).toBeLessThanOrEqual(10);
  }
}

describe('reports laid out in Block Kit', () => {
  it('keep a digest of the worst titles within Slack’s limits, escaped', () => {
    const ids = tasks.map((t) => t.id);
    const digest: Digest = {
      channel: 'C0PAYMENTS',
      from: '2026-03-01T09:00:00.000Z',
      to: '2026-03-02T09:00:00.000Z',
      openByPriority: { P1: 10, P2: 0, P3: 0, P4: 0 },
      open: tasks.slice(0, 5),
      openCount: 10,
      breached: tasks.slice(0, 5),
      atRisk: tasks.slice(5),
      opened: { count: 10, taskIds: ids.slice(0, 5) },
      resolved: { count: 3, taskIds: ids.slice(5) },
      trending: tasks.slice(0, 5).map(episode),
      noisiest: ids.slice(0, 3).map((taskId) => ({ taskId, events: 100 })),
      flakiest: ids.slice(0, 3).map((taskId) => ({ taskId, flaps: 4 })),
      metrics: windowMetrics({}, 86_400_000),
    };
    const { blocks } = digestView(digest, index, config.trends);
    withinLimits(blocks);
    expect(JSON.stringify(blocks)).not.toMatch(/[^&]&[^a]|<(?!https|#C0PAYMENTS|!date)/);
  });

  it('keep /tms trends within them too, however many trends there are', () => {
    const { blocks } = trendsView(
      { rule: config.trends, ongoing: tasks.map(episode), busiest: [] },
      'checkout',
      index,
    );
    withinLimits(blocks);
    expect(JSON.stringify(blocks)).toContain('…');
  });
});
