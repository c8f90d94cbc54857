import type { KnownBlock } from '@slack/web-api';
import { type BlockBuilder, Blocks, Message } from 'slack-block-builder';
import { SLACK_LIMITS } from '../adapters/slack/limits.js';
import type { WindowMetrics } from '../core/aggregates/metrics.js';
import { commonFixes, readableDuration, usualResolvers } from '../core/aggregates/resolutions.js';
import type { TrendEpisode, TrendRule } from '../core/aggregates/trends.js';
import { cut } from '../core/bounds.js';
import { PRIORITIES, type Task } from '../core/task.js';
import type {
  Digest,
  PlaybookEntry,
  StatsReport,
  TaskIndex,
  TrendsReport,
} from '../core/use-cases/reports.js';
import { PRIORITY_ICON } from './card.js';
import { clip, fitBlocks, link, mention, messageText, mrkdwn, slackDate } from './text.js';

/** "8× its usual rate" or, for an issue the baseline never saw, "new: nothing in the previous 24 h". */
export function rateWords(episode: Pick<TrendEpisode, 'recent' | 'expected'>, rule: TrendRule): string {
  if (episode.expected <= 0) return `new: none in the ${readableDuration(rule.baseline)} before`;
  const ratio = episode.recent / episode.expected;
  return `${ratio >= 10 ? Math.round(ratio) : Math.round(ratio * 10) / 10}× its usual rate`;
}

/** The sentence a trend is posted as (and listed as by `/tms trends`). */
export function trendLine(episode: TrendEpisode, rule: TrendRule, permalink?: string): string {
  const counted = `${episode.recent} event${episode.recent === 1 ? '' : 's'} in the last ${readableDuration(rule.window)}, ${rateWords(episode, rule)}`;
  if (episode.kind === 'fingerprint') {
    const id = episode.taskId ? (permalink ? link(permalink, episode.taskId) : `*${episode.taskId}*`) : '';
    return `${id} ${mrkdwn(episode.title, 120)} (${mrkdwn(episode.service, 200)}): ${counted}`.trim();
  }
  return `*${mrkdwn(episode.service, 200)}* as a whole: ${counted}`;
}

const blocksOf = (...blocks: (BlockBuilder | undefined)[]) =>
  fitBlocks(
    Message()
      .blocks(...blocks.filter((b) => b !== undefined))
      .getBlocks() as KnownBlock[],
    'message',
  );

/** A section whose text stays within Slack's limit, cut at a line (a link or an entity is never cut in two). */
const section = ({ text }: { text: string }) =>
  Blocks.Section({ text: clip(text, SLACK_LIMITS.sectionText, { atLine: true }) });

const ms = (value: number | null) => (value === null ? '—' : readableDuration(value));
const percent = (share: number | null) => (share === null ? '—' : `${Math.round(share * 1000) / 10}%`);

/** A task named in a report: its card's link, title and priority. */
function taskRef(index: TaskIndex, taskId: string, max = 80): string {
  const task = index.tasks.get(taskId);
  const permalink = index.links.get(taskId);
  const id = permalink ? link(permalink, taskId) : `*${taskId}*`;
  return task ? `${PRIORITY_ICON[task.priority]} ${id} ${mrkdwn(task.title, max)}` : id;
}

function metricsLine(m: WindowMetrics): string {
  return [
    `MTTA *${ms(m.mttaMs)}*`,
    `MTTR *${ms(m.mttrMs)}*`,
    `MTBF *${ms(m.mtbfMs)}*`,
    `SLA *${percent(m.slaAdherence)}* met${m.slaMet + m.slaMissed > 0 ? ` (${m.slaMet} of ${m.slaMet + m.slaMissed})` : ''}`,
  ].join(' · ');
}

