import { Cron } from 'croner';
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import * as z from 'zod';
import { LIMITS, own } from './bounds.js';
import { ConfigError, type ConfigIssue } from './errors.js';
import {
  ESCALATION_TARGETS,
  MAX_ESCALATION_STEPS,
  MAX_POLICY_NAME,
  MAX_TARGET,
} from './escalation-policy.js';
import { defaultGraceMs, HEARTBEAT_NAME, MAX_SPAN_MS, MIN_EVERY_MS } from './heartbeat.js';
import { readEvery } from './schedule.js';
import { readIsoIn } from './schedule-time.js';
import { PRIORITIES, Priority, SLACK_USER_ID } from './task.js';
import { parseDuration } from './time.js';
import { checkWebhookUrl } from './webhook-target.js';

/** `30s`, `5m`, `4h`, `3d`, `1w`, parsed to milliseconds. */
const Duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration such as 30s, 5m, 4h or 3d` });
    return z.NEVER;
  }
  return ms;
});

const TimeZone = z.string().refine(
  (zone) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not an IANA time zone such as Europe/Berlin' },
);

const CronExpression = z.string().superRefine((pattern, ctx) => {
  try {
    new Cron(pattern, { paused: true });
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `not a cron expression: ${(error as Error).message}` });
  }
});

/** Slack channel, user and user-group ids: the config names people and places by id, never by display name. */
const ChannelId = z.string().regex(/^[CGD][A-Z0-9]{2,}$/, 'a Slack channel id such as C0123ABCD');
const UserOrGroupId = z.string().regex(/^[UWS][A-Z0-9]{2,}$/, 'a Slack user id (U…) or user-group id (S…)');
const UserId = z.string().regex(SLACK_USER_ID, 'a Slack user id such as U0123ABCD');
const GroupId = z.string().regex(/^S[A-Z0-9]{2,}$/, 'a Slack user-group id such as S0123ABCD');
const Name = z
  .string()
  .max(LIMITS.nameBytes)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, ".", "_" and "-"');
/** A `*` glob, matched in linear time (src/core/bounds.ts) and bounded like a silence's. */
const Glob = z.string().min(1).max(LIMITS.globLength);

const SlaWindow = z.strictObject({ ack: Duration, resolve: Duration }).refine((w) => w.ack <= w.resolve, {
  message: 'ack must not be longer than resolve',
});

const Match = z.strictObject({
  repositories: z.array(z.string().min(1)).optional(),
  namespaces: z.array(z.string().min(1)).optional(),
  alarms: z.array(Glob).optional(),
  logGroups: z.array(Glob).optional(),
  labels: z.record(z.string(), z.string()).optional(),
});

const Service = z.strictObject({
  team: Name.optional(),
  channel: ChannelId.optional(),
  runbook: z.url().max(LIMITS.urlLength).optional(),
  match: Match.optional(),
  logPatterns: z.array(z.string().min(1).max(LIMITS.labelValueLength)).optional(),
  escalation: Name.max(MAX_POLICY_NAME).optional(),
});

const Team = z.strictObject({
  channel: ChannelId.optional(),
  usergroup: GroupId.optional(),
  oncall: z
    .strictObject({
      rotation: z.array(UserId).min(1),
      every: Duration,
      /** A local wall-clock time in `timezone` when the first person's turn starts. */
      handoff: z
        .string()
        .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/, 'a local time such as 2026-01-05T09:00:00'),
      timezone: TimeZone,
    })
    .optional(),
});

/**
 * Whom an escalation step notifies (issue 19): `oncall` (whoever is on call for the task's team now), `next`
 * (whoever is on call after them), `channel` (the team's channel, with @here; `team` says the same),
 * `assignee` (the task's holder, else the on-call), `sns` (the notification topic), a user or a user group.
 */
const EscalationTarget = z
  .union([z.enum(ESCALATION_TARGETS), UserOrGroupId.max(MAX_TARGET)], {
    error: `${ESCALATION_TARGETS.join(', ')}, a Slack user id (U…) or a user-group id (S…)`,
  })
  .refine(
    (target) =>
      !(ESCALATION_TARGETS as readonly string[]).includes(target.toLowerCase()) ||
      target === target.toLowerCase(),
    {
      message: 'the words oncall, next, channel, team, assignee and sns are written in lower case',
    },
  );
/** At most a week: a step waits inside one Step Functions execution, which lives a year at most. */
const EscalationWait = Duration.refine((ms) => ms <= 7 * 86_400_000, { message: 'at most a week (7d)' });
const EscalationStep = z.union([
  z.strictObject({ wait: EscalationWait }),
  z.strictObject({ notify: EscalationTarget }),
  z.strictObject({ repeat: z.number().int().min(1).max(10) }),
]);
const EscalationPolicy = z
  .array(EscalationStep)
  .min(1)
  .max(MAX_ESCALATION_STEPS)
  .refine((steps) => steps.some((step) => 'notify' in step), {
    message: 'a policy needs at least one notify step',
  })
  .refine((steps) => steps.every((step, i) => !('repeat' in step) || i === steps.length - 1), {
    message: 'repeat goes last: it starts the policy over from its first step',
  })
  .refine((steps) => !steps.some((step) => 'repeat' in step) || steps.some((step) => 'wait' in step), {
    message: 'a policy that repeats needs a wait, or its rounds would page in one burst',
  });

const SeverityTable = z.record(z.string().min(1), Priority);

const PartialSla = z.strictObject({
  P1: SlaWindow.optional(),
  P2: SlaWindow.optional(),
  P3: SlaWindow.optional(),
  P4: SlaWindow.optional(),
  atRisk: z.number().gt(0).lt(1).optional(),
});

/** A heartbeat's name: what its ping URL carries (src/core/heartbeat.ts `HEARTBEAT_NAME`). */
const HeartbeatName = z.string().regex(HEARTBEAT_NAME, 'letters, digits, ".", "_" and "-", at most 64');
/** At most a year: a heartbeat's deadline stays a date. */
const HeartbeatSpan = Duration.refine((ms) => ms <= MAX_SPAN_MS, { message: 'at most a year (52w)' });
const HeartbeatEntry = z.strictObject({
  every: HeartbeatSpan.refine((ms) => ms >= MIN_EVERY_MS, { message: 'at least a minute (1m)' }),
  grace: HeartbeatSpan.optional(),
  service: Name.optional(),
  priority: Priority.optional(),
});
/** A chore in version control (issue 18): `at` is ISO, a wall-clock time in `timezone` unless it has an offset. */
const ScheduleEntry = z.strictObject({
  title: z.string().min(1).max(LIMITS.titleLength),
  at: z.string().min(1).max(40),
  every: z.string().min(1).max(100).optional(),
  timezone: TimeZone.default('UTC'),
  action: z.enum(['task', 'message', 'webhook']).default('task'),
  channel: ChannelId.optional(),
  url: z.string().min(1).max(2_048).optional(),
  service: Name.optional(),
  priority: Priority.optional(),
  assignee: UserId.optional(),
});
/** A maintenance window in version control: `from`/`to` as a schedule's `at`; `every` repeats it. */
const WindowEntry = z.strictObject({
  service: Name.optional(),
  matchers: z.record(z.string().min(1).max(LIMITS.nameBytes), Glob).optional(),
  from: z.string().min(1).max(40),
  to: z.string().min(1).max(40),
  every: z.string().min(1).max(100).optional(),
  timezone: TimeZone.default('UTC'),
  reason: z.string().max(500).optional(),
});

export const ALERTMANAGER_GROUPINGS = ['group', 'alert'] as const;
export type AlertmanagerGrouping = (typeof ALERTMANAGER_GROUPINGS)[number];

/** The file as written: every section optional. */
const ConfigFile = z.strictObject({
  sla: PartialSla.optional(),
  dedup: z.strictObject({ reopenWithin: Duration.optional() }).optional(),
  defaults: z
    .strictObject({ service: Name.optional(), channel: ChannelId.optional(), priority: Priority.optional() })
    .optional(),
  services: z.record(Name, Service).optional(),
  teams: z.record(Name, Team).optional(),
  severity: z.record(z.string().min(1), SeverityTable).optional(),
  trends: z
    .strictObject({
      window: Duration.optional(),
      baseline: Duration.optional(),
      factor: z.number().gt(1).optional(),
      minCount: z.number().int().positive().optional(),
    })
    .optional(),
  digests: z
    .array(z.strictObject({ channel: ChannelId, cron: CronExpression, timezone: TimeZone.default('UTC') }))
    .optional(),
  escalations: z.record(Name.max(MAX_POLICY_NAME), EscalationPolicy).optional(),
  /**
   * When escalation starts and what else pages (issue 19): the priorities whose new tasks escalate under their
   * service's policy (P1 and P2 unless said), and how long an acknowledged task may go without progress
   * before its assignee is reminded, once (`false`: never).
   */
  escalation: z
    .strictObject({
      priorities: z.array(Priority).optional(),
      remindAfter: z.union([Duration, z.literal(false)]).optional(),
    })
    .optional(),
  notifications: z
    .strictObject({
      sns: z.strictObject({ emails: z.array(z.email()).optional() }).optional(),
    })
    .optional(),
  sources: z
    .strictObject({
      cloudwatch: z.strictObject({ topics: z.array(Glob.startsWith('arn:aws')).optional() }).optional(),
      /** Normal events are ignored unless their reasons are listed here (say, `Killing` or `ScalingReplicaSet`). */
      kubernetes: z.strictObject({ normalReasons: z.array(z.string().min(1)).optional() }).optional(),
      alertmanager: z
        .strictObject({
          /** `group`: one task per Alertmanager group (its `groupKey`), as its own notifiers page; `alert`: one per alert. */
          grouping: z.enum(ALERTMANAGER_GROUPINGS).optional(),
          /** Alert mode: a task whose alert its group stopped listing is resolved after this long (unset: never). */
          staleAfter: Duration.optional(),
        })
        .optional(),
    })
    .optional(),
  /** Webhook targets inside the network (private, loopback, link-local) that schedules may call on purpose. */
  webhooks: z
    .strictObject({ allowHosts: z.array(z.string().min(1).max(253)).max(100).optional() })
    .optional(),
  heartbeats: z.record(HeartbeatName, HeartbeatEntry).optional(),
  schedules: z.array(ScheduleEntry).max(200).optional(),
  maintenance: z.array(WindowEntry).max(100).optional(),
  rbac: z
    .strictObject({
      admins: z.array(UserOrGroupId).optional(),
      viewers: z.array(UserOrGroupId).optional(),
      default: z.enum(['admin', 'developer', 'viewer']).optional(),
    })
    .optional(),
  sandbox: z
    .strictObject({
      users: z
        .record(
          UserId,
          z.strictObject({
            name: z.string().min(1),
            tz: TimeZone.optional(),
            real_name: z.string().optional(),
          }),
        )
        .optional(),
      usergroups: z.record(GroupId, z.array(UserId)).optional(),
    })
    .optional(),
});
type ConfigFile = z.infer<typeof ConfigFile>;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const DEFAULT_SLA = {
  P1: { ack: 5 * MINUTE, resolve: HOUR },
  P2: { ack: 15 * MINUTE, resolve: 4 * HOUR },
  P3: { ack: HOUR, resolve: DAY },
  P4: { ack: 4 * HOUR, resolve: 3 * DAY },
} as const satisfies Record<Priority, { ack: number; resolve: number }>;

/** Each source's own words for how bad it is; a source or word missing here gets `defaults.priority`. */
const DEFAULT_SEVERITY: Record<string, Record<string, Priority>> = {
  generic: { critical: 'P1', error: 'P2', warning: 'P3', info: 'P4' },
  alertmanager: { critical: 'P1', error: 'P2', warning: 'P3', info: 'P4' },
  github: { failure: 'P3', timed_out: 'P3', startup_failure: 'P3' },
  jenkins: { failure: 'P3', unstable: 'P4' },
  kubernetes: { warning: 'P3', normal: 'P4' },
  logs: { critical: 'P1', error: 'P2' },
};

/** The configuration as the rest of TMS reads it: every section present, durations in milliseconds. */
export interface Config {
  sla: Record<Priority, { ack: number; resolve: number }> & { atRisk: number };
  dedup: { reopenWithin: number };
  defaults: { service: string; channel: string; priority: Priority };
  services: Record<string, z.infer<typeof Service>>;
  teams: Record<string, z.infer<typeof Team>>;
  severity: Record<string, Record<string, Priority>>;
  trends: { window: number; baseline: number; factor: number; minCount: number };
  digests: { channel: string; cron: string; timezone: string }[];
  escalations: Record<string, z.infer<typeof EscalationStep>[]>;
  escalation: { priorities: Priority[]; remindAfter: number | false };
  notifications: { sns: { emails: string[] } };
  sources: {
    cloudwatch: { topics: string[] };
    kubernetes: { normalReasons: string[] };
    alertmanager: { grouping: AlertmanagerGrouping; staleAfter?: number };
  };
  webhooks: { allowHosts: string[] };
  heartbeats: Record<string, HeartbeatConfig>;
  schedules: ScheduleConfig[];
  maintenance: WindowConfig[];
  rbac: { admins: string[]; viewers: string[]; default: 'admin' | 'developer' | 'viewer' };
  sandbox: {
    users: Record<string, { name: string; tz?: string | undefined; real_name?: string | undefined }>;
    usergroups: Record<string, string[]>;
  };
}
export interface HeartbeatConfig {
  everyMs: number;
  graceMs: number;
  service?: string | undefined;
  priority?: Priority | undefined;
}
export type ScheduleConfig = z.infer<typeof ScheduleEntry>;
export type WindowConfig = z.infer<typeof WindowEntry>;
export type ServiceConfig = Config['services'][string];
export type TeamConfig = Config['teams'][string];
export type EscalationStep = z.infer<typeof EscalationStep>;

function alertmanagerSettings(
  file: NonNullable<ConfigFile['sources']>['alertmanager'],
): Config['sources']['alertmanager'] {
  return {
    grouping: file?.grouping ?? 'group',
    ...(file?.staleAfter !== undefined ? { staleAfter: file.staleAfter } : {}),
  };
}

/** Each section merges with its defaults; sla and severity merge per entry. */
function withDefaults(file: ConfigFile): Config {
  const sla = file.sla ?? {};
  const severity: Record<string, Record<string, Priority>> = { ...DEFAULT_SEVERITY };
  for (const [source, table] of Object.entries(file.severity ?? {})) {
    severity[source] = { ...own(DEFAULT_SEVERITY, source), ...table };
  }
  return {
    sla: {
      P1: sla.P1 ?? DEFAULT_SLA.P1,
      P2: sla.P2 ?? DEFAULT_SLA.P2,
      P3: sla.P3 ?? DEFAULT_SLA.P3,
      P4: sla.P4 ?? DEFAULT_SLA.P4,
      atRisk: sla.atRisk ?? 0.8,
    },
    dedup: { reopenWithin: file.dedup?.reopenWithin ?? 10 * MINUTE },
    defaults: {
      service: file.defaults?.service ?? 'general',
      channel: file.defaults?.channel ?? 'C0GENERAL',
      priority: file.defaults?.priority ?? 'P3',
    },
    services: file.services ?? {},
    teams: file.teams ?? {},
    severity,
    trends: {
      window: file.trends?.window ?? HOUR,
      baseline: file.trends?.baseline ?? DAY,
      factor: file.trends?.factor ?? 3,
      minCount: file.trends?.minCount ?? 5,
    },
    digests: file.digests ?? [],
    escalations: file.escalations ?? {},
    escalation: {
      priorities: file.escalation?.priorities ?? ['P1', 'P2'],
      remindAfter: file.escalation?.remindAfter ?? HOUR,
    },
    notifications: { sns: { emails: file.notifications?.sns?.emails ?? [] } },
    sources: {
      cloudwatch: { topics: file.sources?.cloudwatch?.topics ?? [] },
      kubernetes: { normalReasons: file.sources?.kubernetes?.normalReasons ?? [] },
      alertmanager: alertmanagerSettings(file.sources?.alertmanager),
    },
    rbac: {
      admins: file.rbac?.admins ?? [],
      viewers: file.rbac?.viewers ?? [],
      default: file.rbac?.default ?? 'developer',
    },
    sandbox: { users: file.sandbox?.users ?? {}, usergroups: file.sandbox?.usergroups ?? {} },
    webhooks: { allowHosts: file.webhooks?.allowHosts ?? [] },
    heartbeats: Object.fromEntries(
      Object.entries(file.heartbeats ?? {}).map(([name, beat]) => [
        name,
        {
          everyMs: beat.every,
          // Unset: a tenth of the period, at least a minute (a sweep's granularity) and at most an hour.
          graceMs: beat.grace ?? defaultGraceMs(beat.every),
          ...(beat.service ? { service: beat.service } : {}),
          ...(beat.priority ? { priority: beat.priority } : {}),
        },
      ]),
    ),
    schedules: file.schedules ?? [],
    maintenance: file.maintenance ?? [],
  };
}

/** Checks that need the whole file: names that point at other sections must exist. */
function crossReferences(config: Config): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  for (const [name, service] of Object.entries(config.services)) {
    if (service.team && !own(config.teams, service.team)) {
      issues.push({ path: ['services', name, 'team'], message: `no team "${service.team}" in teams` });
    }
    if (service.escalation && !own(config.escalations, service.escalation)) {
      issues.push({
        path: ['services', name, 'escalation'],
        message: `no escalation policy "${service.escalation}" in escalations`,
      });
    }
  }
  const known = (service: string | undefined) =>
    service === undefined ||
    service === config.defaults.service ||
    own(config.services, service) !== undefined;
  for (const [name, beat] of Object.entries(config.heartbeats)) {
    if (!known(beat.service))
      issues.push({
        path: ['heartbeats', name, 'service'],
        message: `no service "${beat.service}" in services`,
      });
  }
  config.schedules.forEach((entry, i) => {
    const at = (key: string) => ['schedules', i, key];
    const first = readIsoIn(entry.at, entry.timezone);
    if (!first.ok) issues.push({ path: at('at'), message: first.error });
    if (entry.every !== undefined) {
      const every = readEvery(entry.every);
      if (!every.ok) issues.push({ path: at('every'), message: every.error });
    }
    if (!known(entry.service))
      issues.push({ path: at('service'), message: `no service "${entry.service}" in services` });
    if (entry.action === 'message' && !entry.channel)
      issues.push({ path: at('channel'), message: 'a reminder (action: message) names its channel' });
    if (entry.action === 'webhook') {
      const url = entry.url === undefined ? undefined : checkWebhookUrl(entry.url);
      if (!url) issues.push({ path: at('url'), message: 'a webhook schedule names its url' });
      else if (!url.ok) issues.push({ path: at('url'), message: url.error });
    } else if (entry.url !== undefined)
      issues.push({ path: at('url'), message: 'a url goes with action: webhook' });
  });
  config.maintenance.forEach((entry, i) => {
    const at = (key: string) => ['maintenance', i, key];
    if (!entry.service && Object.keys(entry.matchers ?? {}).length === 0)
      issues.push({
        path: at('service'),
        message: 'a window names a service or matchers, else it would hold every alert',
      });
    else if (!known(entry.service))
      issues.push({ path: at('service'), message: `no service "${entry.service}" in services` });
    else {
      // As /tms maintenance checks a window (src/core/maintenance.ts `checkWindow`, which this module cannot
      // import without a cycle): readable times, one occurrence from a minute to seven days, a readable every.
      const from = readIsoIn(entry.from, entry.timezone);
      const to = readIsoIn(entry.to, entry.timezone);
      if (!from.ok) issues.push({ path: at('from'), message: from.error });
      if (!to.ok) issues.push({ path: at('to'), message: to.error });
      const length = from.ok && to.ok ? to.value.getTime() - from.value.getTime() : undefined;
      if (length !== undefined && (length < MINUTE || length > 7 * DAY))
        issues.push({ path: at('to'), message: 'one occurrence of a window lasts from a minute to 7 days' });
      if (entry.every !== undefined) {
        const every = readEvery(entry.every);
        if (!every.ok) issues.push({ path: at('every'), message: every.error });
      }
      if (Object.keys(entry.matchers ?? {}).length + (entry.service ? 1 : 0) > 10)
        issues.push({ path: at('matchers'), message: 'a window has at most 10 matchers' });
    }
  });
  return issues;
}

/**
 * Parses and validates the text of `tms.config.yaml`. An empty text is the all-defaults config.
 * Throws ConfigError naming every bad key with its line.
 */
export function parseConfig(text: string, source = 'tms.config.yaml'): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => ({
        path: '',
        line: e.linePos?.[0]?.line,
        message: (e.message.split('\n')[0] ?? 'not valid YAML').replace(/ at line \d+, column \d+:?$/, ''),
      })),
    );
  }
  const raw = doc.toJS() ?? {};
  const parsed = ConfigFile.safeParse(raw);
  const lineOf = (path: readonly PropertyKey[]) => {
    const offset = locate(doc.contents, path);
    return offset === undefined ? undefined : lines.linePos(offset).line;
  };
  if (!parsed.success) {
    throw new ConfigError(
      source,
      parsed.error.issues.flatMap((issue) => describe(issue, lineOf)),
    );
  }
  const config = withDefaults(parsed.data);
  const broken = crossReferences(config);
  if (broken.length > 0) {
    throw new ConfigError(
      source,
      broken.map((i) => ({ path: i.path.join('.'), line: lineOf(i.path), message: i.message })),
    );
  }
  return config;
}

function describe(
  issue: z.core.$ZodIssue,
  lineOf: (path: readonly PropertyKey[]) => number | undefined,
): ConfigIssue[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const path = [...issue.path, key];
      return { path: path.map(String).join('.'), line: lineOf(path), message: 'unknown key' };
    });
  }
  if (issue.code === 'invalid_key') {
    return [
      {
        path: issue.path.map(String).join('.'),
        line: lineOf(issue.path),
        message: `bad name: ${issue.issues[0]?.message ?? issue.message}`,
      },
    ];
  }
  return [{ path: issue.path.map(String).join('.'), line: lineOf(issue.path), message: issue.message }];
}

/** The source offset of the node at `path` (a key's own position when the path ends at a key), if it is in the file. */
function locate(root: Node | null, path: readonly PropertyKey[]): number | undefined {
  let node: unknown = root;
  let offset = (root as Node | null)?.range?.[0];
  for (const step of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(step),
      );
      if (!pair) return offset;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof step === 'number') {
      const item = node.items[step] as Node | undefined;
      if (!item) return offset;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      return offset;
    }
  }
  return offset;
}

export const priorityRank = (p: Priority): number => PRIORITIES.indexOf(p);
