/** The fields of the API's Task (DESIGN.md "Task") that the dashboard shows; the API sends more. */
export interface Task {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly status: 'open' | 'acknowledged' | 'in_progress' | 'resolved';
  readonly priority: 'P1' | 'P2' | 'P3' | 'P4';
  readonly service: string;
  readonly team: string | null;
  readonly source: string;
  readonly assignee: string | null;
  readonly occurrences: number;
  readonly ackDueAt: string;
  readonly resolveDueAt: string;
  readonly acknowledgedAt: string | null;
  readonly resolvedAt: string | null;
  readonly snoozedUntil: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly version: number;
  readonly sla: {
    readonly windows: Readonly<Record<string, { readonly ack: number; readonly resolve: number }>>;
    readonly atRisk: number;
  };
}

export interface TimelineEntry {
  readonly type: string;
  readonly at: string;
  readonly actor: { readonly type: string; readonly id: string };
  readonly via: string;
  readonly version: number;
  readonly seq: number;
  readonly [field: string]: unknown;
}

export interface Trend {
  readonly service: string;
  readonly title: string;
  readonly taskId: string | null;
  readonly recent: number;
  readonly expected: number;
  readonly startedAt: string | null;
}

interface Figures {
  readonly opened: number;
  readonly acknowledged: number;
  readonly resolved: number;
  readonly mttaMs: number | null;
  readonly mttrMs: number | null;
  readonly mtbfMs: number | null;
  readonly slaMet: number | null;
}
/** One bucket of `GET /api/metrics?step=`: the figures of [from, to). */
export interface MetricsBucket extends Figures {
  readonly from: string;
  readonly to: string;
}
export interface Metrics extends Figures {
  readonly window: string;
  readonly series?: readonly MetricsBucket[];
}

export interface Playbook {
  readonly service: string;
  readonly runbook: string | null;
  readonly issues: readonly {
    readonly title: string;
    readonly times: number;
    readonly medianTtrMs: number | null;
    readonly fixes: readonly { readonly note: string; readonly count: number }[];
    readonly lastTaskId: string | null;
  }[];
}

export type Role = 'admin' | 'developer' | 'viewer';

export interface SiteConfig {
  readonly liveUrl: string | null;
  readonly auth: {
    readonly cognitoDomain: string;
    readonly clientId: string;
    readonly redirectUri: string;
  } | null;
}