/** `/tms stats`: the window's figures, then one line per priority that saw anything. */
export function statsView(report: StatsReport): { text: string; blocks: KnownBlock[] } {
  const { overall } = report;
  const scope = report.service ? `*${mrkdwn(report.service, 200)}*` : 'all services';
  const window = readableDuration(report.windowMs);
  const counts = [
    `Opened *${overall.opened}*`,
    ...(overall.reopened > 0 ? [`reopened *${overall.reopened}*`] : []),
    `acknowledged *${overall.acknowledged}*`,
    `resolved *${overall.resolved}*${overall.autoResolved > 0 ? ` (${overall.autoResolved} by their source)` : ''}`,
    `alert events *${overall.events}*`,
    ...(overall.flaps > 0 ? [`flaps *${overall.flaps}*`] : []),
  ].join(' · ');
  const rows = PRIORITIES.filter((p) => {
    const m = report.byPriority[p];
    return m.opened + m.acknowledged + m.resolved > 0;
  }).map((p) => {
    const m = report.byPriority[p];
    return `${PRIORITY_ICON[p]} *${p}* · opened ${m.opened} · resolved ${m.resolved} · ${metricsLine(m)}`;
  });
  const text = `Stats for ${report.service ? mrkdwn(report.service, 200) : 'all services'}, last ${window}: MTTA ${ms(overall.mttaMs)}, MTTR ${ms(overall.mttrMs)}, MTBF ${ms(overall.mtbfMs)}, SLA ${percent(overall.slaAdherence)}`;
  return {
    text,
    blocks: blocksOf(
      section({ text: `:bar_chart: Stats for ${scope}, last ${window}` }),
      section({ text: `${counts}\n${metricsLine(overall)}` }),
      rows.length > 0
        ? section({ text: rows.join('\n') })
        : Blocks.Context().elements('Nothing was opened, acknowledged or resolved in this window.'),
      Blocks.Context().elements(
        'MTTA and MTTR count from when each task’s clock started; MTBF is the window less the time alerts took to resolve, over the alerts that opened or reopened; SLA counts the deadlines of stages done in the window.',
      ),
    ),
  };
}

/** `/tms trends`: the trends going on, then the busiest of the window read with the rule. */
export function trendsView(
  report: TrendsReport,
  service: string | null,
  index: TaskIndex,
): { text: string; blocks: KnownBlock[] } {
  const { rule } = report;
  const ongoing = report.ongoing.map(
    (e) => `• ${trendLine(e, rule, e.taskId ? index.links.get(e.taskId) : undefined)}`,
  );
  const busiest = report.busiest.map((row) => {
    const mark = row.reading.trending ? ':chart_with_upwards_trend:' : '•';
    const name =
      row.kind === 'fingerprint' && row.taskId
        ? taskRef(index, row.taskId, 70)
        : `*${mrkdwn(row.service, 200)}*`;
    return `${mark} ${name}: ${row.reading.recent} in the last ${readableDuration(rule.window)}, ${rateWords({ recent: row.reading.recent, expected: row.reading.expected }, rule)}`;
  });
  const where = service ? ` in *${mrkdwn(service, 200)}*` : '';
  const text = `Trending${service ? ` in ${mrkdwn(service, 200)}` : ''}: ${report.ongoing.length} now`;
  return {
    text,
    blocks: blocksOf(
      section({
        text:
          ongoing.length > 0
            ? `:chart_with_upwards_trend: *Trending now*${where}\n${ongoing.join('\n')}`
            : `Nothing is trending${where} right now.`,
      }),
      busiest.length > 0
        ? section({
            text: `*Busiest ${service ? 'alerts' : 'services'}, last ${readableDuration(rule.window)}*\n${busiest.join('\n')}`,
          })
        : undefined,
      Blocks.Context().elements(ruleWords(rule)),
    ),
  };
}

export const ruleWords = (rule: TrendRule): string =>
  `Trending: at least ${rule.minCount} events in the last ${readableDuration(rule.window)}, and ${rule.factor}× what the ${readableDuration(rule.baseline)} before would predict.`;

/** `/tms playbook <service>`. */
export function playbookView(
  service: string,
  entries: readonly PlaybookEntry[],
  runbook: string | undefined,
  index: TaskIndex,
): { text: string; blocks: KnownBlock[] } {
  const head = `:books: *Playbook for ${mrkdwn(service, 200)}*${runbook ? ` · ${link(runbook, 'Runbook')}` : ''}`;
  if (entries.length === 0) {
    return {
      text: `No recurring issues for ${mrkdwn(service, 200)} yet`,
      blocks: blocksOf(
        section({ text: head }),
        section({
          text: `No recurring issues for ${mrkdwn(service, 200)} yet: the playbook fills in as its alerts come back and are resolved.`,
        }),
      ),
    };
  }
  const sections = entries.map(({ stats, medianResolveMs }, i) => {
    const title = cut(stats.title ?? stats.lastTaskId ?? 'unnamed', 90);
    const permalink = stats.lastTaskId ? index.links.get(stats.lastTaskId) : undefined;
    const name = permalink ? link(permalink, title) : mrkdwn(title, 300);
    const who = usualResolvers(stats, 2).map((r) => `${mention(r.user)} (${r.count}×)`);
    const facts = [
      `${stats.times} time${stats.times === 1 ? '' : 's'}`,
      `median *${ms(medianResolveMs)}* to resolve`,
      ...(who.length > 0 ? [`usually fixed by ${who.join(', ')}`] : []),
      ...(stats.autoResolved > 0 ? [`${stats.autoResolved} recovered by themselves`] : []),
    ].join(' · ');
    const fixes = commonFixes(stats, 3).map((f) => `   ◦ ${mrkdwn(f.note, 150)} (${f.count}×)`);
    return section({
      text: `${i + 1}. *${name}*\n${facts}${fixes.length > 0 ? `\n${fixes.join('\n')}` : '\n   ◦ _no resolution notes yet_'}`,
    });
  });
  return {
    text: `Playbook for ${mrkdwn(service, 200)}: ${entries.length} recurring issue${entries.length === 1 ? '' : 's'}`,
    blocks: blocksOf(section({ text: head }), ...sections),
  };
}

