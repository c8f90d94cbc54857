import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h } from '../shared/dom.js';
import type { MetricsBucket } from './types.js';

/** The spans the charts show: the API cuts the window into buckets of the step, aligned in UTC. */
export const RANGES = {
  days: { label: '14 days by day', window: '14d', step: '1d' },
  hours: { label: '24 hours by hour', window: '1d', step: '1h' },
} as const;
export type Range = keyof typeof RANGES;

const AXIS = { stroke: '#c9d1d9', grid: { stroke: '#30363d' }, ticks: { stroke: '#30363d' } };
const TIMES_HEIGHT = 180;
const SLA_HEIGHT = 130;

const minutes = (ms: number | null) => (ms === null ? null : ms / 60_000);
const hours = (ms: number | null) => (ms === null ? null : ms / 3_600_000);
const percent = (share: number | null) => (share === null ? null : share * 100);
const tenths = (v: number) => (v < 10 ? Math.round(v * 10) / 10 : Math.round(v));
/** A figure as the legend and the table write it: a time under a minute in seconds, none as a dash. */
const inMinutes = (v: number | null | undefined) =>
  v == null ? '–' : v < 1 ? `${Math.round(v * 60)} s` : `${tenths(v)} min`;
const inHours = (v: number | null | undefined) => (v == null ? '–' : `${tenths(v)} h`);
const inPercent = (v: number | null | undefined) => (v == null ? '–' : `${tenths(v)}%`);
const fromZero = (_: uPlot, _min: number, max: number): uPlot.Range.MinMax => [0, Math.max(1, max * 1.1)];
// Buckets are cut at UTC midnight and on UTC hours: shown in UTC, a day's point sits on its own date.
const utc = (seconds: number) => uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC');
const dayLabel = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short' });
const hourLabel = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'UTC',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/**
 * Two charts over time (x: each bucket's start, in UTC): MTTA and MTTR in minutes with MTBF in hours on its own
 * axis, and SLA adherence in percent. A bucket with no data is a gap, not a zero, and a lone figure is still
 * drawn (as a point). A text table beside them (visually hidden) gives a screen reader the same numbers.
 */
