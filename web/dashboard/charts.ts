import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h } from '../shared/dom.js';
import type { Metrics } from './types.js';

/** The windows the figures are read over: the API answers one window per call, so the curve is five calls. */
export const WINDOWS = ['1h', '6h', '1d', '7d', '30d'] as const;
const HOURS = [1, 6, 24, 168, 720];

const AXIS = { stroke: '#c9d1d9', grid: { stroke: '#30363d' }, ticks: { stroke: '#30363d' } };

const minutes = (ms: number | null) => (ms === null ? null : ms / 60_000);
const fromZero = (_: uPlot, _min: number, max: number): uPlot.Range.MinMax => [0, Math.max(1, max * 1.1)];

/**
 * Two charts over the windows (x: the window, evenly spaced): MTTA, MTTR and MTBF in minutes, and SLA adherence
 * in percent. A figure with no data in a window is a gap, not a zero. Each chart has a text table beside it
 * (visually hidden) so a screen reader gets the same numbers the canvas draws.
 */
export function metricCharts(): { element: HTMLElement; update(rows: readonly (Metrics | null)[]): void } {
  const timesBox = h('div', { class: 'chart', role: 'img', 'aria-label': 'MTTA, MTTR and MTBF per window' });
  const slaBox = h('div', { class: 'chart', role: 'img', 'aria-label': 'SLA adherence per window' });
  const table = h('table', { class: 'sr-only' });
  const element = h('div', { class: 'charts' }, [
    h('h3', {}, 'Response times'),
    timesBox,
    h('h3', {}, 'SLA met (%)'),
    slaBox,
    table,
  ]);
  const x = {
    scales: { x: { time: false, distr: 2 as const } },
    axes: [
      { ...AXIS, values: (_: uPlot, ticks: number[]) => ticks.map((t) => WINDOWS[HOURS.indexOf(t)] ?? '') },
      { ...AXIS, size: 56 },
    ],
  };
  const width = () => Math.max(260, (element.clientWidth || 400) - 8);
  const empty: uPlot.AlignedData = [HOURS, [], [], []];
  const times = new uPlot(
    {
      width: width(),
      height: 170,
      ...x,
      // MTBF is hours where MTTA is minutes: its own scale, on the right, so neither flattens the other.
      scales: { ...x.scales, y: { range: fromZero }, h: { range: fromZero } },
      axes: [
        x.axes[0] as uPlot.Axis,
        { ...AXIS, size: 56, label: 'MTTA, MTTR (min)' },
        { ...AXIS, scale: 'h', side: 1, size: 56, grid: { show: false }, label: 'MTBF (h)' },
      ],
      series: [
        { label: 'window', value: (_, v) => WINDOWS[HOURS.indexOf(v)] ?? '' },
        { label: 'MTTA', stroke: '#79c0ff', width: 2, points: { size: 7 } },
        { label: 'MTTR', stroke: '#ffa657', width: 2, points: { size: 7 } },
        { label: 'MTBF (h)', scale: 'h', stroke: '#d2a8ff', width: 2, points: { size: 7 } },
      ],
    },
    empty,
    timesBox,
  );
  const sla = new uPlot(
    {
      width: width(),
      height: 140,
      ...x,
      scales: { ...x.scales, y: { range: [0, 100] } },
      // The same margins as the chart above (whose right axis is MTBF's), so the windows line up.
      axes: [
        x.axes[0] as uPlot.Axis,
        { ...AXIS, size: 56, label: 'SLA met (%)' },
        { scale: 'y', side: 1, size: 56, grid: { show: false }, ticks: { show: false }, values: () => [] },
      ],
      series: [
        { label: 'window', value: (_, v) => WINDOWS[HOURS.indexOf(v)] ?? '' },
        { label: 'SLA met', stroke: '#56d364', width: 2, points: { size: 7 } },
      ],
    },
    [HOURS, []],
    slaBox,
  );
  new ResizeObserver(() => {
    times.setSize({ width: width(), height: 170 });
    sla.setSize({ width: width(), height: 140 });
  }).observe(element);

  return {
    element,
    update(rows) {
      times.setData([
        HOURS,
        rows.map((r) => minutes(r?.mttaMs ?? null)),
        rows.map((r) => minutes(r?.mttrMs ?? null)),
        rows.map((r) => (r?.mtbfMs == null ? null : r.mtbfMs / 3_600_000)),
      ] as unknown as uPlot.AlignedData);
      sla.setData([
        HOURS,
        rows.map((r) => (r?.slaMet == null ? null : r.slaMet * 100)),
      ] as unknown as uPlot.AlignedData);
      const cell = (v: number | null | undefined, unit: string) =>
        v == null ? '–' : `${Math.round(v)}${unit}`;
      table.replaceChildren(
        h('caption', {}, 'Figures per window'),
        h(
          'tr',
          {},
          ['window', 'MTTA', 'MTTR', 'MTBF', 'SLA met'].map((t) => h('th', { scope: 'col' }, t)),
        ),
        ...rows.map((r, i) =>
          h('tr', {}, [
            h('th', { scope: 'row' }, WINDOWS[i] ?? ''),
            h('td', {}, cell(minutes(r?.mttaMs ?? null), ' min')),
            h('td', {}, cell(minutes(r?.mttrMs ?? null), ' min')),
            h('td', {}, cell(r?.mtbfMs == null ? null : r.mtbfMs / 3_600_000, ' h')),
            h('td', {}, cell(r?.slaMet == null ? null : r.slaMet * 100, '%')),
          ]),
        ),
      );
    },
  };
}
