import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { WindowMetrics } from '../core/aggregates/metrics.js';
import { commonFixes } from '../core/aggregates/resolutions.js';
import { own } from '../core/bounds.js';
import { formatDuration } from '../core/time.js';
import {
  knownService,
  playbook,
  reportService,
  reportStep,
  reportWindow,
  STATS_WINDOW,
  statsReport,
  trendsReport,
  trendsWindow,
  type WindowLimits,
} from '../core/use-cases/reports.js';
import { type HttpResult, json, problem } from '../http/respond.js';
import type { HouseDeps } from '../runtime/deps.js';

/**
 * The insights of `/api/*`: the reports `/tms trends`, `/tms stats` and `/tms playbook` answer in Slack, from
 * the same use cases over the same aggregates, parameters read as Slack reads them, so both show the same
 * numbers. JSON, not Block Kit: a dashboard draws them itself.
 */

type Query = Readonly<Record<string, string | undefined>>;

/** `GET /api/trends?service=&window=`: the trends going on, then what the window asked for shows trending. */
export async function trendsRoute(deps: HouseDeps, event: APIGatewayProxyEventV2): Promise<HttpResult> {
  const query = event.queryStringParameters ?? {};
  const refused = unknownParameters(query, ['service', 'window']);
  if (refused) return refused;
  const service = await serviceParameter(deps, query.service);
  if (typeof service !== 'string' && service !== null) return service;
  const window = windowParameter(query.window, trendsWindow(deps.config.trends));
  if (typeof window !== 'number') return window;
  const report = await trendsReport(deps, service, window, deps.clock.now());
  const ongoing = report.ongoing.map((e) => ({
    service: e.service,
    title: e.title,
    taskId: e.taskId,
    recent: e.recent,
    expected: e.expected,
    startedAt: e.startedAt,
  }));
  // A subject the rule holds for over this window that no episode records yet (the aggregator reads the
  // configured window, on its own schedule): trending, but with no start known.
  const read = report.busiest
    .filter((row) => row.reading.trending)
    .filter(
      (row) =>
        !report.ongoing.some(
          (e) =>
            row.kind === 'fingerprint'
              ? e.kind === 'fingerprint' && e.taskId === row.taskId
              : e.service === row.service, // a service trend one of its fingerprints' explains is covered by it
        ),
    )
    .map((row) => ({
      service: row.service,
      title: row.title,
      taskId: row.taskId,
      recent: row.reading.recent,
      // As an episode records it.
      expected: Math.round(row.reading.expected * 100) / 100,
      startedAt: null,
    }));
  return json(200, { trends: [...ongoing, ...read] });
}

/**
 * `GET /api/metrics?service=&window=&step=`: the figures of `/tms stats` over the window (7d unless asked),
 * and with a step the same figures bucket by bucket, from the same hours (a chart over time, one read).
 */
export async function metricsRoute(deps: HouseDeps, event: APIGatewayProxyEventV2): Promise<HttpResult> {
  const query = event.queryStringParameters ?? {};
  const refused = unknownParameters(query, ['service', 'window', 'step']);
  if (refused) return refused;
  const service = await serviceParameter(deps, query.service);
  if (typeof service !== 'string' && service !== null) return service;
  const window = windowParameter(query.window, STATS_WINDOW);
  if (typeof window !== 'number') return window;
  const step = query.step === undefined ? undefined : reportStep(query.step, window);
  if (step && 'reason' in step) return invalid('step', step.reason);
  const { overall, series } = await statsReport(deps, service, window, deps.clock.now(), step?.stepMs);
  return json(200, {
    // As asked, or the default as Slack's help writes it (7d, not 1w).
    window: query.window?.toLowerCase() || `${window / 86_400_000}d`,
    ...figures(overall),
    ...(series
      ? {
          series: series.map((b) => ({
            from: new Date(b.from).toISOString(),
            to: new Date(b.to).toISOString(),
            ...figures(b.metrics),
          })),
        }
      : {}),
  });
}

const figures = (m: WindowMetrics) => ({
  opened: m.opened,
  acknowledged: m.acknowledged,
  resolved: m.resolved,
  mttaMs: m.mttaMs,
  mttrMs: m.mttrMs,
  mtbfMs: m.mtbfMs,
  // SLA adherence, the share Slack prints as "SLA 100% met": null when no deadline ended in the window.
  slaMet: m.slaAdherence,
});

/** `GET /api/services/{service}/playbook`: its recurring issues, what fixed them, its runbook. */
export async function playbookRoute(deps: HouseDeps, event: APIGatewayProxyEventV2): Promise<HttpResult> {
  const refused = unknownParameters(event.queryStringParameters ?? {}, []);
  if (refused) return refused;
  const service = await serviceParameter(deps, decoded(event.pathParameters?.service ?? ''));
  if (typeof service !== 'string') return service ?? invalid('service', 'Name a service');
  const entries = await playbook(deps, service);
  return json(200, {
    service,
    runbook: own(deps.config.services, service)?.runbook ?? null,
    issues: entries.map(({ stats, medianResolveMs }) => ({
      title: stats.title,
      times: stats.times,
      medianTtrMs: medianResolveMs,
      fixes: commonFixes(stats, 3),
      lastTaskId: stats.lastTaskId,
    })),
  });
}

const invalid = (parameter: string, message: string) =>
  problem(400, 'INVALID_INPUT', `${parameter}: ${message}`);

/**
 * The service a report is asked about, null when none is, or the answer refusing it: 400 for what cannot be a
 * service name, 404 for a name TMS does not know (Slack answers "not a service TMS knows" to the same).
 */
async function serviceParameter(
  deps: HouseDeps,
  text: string | undefined,
): Promise<string | null | HttpResult> {
  if (text === undefined || text === '') return null;
  const service = reportService(text);
  if (!service)
    return invalid(
      'service',
      'not a service name (lower-case letters, digits, ".", "_" and "-", starting with a letter or digit, at most 200)',
    );
  const { known, names } = await knownService(deps, service);
  if (!known)
    return problem(
      404,
      'SERVICE_NOT_FOUND',
      `service: "${service}" is not a service TMS knows: it is not in the config and no task was ever opened in it. Known services: ${names.slice(0, 10).join(', ')}`,
    );
  return service;
}

function windowParameter(text: string | undefined, limits: WindowLimits): number | HttpResult {
  return (
    reportWindow(text, limits) ??
    invalid(
      'window',
      `not a window from ${formatDuration(limits.min)} to ${formatDuration(limits.max)}, such as 1h or 7d`,
    )
  );
}

/** A parameter the route does not read is refused, not ignored: a misspelt `servcie=` would report on all. */
function unknownParameters(query: Query, allowed: readonly string[]): HttpResult | undefined {
  const unknown = Object.keys(query).filter((name) => !allowed.includes(name));
  if (unknown.length === 0) return undefined;
  const takes = allowed.length > 0 ? `it takes ${allowed.join(' and ')}` : 'it takes none';
  return invalid(unknown[0] ?? '', `not a parameter of this route (${takes})`);
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // not valid percent-encoding: it will not read as a service name either
  }
}
