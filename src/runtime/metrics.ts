import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { TaskFacts } from '../core/aggregates/facts.js';

/** Where metrics go: Powertools Metrics, which writes CloudWatch's embedded metric format to the log. */
export interface FactMetrics {
  addDimensions(dimensions: Record<string, string>): unknown;
  addMetric(name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number): unknown;
  publishStoredMetrics(): unknown;
}

/** The CloudWatch namespace of every TMS metric (alarms and the dashboard read it). */
export const METRICS_NAMESPACE = 'TMS';

/** The metrics of one container (built by src/runtime/deps.ts); the local stack uses none. */
export function createMetrics(): Metrics {
  return new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'tms' });
}

/**
 * The batch's facts as CloudWatch metrics, per service, per priority and in all: tasks opened, events, time to
 * acknowledge and to resolve (every value, so CloudWatch's statistics are MTTA and MTTR and their
 * percentiles), and SLA stages met and missed.
 */
export function recordFactMetrics(sink: FactMetrics, changes: readonly TaskFacts[]): void {
  const groups = new Map<string, TaskFacts[]>();
  for (const change of changes) {
    const key = `${change.task.service}\u0000${change.task.priority}`;
    groups.set(key, [...(groups.get(key) ?? []), change]);
  }
  for (const [key, group] of groups) {
    const [service = '', priority = ''] = key.split('\u0000');
    const values: [string, (typeof MetricUnit)[keyof typeof MetricUnit], number][] = [];
    for (const { facts } of group)
      for (const fact of facts) {
        if (fact.type === 'opened') values.push(['TasksOpened', MetricUnit.Count, 1]);
        if (fact.type === 'occurred') values.push(['AlertEvents', MetricUnit.Count, fact.count]);
        if (fact.type === 'acknowledged' || fact.type === 'resolved') {
          const took = fact.type === 'acknowledged' ? 'TimeToAcknowledge' : 'TimeToResolve';
          values.push([took, MetricUnit.Milliseconds, fact.tookMs]);
          values.push([fact.met ? 'SlaMet' : 'SlaMissed', MetricUnit.Count, 1]);
        }
      }
    if (values.length === 0) continue;
    // Per service, per priority and in all, as three series each rather than one per service and priority:
    // CloudWatch bills each series a month (6 × (services + 5) of them here, rather than 6 × 4 × services).
    // Capitalized: Powertools adds its own `service` dimension (the emitting application, tms).
    sink.addDimensions({ Service: service });
    sink.addDimensions({ Priority: priority });
    sink.addDimensions({});

    for (const [name, unit, value] of values) sink.addMetric(name, unit, value);
    sink.publishStoredMetrics();
  }
}