export function metricCharts(onRange: (range: Range) => void): {
  element: HTMLElement;
  readonly range: Range;
  update(series: readonly MetricsBucket[]): void;
} {
  let range: Range = 'days';
  const toggles = (Object.keys(RANGES) as Range[]).map((key) => {
    const button = h(
      'button',
      { type: 'button', class: 'range', 'aria-pressed': String(key === range), 'data-range': key },
      RANGES[key].label,
    );
    button.addEventListener('click', () => {
      if (range === key) return;
      range = key;
      for (const b of toggles) b.setAttribute('aria-pressed', String(b === button));
      onRange(key);
    });
    return button;
  });
  const timesBox = h('div', { class: 'chart', role: 'img', 'aria-label': 'MTTA, MTTR and MTBF over time' });
  const slaBox = h('div', { class: 'chart', role: 'img', 'aria-label': 'SLA adherence over time' });
  const table = h('table', { class: 'sr-only' });
  const element = h('div', { class: 'charts' }, [
    h('div', { class: 'ranges', role: 'group', 'aria-label': 'Span of the charts' }, toggles),
    h('h3', {}, 'Response times'),
    timesBox,
    h('h3', {}, 'SLA met (%)'),
    slaBox,
    table,
  ]);
  const label = (seconds: number) =>
    (range === 'days' ? dayLabel : hourLabel).format(new Date(seconds * 1000));
  // The span is the window's, from its first hour to now: a point is drawn at its bucket's start, so today's
  // (or this hour's) sits inside the chart with the time still to come after it, not on the edge.
  let span: [number, number] = [0, 1];
  const x = {
    tzDate: utc,
    scales: { x: { time: true, range: (): uPlot.Range.MinMax => span } },
    axes: [
      {
        ...AXIS,
        // The same ticks on both charts, whatever their widths: every 3 days, or at 00, 06, 12 and 18 UTC.
        splits: () => {
          const every = range === 'days' ? 3 * 86_400 : 6 * 3_600;
          const ticks: number[] = [];
          for (let t = Math.ceil(span[0] / every) * every; t <= span[1]; t += every) ticks.push(t);
          return ticks;
        },
        values: (_: uPlot, ticks: number[]) => ticks.map(label),
      },
    ],
  };
  // Filled, so a lone figure (a bucket between two without data) shows in its series' colour.
  const points = (fill: string) => ({ show: true, size: 7, fill });
  const width = () => Math.max(260, (element.clientWidth || 400) - 8);
  const times = new uPlot(
    {
      width: width(),
      height: TIMES_HEIGHT,
      ...x,
      // MTBF is hours where MTTA is minutes: its own scale, on the right, so neither flattens the other.
      scales: { ...x.scales, y: { range: fromZero }, h: { range: fromZero } },
      axes: [
        x.axes[0] as uPlot.Axis,
        { ...AXIS, size: 56, label: 'MTTA, MTTR (min)' },
        { ...AXIS, scale: 'h', side: 1, size: 56, grid: { show: false }, label: 'MTBF (h)' },
      ],
      series: [
        { label: 'UTC', value: (_, v) => (v == null ? '' : label(v)) },
        {
          label: 'MTTA',
          stroke: '#79c0ff',
          width: 2,
          points: points('#79c0ff'),
          value: (_, v) => inMinutes(v),
        },
        {
          label: 'MTTR',
          stroke: '#ffa657',
          width: 2,
          points: points('#ffa657'),
          value: (_, v) => inMinutes(v),
        },
        {
          label: 'MTBF',
          scale: 'h',
          stroke: '#d2a8ff',
          width: 2,
          points: points('#d2a8ff'),
          dash: [6, 4],
          value: (_, v) => inHours(v),
        },
      ],
    },
    [[], [], [], []],
    timesBox,
  );
  const sla = new uPlot(
    {
      width: width(),
      height: SLA_HEIGHT,
      ...x,
      // A little above 100 so a point at 100% is drawn whole.
      scales: { ...x.scales, y: { range: [0, 104] } },
      // The same margins as the chart above (whose right axis is MTBF's), so the times line up.
      axes: [
        x.axes[0] as uPlot.Axis,
        { ...AXIS, size: 56, label: 'SLA met (%)' },
        {
          scale: 'y',
          side: 1,
          size: 56,
          label: ' ',
          grid: { show: false },
          ticks: { show: false },
          values: () => [],
        },
      ],
      series: [
        { label: 'UTC', value: (_, v) => (v == null ? '' : label(v)) },
        {
          label: 'SLA met',
          stroke: '#56d364',
          width: 2,
          points: points('#56d364'),
          value: (_, v) => inPercent(v),
        },
      ],
    },
    [[], []],
    slaBox,
  );
  new ResizeObserver(() => {
    times.setSize({ width: width(), height: TIMES_HEIGHT });
    sla.setSize({ width: width(), height: SLA_HEIGHT });
  }).observe(element);

  return {
    element,
    get range() {
      return range;
    },
    update(series) {
      const at = series.map((b) => Date.parse(b.from) / 1000);
      const last = series.at(-1);
      span = last && at[0] !== undefined ? [at[0], Date.parse(last.to) / 1000] : [0, 1];
      times.setData([
        at,
        series.map((b) => minutes(b.mttaMs)),
        series.map((b) => minutes(b.mttrMs)),
        series.map((b) => hours(b.mtbfMs)),
      ] as uPlot.AlignedData);
      sla.setData([at, series.map((b) => percent(b.slaMet))] as uPlot.AlignedData);
      // Until a pointer moves over them, the legends show the latest bucket with a figure (a wall screen has
      // no pointer), not dashes.
      const latest = series.findLastIndex(
        (b) => b.mttaMs !== null || b.mttrMs !== null || b.mtbfMs !== null || b.slaMet !== null,
      );
      if (latest >= 0) for (const chart of [times, sla]) chart.setLegend({ idx: latest });
      table.replaceChildren(
        h('caption', {}, `MTTA, MTTR, MTBF and SLA met, ${RANGES[range].label} (UTC)`),
        h(
          'tr',
          {},
          [range === 'days' ? 'day' : 'hour', 'opened', 'MTTA', 'MTTR', 'MTBF', 'SLA met'].map((t) =>
            h('th', { scope: 'col' }, t),
          ),
        ),
        ...series.map((b, i) =>
          h('tr', {}, [
            h('th', { scope: 'row' }, label(at[i] ?? 0)),
            h('td', {}, String(b.opened)),
            h('td', {}, inMinutes(minutes(b.mttaMs))),
            h('td', {}, inMinutes(minutes(b.mttrMs))),
            h('td', {}, inHours(hours(b.mtbfMs))),
            h('td', {}, inPercent(percent(b.slaMet))),
          ]),
        ),
      );
    },
  };
}