/** The digest, laid out to be read at a glance: the numbers first, then what needs someone, then the rest. */
export function digestView(
  digest: Digest,
  index: TaskIndex,
  rule: TrendRule,
): { text: string; blocks: KnownBlock[] } {
  const since = slackDate(digest.from, '{date_short_pretty} {time}');
  const byPriority = PRIORITIES.map((p) => `${PRIORITY_ICON[p]} ${p} *${digest.openByPriority[p]}*`).join(
    '   ',
  );
  const list = (ids: readonly string[]) => ids.map((id) => `• ${taskRef(index, id)}`).join('\n');
  const tasks = (list_: readonly Task[]) => list(list_.map((t) => t.id));
  const m = digest.metrics;
  const sections = [
    Blocks.Header({ text: 'TMS digest' }),
    Blocks.Context().elements(`<#${digest.channel}> · since ${since} · ${digest.openCount} open`),
    section({ text: `*Open by priority*\n${byPriority}` }),
    Blocks.Section().fields(
      `*New*\n${digest.opened.count}`,
      `*Resolved*\n${digest.resolved.count}`,
      `*MTTA*\n${ms(m.mttaMs)}`,
      `*MTTR*\n${ms(m.mttrMs)}`,
      `*SLA met*\n${percent(m.slaAdherence)}`,
      `*SLA now*\n${digest.breached.length} breached · ${digest.atRisk.length} at risk`,
    ),
    digest.breached.length > 0
      ? section({ text: `:rotating_light: *SLA breached*\n${tasks(digest.breached)}` })
      : undefined,
    digest.atRisk.length > 0
      ? section({ text: `:warning: *SLA at risk*\n${tasks(digest.atRisk)}` })
      : undefined,
    digest.open.length > 0
      ? section({ text: `*Most urgent open*\n${tasks(digest.open)}` })
      : section({ text: '*Nothing open.* :tada:' }),
    digest.trending.length > 0
      ? section({
          text: `:chart_with_upwards_trend: *Trending*\n${digest.trending
            .map(
              (e: TrendEpisode) =>
                `• ${trendLine(e, rule, e.taskId ? index.links.get(e.taskId) : undefined)}`,
            )
            .join('\n')}`,
        })
      : undefined,
    digest.noisiest.length > 0
      ? section({
          text: `:loudspeaker: *Noisiest*\n${digest.noisiest.map((n) => `• ${taskRef(index, n.taskId)} — ${n.events} events`).join('\n')}`,
        })
      : undefined,
    digest.flakiest.length > 0
      ? section({
          text: `:repeat: *Flakiest*\n${digest.flakiest.map((f) => `• ${taskRef(index, f.taskId)} — flapped ${f.flaps}×`).join('\n')}`,
        })
      : undefined,
    digest.opened.taskIds.length > 0
      ? section({ text: `*New since then*\n${list(digest.opened.taskIds)}` })
      : undefined,
    digest.resolved.taskIds.length > 0
      ? section({ text: `*Resolved since then*\n${list(digest.resolved.taskIds)}` })
      : undefined,
  ];
  const text = `TMS digest: ${digest.openCount} open (${PRIORITIES.map((p) => `${p} ${digest.openByPriority[p]}`).join(', ')}), ${digest.opened.count} new, ${digest.resolved.count} resolved, ${digest.breached.length} SLA breached`;
  return { text: messageText(text), blocks: blocksOf(...sections) };
}
